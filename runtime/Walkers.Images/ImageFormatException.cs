using System;

namespace Walkers.Images;

/// <summary>
/// A memory image that cannot be used: missing or unreadable file, not an ELF core, truncated or malformed
/// headers, a bad zstd stream. The message is one line, fit to show a user as it is.
/// </summary>
public sealed class ImageFormatException : Exception
{
    public ImageFormatException(string message) : base(message) { }

    public ImageFormatException(string message, Exception innerException) : base(message, innerException) { }
}
