using System;
using System.Runtime.InteropServices;
using ZstdSharp.Unsafe;

namespace Walkers.Images;

/// <summary>
/// A zstd decoder as a stream (the shape of libzstd's <c>ZSTD_decompressStream</c>), so that a compressed image is
/// decompressed in pieces: its size can be checked against what its headers claim before it all exists, and a large
/// one can go to a file instead of memory. The package binds the system's libzstd (<see cref="NativeZstd"/>) and a
/// managed port (<see cref="ManagedZstd"/>).
/// </summary>
public interface IZstdDecoder
{
    /// <summary>A new decompression stream: one per image.</summary>
    IZstdStream Open();
}

/// <summary>One decompression in progress.</summary>
public unsafe interface IZstdStream : IDisposable
{
    /// <summary>
    /// Decompresses from <paramref name="input"/> into <paramref name="output"/>, advancing both; true when the last
    /// frame begun is complete and flushed (the stream may hold more frames).
    /// </summary>
    /// <exception cref="ImageFormatException">A corrupt stream.</exception>
    bool Decompress(ref ZstdBuffer input, ref ZstdBuffer output);
}

/// <summary>A piece of memory and how far a stream got in it (libzstd's ZSTD_inBuffer / ZSTD_outBuffer).</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct ZstdBuffer(byte* start, nuint size)
{
    public byte* Start = start;
    public nuint Size = size;
    public nuint Position;

    public readonly nuint Left => Size - Position;
}

/// <summary>zstd stream helpers shared by the decoders.</summary>
public static unsafe class Zstd
{
    /// <summary>The largest window a stream may use: 2^31 (zstd --long=31), above the default limit of 2^27.</summary>
    public const int MaxWindowLog = 31;

    /// <summary>True when the data starts with a zstd frame (magic 0xFD2FB528, little-endian).</summary>
    public static bool HasMagic(byte* data, ulong length) =>
        length >= 4 && data[0] == 0x28 && data[1] == 0xb5 && data[2] == 0x2f && data[3] == 0xfd;

    /// <summary>The content size the first frame header records, or null when it records none (or is not a frame header).</summary>
    public static ulong? FrameContentSize(byte* data, ulong length)
    {
        ulong size = Methods.ZSTD_getFrameContentSize(data, (nuint)Math.Min(length, 18));
        return size >= unchecked((ulong)-2) ? null : size; // ZSTD_CONTENTSIZE_UNKNOWN / _ERROR
    }
}

/// <summary>The system's libzstd (<c>libzstd.so.1</c>), called through function pointers resolved once.</summary>
public sealed unsafe class NativeZstd : IZstdDecoder
{
    private static readonly Lazy<NativeZstd?> Loaded = new(Load);

    private readonly delegate* unmanaged<void*> _create;
    private readonly delegate* unmanaged<void*, nuint> _free;
    private readonly delegate* unmanaged<void*, int, int, nuint> _setParameter;
    private readonly delegate* unmanaged<void*, ZstdBuffer*, ZstdBuffer*, nuint> _decompressStream;
    private readonly delegate* unmanaged<nuint, uint> _isError;
    private readonly delegate* unmanaged<nuint, byte*> _getErrorName;

    private NativeZstd(nint library)
    {
        _create = (delegate* unmanaged<void*>)NativeLibrary.GetExport(library, "ZSTD_createDCtx");
        _free = (delegate* unmanaged<void*, nuint>)NativeLibrary.GetExport(library, "ZSTD_freeDCtx");
        _setParameter = (delegate* unmanaged<void*, int, int, nuint>)NativeLibrary.GetExport(library, "ZSTD_DCtx_setParameter");
        _decompressStream = (delegate* unmanaged<void*, ZstdBuffer*, ZstdBuffer*, nuint>)NativeLibrary.GetExport(library, "ZSTD_decompressStream");
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
            // ZSTD_DCtx_setParameter appeared in zstd 1.4.0; an older library is treated as missing.
            if (NativeLibrary.TryGetExport(library, "ZSTD_DCtx_setParameter", out _))
                return new NativeZstd(library);
            NativeLibrary.Free(library);
        }
        return null;
    }

    public IZstdStream Open()
    {
        void* context = _create();
        if (context == null)
            throw new OutOfMemoryException("libzstd could not create a decompression context");
        const int WindowLogMax = 100; // ZSTD_d_windowLogMax
        Check(_setParameter(context, WindowLogMax, Zstd.MaxWindowLog));
        return new Stream(this, context);
    }

    private void Check(nuint code)
    {
        if (_isError(code) != 0)
            throw new ImageFormatException($"bad zstd stream: {Marshal.PtrToStringAnsi((nint)_getErrorName(code))}");
    }

    private sealed class Stream(NativeZstd library, void* context) : IZstdStream
    {
        private void* _context = context;

        public bool Decompress(ref ZstdBuffer input, ref ZstdBuffer output)
        {
            ObjectDisposedException.ThrowIf(_context == null, this);
            fixed (ZstdBuffer* inBuffer = &input, outBuffer = &output)
            {
                nuint hint = library._decompressStream(_context, outBuffer, inBuffer);
                library.Check(hint);
                return hint == 0;
            }
        }

        public void Dispose()
        {
            if (_context != null)
                library._free(_context);
            _context = null;
        }
    }
}

/// <summary>ZstdSharp (a managed port of libzstd): the decoder when the system has no libzstd.so.1.</summary>
public sealed unsafe class ManagedZstd : IZstdDecoder
{
    public static readonly ManagedZstd Instance = new();

    public IZstdStream Open()
    {
        var context = Methods.ZSTD_createDCtx();
        Check(Methods.ZSTD_DCtx_setParameter(context, ZSTD_dParameter.ZSTD_d_windowLogMax, Zstd.MaxWindowLog));
        return new Stream(context);
    }

    private static void Check(nuint code)
    {
        if (Methods.ZSTD_isError(code))
            throw new ImageFormatException($"bad zstd stream: {Methods.ZSTD_getErrorName(code)}");
    }

    private sealed class Stream(ZSTD_DCtx_s* context) : IZstdStream
    {
        private ZSTD_DCtx_s* _context = context;

        public bool Decompress(ref ZstdBuffer input, ref ZstdBuffer output)
        {
            ObjectDisposedException.ThrowIf(_context == null, this);
            var inBuffer = new ZSTD_inBuffer_s { src = input.Start, size = input.Size, pos = input.Position };
            var outBuffer = new ZSTD_outBuffer_s { dst = output.Start, size = output.Size, pos = output.Position };
            nuint hint = Methods.ZSTD_decompressStream(_context, &outBuffer, &inBuffer);
            input.Position = inBuffer.pos;
            output.Position = outBuffer.pos;
            Check(hint);
            return hint == 0;
        }

        public void Dispose()
        {
            if (_context != null)
                Methods.ZSTD_freeDCtx(_context);
            _context = null;
        }
    }
}
