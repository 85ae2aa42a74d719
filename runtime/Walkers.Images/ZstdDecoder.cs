using System;
using System.Runtime.InteropServices;

namespace Walkers.Images;

/// <summary>
/// A one-shot zstd decoder (the shape of libzstd's <c>ZSTD_decompressBound</c> / <c>ZSTD_decompress</c>), so
/// that a compressed image is decompressed straight into native memory. The runtime ships the binding to the
/// system's libzstd (<see cref="NativeZstd"/>); an application without it can plug in a managed port.
/// </summary>
public unsafe interface IZstdDecoder
{
    /// <summary>An upper bound of the decompressed size of all frames in the source (exact when the frames record it).</summary>
    /// <exception cref="ImageFormatException">The source is not a valid zstd stream.</exception>
    ulong DecompressedBound(byte* source, nuint length);

    /// <summary>Decompresses every frame of the source; returns the bytes written.</summary>
    /// <exception cref="ImageFormatException">A corrupt or truncated stream.</exception>
    nuint Decompress(byte* destination, nuint capacity, byte* source, nuint length);
}

/// <summary>zstd stream helpers shared by the decoders.</summary>
public static unsafe class Zstd
{
    /// <summary>Returned by ZSTD_decompressBound for an invalid stream (ZSTD_CONTENTSIZE_ERROR).</summary>
    public const ulong ContentSizeError = unchecked((ulong)-2);

    /// <summary>True when the data starts with a zstd frame (magic 0xFD2FB528, little-endian).</summary>
    public static bool HasMagic(byte* data, ulong length) =>
        length >= 4 && data[0] == 0x28 && data[1] == 0xb5 && data[2] == 0x2f && data[3] == 0xfd;
}

/// <summary>The system's libzstd (<c>libzstd.so.1</c>), called through function pointers resolved once.</summary>
public sealed unsafe class NativeZstd : IZstdDecoder
{
    private static readonly Lazy<NativeZstd?> Loaded = new(Load);

    private readonly delegate* unmanaged<void*, nuint, ulong> _decompressBound;
    private readonly delegate* unmanaged<void*, nuint, void*, nuint, nuint> _decompress;
    private readonly delegate* unmanaged<nuint, uint> _isError;
    private readonly delegate* unmanaged<nuint, byte*> _getErrorName;

    private NativeZstd(nint library)
    {
        _decompressBound = (delegate* unmanaged<void*, nuint, ulong>)NativeLibrary.GetExport(library, "ZSTD_decompressBound");
        _decompress = (delegate* unmanaged<void*, nuint, void*, nuint, nuint>)NativeLibrary.GetExport(library, "ZSTD_decompress");
        _isError = (delegate* unmanaged<nuint, uint>)NativeLibrary.GetExport(library, "ZSTD_isError");
        _getErrorName = (delegate* unmanaged<nuint, byte*>)NativeLibrary.GetExport(library, "ZSTD_getErrorName");
    }

    /// <summary>The system library, or null when it (or one of the functions used) is missing.</summary>
    public static NativeZstd? Instance => Loaded.Value;

    private static NativeZstd? Load()
    {
        foreach (var name in (ReadOnlySpan<string>)["libzstd.so.1", "libzstd.so", "libzstd.1.dylib", "libzstd.dll"])
        {
            if (!NativeLibrary.TryLoad(name, out nint library))
                continue;
            // ZSTD_decompressBound appeared in zstd 1.4.10; an older library is treated as missing.
            if (NativeLibrary.TryGetExport(library, "ZSTD_decompressBound", out _))
                return new NativeZstd(library);
            NativeLibrary.Free(library);
        }
        return null;
    }

    public ulong DecompressedBound(byte* source, nuint length)
    {
        ulong bound = _decompressBound(source, length);
        if (bound == Zstd.ContentSizeError)
            throw new ImageFormatException("bad zstd stream: the frame headers are corrupt or truncated");
        return bound;
    }

    public nuint Decompress(byte* destination, nuint capacity, byte* source, nuint length)
    {
        nuint written = _decompress(destination, capacity, source, length);
        if (_isError(written) != 0)
            throw new ImageFormatException($"bad zstd stream: {Marshal.PtrToStringAnsi((nint)_getErrorName(written))}");
        return written;
    }
}
