using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;

namespace Walkers.Images;

/// <summary>What a file holds once any compression is undone.</summary>
public enum ImageKind
{
    /// <summary>An ELF core: PT_LOAD segments give the physical ranges (<c>p_paddr</c>).</summary>
    ElfCore,

    /// <summary>A raw physical image: file offset = physical address.</summary>
    Raw,
}

/// <summary>How <see cref="MemoryImage.Open"/> reads a file.</summary>
public sealed class MemoryImageOptions
{
    /// <summary>A file that is not an ELF core is taken as a raw physical image instead of being refused.</summary>
    public bool AllowRaw { get; init; }

    /// <summary>The zstd decoder for compressed files; null means the system's libzstd (<see cref="NativeZstd"/>), else the managed port.</summary>
    public IZstdDecoder? Zstd { get; init; }

    /// <summary>
    /// The image may be written (a visitor that changes entries): an uncompressed file is then mapped copy-on-write,
    /// which the system charges against its commit limit, so an image larger than memory may not open. By default
    /// images are mapped read-only and shared: never copied, never charged, any size.
    /// </summary>
    public bool Writable { get; init; }

    /// <summary>
    /// The most a compressed image without ELF headers (a raw image) may decompress to when its frames record no size.
    /// An ELF core may decompress to exactly what its headers claim (the furthest segment, header table or section
    /// table); a stream going past that is refused (a zstd bomb).
    /// </summary>
    public ulong MaxRawBytes { get; init; } = 1UL << 40;

    /// <summary>
    /// A compressed image larger than this is decompressed into a temporary file (deleted when the image is
    /// disposed) instead of memory; default: half the memory available to the process.
    /// </summary>
    public ulong? InMemoryLimit { get; init; }

    /// <summary>Where the temporary file goes; default: the system's temporary directory.</summary>
    public string? TemporaryDirectory { get; init; }

    /// <summary>Told (bytes done, bytes expected) about once a second while a decompression takes longer than one.</summary>
    public Action<ulong, ulong>? Progress { get; init; }
}

/// <summary>
/// Physical memory read from a file: an ELF core (QEMU <c>dump-guest-memory</c>) or a raw image, either uncompressed
/// (memory-mapped read-only, never copied, any size) or zstd-compressed (decompressed in pieces into native memory, or
/// into a temporary file when it is larger than memory allows). <see cref="Memory"/> is what the walkers read; it is
/// valid until <see cref="Dispose"/>. Only regular files and block devices are opened: a FIFO, a character device or a
/// socket would block or stream, so they are refused.
/// </summary>
public sealed unsafe partial class MemoryImage : IDisposable
{
    private MemoryMappedFile? _mappedFile;
    private MemoryMappedViewAccessor? _view;
    private FencedBuffer? _decompressed;
    private bool _pointerAcquired;
    private FileStream? _temporary;

    private MemoryImage(string path) => Path = path;

    public string Path { get; }

    public ImageKind Kind { get; private set; }

    /// <summary>The file was zstd-compressed.</summary>
    public bool WasCompressed { get; private set; }

    /// <summary>The decompressed image lives in a temporary file (it was larger than the in-memory limit).</summary>
    public bool InTemporaryFile => _temporary is not null;

    /// <summary>The ELF headers, or null for a raw image.</summary>
    public ElfCore? Elf { get; private set; }

    /// <summary>The physical memory the image holds, for the walkers.</summary>
    public SegmentedMemory Memory { get; private set; }

    /// <summary>The (decompressed) file content.</summary>
    public byte* Data { get; private set; }

    /// <summary>Bytes at <see cref="Data"/>.</summary>
    public ulong Length { get; private set; }

    /// <summary>Opens an image file; see the type's summary for what it accepts.</summary>
    /// <exception cref="ImageFormatException">Missing, unreadable, empty, truncated or malformed file, a file that is not a regular file or block device, or a bad zstd stream.</exception>
    public static MemoryImage Open(string path, MemoryImageOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        options ??= new MemoryImageOptions();
        var image = new MemoryImage(path);
        try
        {
            FileKind.Check(path);
            image.MapFile(options.Writable);
            if (Zstd.HasMagic(image.Data, image.Length))
                image.Decompress(options.Zstd ?? NativeZstd.Instance ?? (IZstdDecoder)ManagedZstd.Instance, options, options.AllowRaw);
            image.ReadLayout(options.AllowRaw);
            return image;
        }
        catch
        {
            image.Dispose();
            throw;
        }
    }

