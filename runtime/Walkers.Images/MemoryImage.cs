using System;
using System.Collections.Generic;
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

    /// <summary>The zstd decoder for compressed files; null means the system's libzstd (<see cref="NativeZstd"/>).</summary>
    public IZstdDecoder? Zstd { get; init; }
}

/// <summary>
/// Physical memory read from a file: an ELF core (QEMU <c>dump-guest-memory</c>) or a raw image, either
/// uncompressed (memory-mapped copy-on-write, never copied) or zstd-compressed (decompressed once into
/// native memory). <see cref="Memory"/> is what the walkers read; it is valid until <see cref="Dispose"/>.
/// </summary>
public sealed unsafe partial class MemoryImage : IDisposable
{
    private MemoryMappedFile? _mappedFile;
    private MemoryMappedViewAccessor? _view;
    private byte* _decompressed;
    private bool _pointerAcquired;

    private MemoryImage(string path) => Path = path;

    public string Path { get; }

    public ImageKind Kind { get; private set; }

    /// <summary>The file was zstd-compressed.</summary>
    public bool WasCompressed { get; private set; }

    /// <summary>The ELF headers, or null for a raw image.</summary>
    public ElfCore? Elf { get; private set; }

    /// <summary>The physical memory the image holds, for the walkers.</summary>
    public SegmentedMemory Memory { get; private set; }

    /// <summary>The (decompressed) file content.</summary>
    public byte* Data { get; private set; }

    /// <summary>Bytes at <see cref="Data"/>.</summary>
    public ulong Length { get; private set; }

    /// <summary>Opens an image file; see the type's summary for what it accepts.</summary>
    /// <exception cref="ImageFormatException">Missing, unreadable, empty, truncated or malformed file, or a bad zstd stream.</exception>
    public static MemoryImage Open(string path, MemoryImageOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        options ??= new MemoryImageOptions();
        var image = new MemoryImage(path);
        try
        {
            image.MapFile();
            if (Zstd.HasMagic(image.Data, image.Length))
                image.Decompress(options.Zstd ?? NativeZstd.Instance
                    ?? throw new ImageFormatException($"{path}: zstd-compressed, and no zstd decoder is available (libzstd.so.1 not found)"));
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

    private void MapFile()
    {
        FileStream stream;
        try
        {
            if (Directory.Exists(Path))
                throw new ImageFormatException($"{Path}: is a directory");
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

        try
        {
            long length = stream.Length;
            if (length == 0)
                throw new ImageFormatException($"{Path}: empty file");
            // Copy-on-write: a visitor that writes an entry changes a private copy, never the file (and never faults).
            _mappedFile = MemoryMappedFile.CreateFromFile(stream, mapName: null, capacity: 0, MemoryMappedFileAccess.CopyOnWrite,
                HandleInheritability.None, leaveOpen: false);
            _view = _mappedFile.CreateViewAccessor(0, 0, MemoryMappedFileAccess.CopyOnWrite);
            byte* pointer = null;
            _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            _pointerAcquired = true;
            Data = pointer + _view.PointerOffset;
            Length = (ulong)length;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            stream.Dispose();
            throw new ImageFormatException($"{Path}: cannot map: {OneLine(e.Message)}", e);
        }
        catch (ImageFormatException)
        {
            stream.Dispose();
            throw;
        }
    }

    private void Decompress(IZstdDecoder decoder)
    {
        ulong bound = decoder.DecompressedBound(Data, (nuint)Length);
        if (bound == 0)
            throw new ImageFormatException($"{Path}: the zstd stream holds no data");
        if (bound > nuint.MaxValue)
            throw new ImageFormatException($"{Path}: the zstd stream claims {bound} bytes, more than this process can address");
        byte* buffer;
        try
        {
            buffer = (byte*)NativeMemory.AlignedAlloc((nuint)bound, HugePageSize);
        }
        catch (OutOfMemoryException e)
        {
            throw new ImageFormatException($"{Path}: the zstd stream claims {bound} bytes, which cannot be allocated", e);
        }
        AdviseHugePages(buffer, (nuint)bound);
        nuint written;
        try
        {
            written = decoder.Decompress(buffer, (nuint)bound, Data, (nuint)Length);
        }
        catch (ImageFormatException e)
        {
            NativeMemory.AlignedFree(buffer);
            throw new ImageFormatException($"{Path}: {e.Message}", e);
        }
        catch
        {
            NativeMemory.AlignedFree(buffer); // a plugged-in decoder may fail in its own way: do not leak the image buffer
            throw;
        }
        // The compressed file is no longer needed: the image lives in the native buffer.
        ReleaseMapping();
        _decompressed = buffer;
        Data = buffer;
        Length = written;
        WasCompressed = true;
        if (written == 0)
            throw new ImageFormatException($"{Path}: the zstd stream holds no data");
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
        if (!OperatingSystem.IsLinux() || length < HugePageSize)
            return;
        const int MadviseHugePage = 14; // MADV_HUGEPAGE
        try
        {
            _ = Madvise(buffer, length & ~(nuint)(HugePageSize - 1), MadviseHugePage);
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
        ReleaseMapping();
        if (_decompressed is not null)
        {
            NativeMemory.AlignedFree(_decompressed);
            _decompressed = null;
        }
        Data = null;
        Length = 0;
        Memory = default;
    }
}
