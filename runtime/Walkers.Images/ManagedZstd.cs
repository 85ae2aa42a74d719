using ZstdSharp.Unsafe;

namespace Walkers.Images;

/// <summary>ZstdSharp (a managed port of libzstd): the decoder when the system has no libzstd.so.1.</summary>
public sealed unsafe class ManagedZstd : IZstdDecoder
{
    public static readonly ManagedZstd Instance = new();

    public ulong DecompressedBound(byte* source, nuint length)
    {
        ulong bound = Methods.ZSTD_decompressBound(source, length);
        if (bound == Zstd.ContentSizeError)
            throw new ImageFormatException("bad zstd stream: the frame headers are corrupt or truncated");
        return bound;
    }

    public nuint Decompress(byte* destination, nuint capacity, byte* source, nuint length)
    {
        nuint written = Methods.ZSTD_decompress(destination, capacity, source, length);
        if (Methods.ZSTD_isError(written))
            throw new ImageFormatException($"bad zstd stream: {Methods.ZSTD_getErrorName(written)}");
        return written;
    }
}