    /// <summary>The bytes of a note's descriptor (inside the file, checked when the headers were parsed).</summary>
    public ReadOnlySpan<byte> NoteDescriptor(ElfNote note) =>
        note.DescriptorOffset <= Length && note.DescriptorSize <= Length - note.DescriptorOffset
            ? new ReadOnlySpan<byte>(Data + note.DescriptorOffset, (int)note.DescriptorSize)
            : throw new ArgumentException("The note is not inside this image.", nameof(note));

    private void MapFile(bool writable)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.None);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ImageFormatException($"{Path}: no such file", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new ImageFormatException($"{Path}: permission denied", e);
        }
        catch (Exception e) when (e is IOException or NotSupportedException or ArgumentException)
        {
            throw new ImageFormatException($"{Path}: cannot open: {OneLine(e.Message)}", e);
        }
        MapStream(stream, writable ? MemoryMappedFileAccess.CopyOnWrite : MemoryMappedFileAccess.Read);
    }

    private void MapStream(FileStream stream, MemoryMappedFileAccess access, bool leaveOpen = false)
    {
        try
        {
            // A block device has no size in stat: its end is where a seek to the end lands.
            long length = stream.Length != 0 ? stream.Length : stream.CanSeek ? stream.Seek(0, SeekOrigin.End) : 0;
            if (length == 0)
                throw new ImageFormatException($"{Path}: empty file");
            _mappedFile = MemoryMappedFile.CreateFromFile(stream, mapName: null, capacity: 0, access, HandleInheritability.None, leaveOpen);
            _view = _mappedFile.CreateViewAccessor(0, 0, access);
            byte* pointer = null;
            _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            _pointerAcquired = true;
            Data = pointer + _view.PointerOffset;
            Length = (ulong)length;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            if (!leaveOpen)
                stream.Dispose();
            throw new ImageFormatException($"{Path}: cannot map: {OneLine(e.Message)}", e);
        }
        catch (ImageFormatException)
        {
            if (!leaveOpen)
                stream.Dispose();
            throw;
        }
    }

    /// <summary>An ELF core's headers are read from the first megabyte of the stream; it is also the size of the pieces decompressed.</summary>
    private const int PieceBytes = 1 << 20;

    private const int PageBytes = 4096;

    /// <summary>
    /// Decompresses piece by piece through a staging buffer: the first piece gives the size the headers claim, which
    /// bounds the rest; all-zero pages are not copied, so the destination (zero-filled memory or a sparse file) only
    /// commits pages that hold something, and a stream of zeros costs time but no memory.
    /// </summary>
    private void Decompress(IZstdDecoder decoder, MemoryImageOptions options, bool allowRaw)
    {
        using var stream = decoder.Open();
        var input = new ZstdBuffer(Data, (nuint)Length);
        byte* staging = (byte*)NativeMemory.Alloc(PieceBytes);
        try
        {
            var first = new ZstdBuffer(staging, PieceBytes);
            bool frameEnded = Fill(stream, ref input, ref first);
            if (first.Position == 0)
                throw new ImageFormatException($"{Path}: the zstd stream holds no data");
            var (limit, claimedByElf) = Limit(new ReadOnlySpan<byte>(staging, (int)first.Position), options, allowRaw);
            if (first.Position > limit)
                throw Bomb(limit, claimedByElf);

            ulong inMemory = options.InMemoryLimit ?? (ulong)GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 2;
            byte* destination = limit <= inMemory ? AllocateZeroed(limit) : CreateTemporary(limit, options.TemporaryDirectory);
            CopyNonZeroPages(staging, destination, first.Position);
            ulong written = first.Position;
            var clock = Stopwatch.StartNew();
            long nextReport = Stopwatch.Frequency;
            while (!(frameEnded && input.Left == 0))
            {
                var piece = new ZstdBuffer(staging, PieceBytes);
                nuint consumed = input.Position;
                frameEnded = Fill(stream, ref input, ref piece);
                if (piece.Position == 0 && input.Position == consumed)
                    throw new ImageFormatException($"{Path}: the zstd stream is truncated (a frame ends early)");
                if (piece.Position > limit - written)
                    throw Bomb(limit, claimedByElf);
                CopyNonZeroPages(staging, destination + written, piece.Position);
                written += piece.Position;
                if (options.Progress is { } progress && clock.ElapsedTicks > nextReport)
                {
                    progress(written, limit);
                    nextReport = clock.ElapsedTicks + Stopwatch.Frequency;
                }
            }
            options.Progress?.Invoke(written, limit);

            // The compressed file is no longer needed: the image lives in the zeroed memory or the temporary file.
            ReleaseMapping();
            if (_temporary is not null)
            {
                ReleaseWriteMapping();
                _temporary.SetLength((long)written);
                MapStream(_temporary, options.Writable ? MemoryMappedFileAccess.ReadWrite : MemoryMappedFileAccess.Read, leaveOpen: true);
            }
            else
            {
                Data = destination;
            }
            Length = written;
            WasCompressed = true;
        }
        finally
        {
            NativeMemory.Free(staging);
        }
    }

    private ImageFormatException Bomb(ulong limit, bool claimedByElf) => new(claimedByElf
        ? $"{Path}: the zstd stream decompresses past the {limit} bytes its ELF headers claim (refused: a zstd bomb, or a damaged file)"
        : $"{Path}: the zstd stream decompresses past {limit} bytes (its frame size, or the raw-image limit; refused: a zstd bomb, or a damaged file)");

    /// <summary>Decompresses until <paramref name="output"/> is full or the input stops giving; true when the last frame is complete.</summary>
    private static bool Fill(IZstdStream stream, ref ZstdBuffer input, ref ZstdBuffer output)
    {
        bool frameEnded = false;
        while (output.Left > 0)
        {
            nuint produced = output.Position, consumed = input.Position;
            frameEnded = stream.Decompress(ref input, ref output);
            if (input.Left == 0 && frameEnded)
                break;
            if (output.Position == produced && input.Position == consumed)
                break; // no progress: the input ended inside a frame
        }
        return frameEnded;
    }

    /// <summary>What the decompressed image may be at most: what its ELF headers claim, or for a raw image its frame size or the raw limit.</summary>
    private (ulong Limit, bool ClaimedByElf) Limit(ReadOnlySpan<byte> start, MemoryImageOptions options, bool allowRaw)
    {
        fixed (byte* data = start)
        {
            if (ElfCore.HasMagic(data, (ulong)start.Length))
            {
                return ElfCore.ClaimedLength(start) is ulong claimed
                    ? (claimed, true)
                    : throw new ImageFormatException($"{Path}: the ELF headers are malformed, or do not fit in the first {PieceBytes} bytes of the stream");
            }
        }
        if (!allowRaw)
            throw new ImageFormatException($"{Path}: not an ELF core (no ELF magic after zstd decompression)");
        return (Zstd.FrameContentSize(Data, Length) is ulong frame && frame <= options.MaxRawBytes ? frame : options.MaxRawBytes, false);
    }

    private static void CopyNonZeroPages(byte* from, byte* to, nuint length)
    {
        for (nuint at = 0; at < length; at += PageBytes)
        {
            var page = new ReadOnlySpan<byte>(from + at, (int)Math.Min(PageBytes, length - at));
            if (page.ContainsAnyExcept((byte)0))
                page.CopyTo(new Span<byte>(to + at, page.Length));
        }
    }

    /// <summary>Zero-filled, fenced memory: its pages stay uncommitted until written, and a read past either end faults.</summary>
    private byte* AllocateZeroed(ulong bytes)
    {
        if (bytes > nuint.MaxValue)
            throw new ImageFormatException($"a decompressed image of {bytes} bytes cannot be addressed by this process");
        try
        {
            _decompressed = new FencedBuffer((nuint)bytes);
        }
        catch (OutOfMemoryException e)
        {
            throw new ImageFormatException($"a decompressed image of {bytes} bytes cannot be allocated", e);
        }
        AdviseHugePages(_decompressed.Pointer, (nuint)bytes);
        return _decompressed.Pointer;
    }

    private MemoryMappedFile? _writeMapping;
    private MemoryMappedViewAccessor? _writeView;

    /// <summary>A temporary file of <paramref name="bytes"/> (sparse until written), mapped for writing; deleted when the image is disposed.</summary>
    private byte* CreateTemporary(ulong bytes, string? directory)
    {
        string path = System.IO.Path.Combine(directory ?? System.IO.Path.GetTempPath(), $"walkers-image-{Environment.ProcessId}-{Guid.NewGuid():N}.raw");
        // An ELF header can claim up to 2^64 bytes: past what a file can hold, SetLength throws ArgumentOutOfRangeException.
        if (bytes > long.MaxValue)
            throw new ImageFormatException($"{Path}: a decompressed image of {bytes} bytes cannot be held in a temporary file");
        try
        {
            _temporary = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, bufferSize: 1, FileOptions.DeleteOnClose);
            _temporary.SetLength((long)bytes);
            _writeMapping = MemoryMappedFile.CreateFromFile(_temporary, null, 0, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: true);
            _writeView = _writeMapping.CreateViewAccessor(0, 0, MemoryMappedFileAccess.ReadWrite);
            byte* pointer = null;
            _writeView.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            return pointer + _writeView.PointerOffset;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentOutOfRangeException)
        {
            // The file system's limit (ext4: 16 TiB) comes back as "file too large" (IOException) or, from .NET's own
            // checks, as ArgumentOutOfRangeException; either way the image cannot be opened, which is bad input.
            throw new ImageFormatException($"{Path}: cannot make a temporary file of {bytes} bytes for the decompressed image: {OneLine(e.Message)}", e);
        }
    }

    private void ReleaseWriteMapping()
    {
        if (_writeView is not null)
        {
            _writeView.SafeMemoryMappedViewHandle.ReleasePointer();
            _writeView.Dispose();
            _writeView = null;
        }
        _writeMapping?.Dispose();
        _writeMapping = null;
    }

    private void ReadLayout(bool allowRaw)
    {
        if (ElfCore.HasMagic(Data, Length))
        {
            try
            {
                Elf = ElfCore.Parse(Data, Length);
            }
            catch (ImageFormatException e)
            {
                throw new ImageFormatException($"{Path}: {e.Message}", e);
            }
            var segments = new List<FlatMemory>(Elf.LoadSegments.Length);
            foreach (var load in Elf.LoadSegments)
                segments.Add(new FlatMemory(Data + load.FileOffset, load.PhysicalAddress, load.Size));
            Memory = new SegmentedMemory(segments);
            Kind = ImageKind.ElfCore;
        }
        else if (allowRaw)
        {
            Memory = new SegmentedMemory([new FlatMemory(Data, 0, Length)]);
            Kind = ImageKind.Raw;
        }
        else
        {
            throw new ImageFormatException($"{Path}: not an ELF core (no ELF magic{(WasCompressed ? " after zstd decompression" : "")})");
        }
    }

    private const int HugePageSize = 2 << 20;

    /// <summary>
    /// Asks Linux for transparent huge pages on the decompression buffer: a 128 MiB image then faults in 64
    /// times instead of 32768, which is most of the system time of a decompression. Only advice; failure is fine.
    /// </summary>
    private static void AdviseHugePages(byte* buffer, nuint length)
    {
        if (!OperatingSystem.IsLinux() || length < 2 * HugePageSize)
            return;
        const int MadviseHugePage = 14; // MADV_HUGEPAGE
        // madvise wants a page-aligned start: advise the whole huge pages inside the block.
        nuint first = ((nuint)buffer + HugePageSize - 1) & ~(nuint)(HugePageSize - 1);
        nuint last = ((nuint)buffer + length) & ~(nuint)(HugePageSize - 1);
        try
        {
            _ = Madvise((void*)first, last - first, MadviseHugePage);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
        }
    }

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(void* address, nuint length, int advice);

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();

    private void ReleaseMapping()
    {
        if (_pointerAcquired)
        {
            _view!.SafeMemoryMappedViewHandle.ReleasePointer();
            _pointerAcquired = false;
        }
        _view?.Dispose();
        _view = null;
        _mappedFile?.Dispose();
        _mappedFile = null;
    }

    public void Dispose()
    {
        ReleaseWriteMapping();
        ReleaseMapping();
        _temporary?.Dispose();
        _temporary = null;
        _decompressed?.Dispose();
        _decompressed = null;
        Data = null;
        Length = 0;
        Memory = default;
    }
}
