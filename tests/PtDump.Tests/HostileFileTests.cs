using System;
using System.Diagnostics;
using System.IO;
using Walkers.Images;

namespace Walkers.PtDump.Tests;

/// <summary>
/// Files that are not what they claim: special files, ELF files that are not cores, zstd bombs, images larger than
/// memory. Each is refused (or opened) promptly with one line; nothing is decompressed or allocated past what the
/// headers claim.
/// </summary>
public sealed class HostileFileTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static void AssertRefused((int Exit, string Stdout, string Stderr) run, string expected)
    {
        Assert.Equal(1, run.Exit);
        Cli.AssertOneLineError(run.Stderr);
        Assert.Contains(expected, run.Stderr);
    }

    [Fact]
    public void FifoIsRefusedWithoutOpeningIt()
    {
        var fifo = Path.Combine(_temp.Path, "dump.fifo");
        Process.Start("mkfifo", [fifo]).WaitForExit();
        var clock = Stopwatch.StartNew();
        AssertRefused(Cli.Run(fifo), "is a FIFO");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void CharacterDeviceIsRefused() => AssertRefused(Cli.Run("/dev/zero", "--cr3", "0", "--mode", "4level"), "is a character device");

    [Fact]
    public void DirectoryIsRefusedAsADirectory() => AssertRefused(Cli.Run(_temp.Path), "is a directory");

    [Fact]
    public void ExecutableIsNotACore() => AssertRefused(Cli.Run("/bin/ls", "--cr3", "0x1000", "--mode", "4level"), "not an ELF core: e_type 3");

    [Fact]
    public void Elf32ClaimingLongModeIsRefused()
    {
        var core = new SyntheticMemory(0x2000).ElfCore(cr0: 0x80000011, cr3: 0x1000, cr4: 0x20, longMode: true, elf64: false);
        AssertRefused(Cli.Run(_temp.File("liar.elf", core)), "ELF32 file claims e_machine 62");
    }

    [Fact]
    public void ClaimedLengthCoversHeadersAndSegments()
    {
        var core = new SyntheticMemory(0x3000).ElfCore(cr0: 0x80000011, cr3: 0x1000, cr4: 0x20, longMode: true);
        Assert.Equal((ulong)core.Length, ElfCore.ClaimedLength(core));
        Assert.Null(ElfCore.ClaimedLength(core.AsSpan(0, 40)));
        Assert.Null(ElfCore.ClaimedLength("not an elf file at all"u8));
    }

    [Fact]
    public void ZstdBombBehindElfHeadersIsRefusedAtTheClaimedSize()
    {
        // A real core's headers claim 0x3000 bytes of memory; the stream goes on with 256 MiB of zeros.
        var core = new SyntheticMemory(0x3000).ElfCore(cr0: 0x80000011, cr3: 0x1000, cr4: 0x20, longMode: true);
        var path = Path.Combine(_temp.Path, "bomb.elf.zst");
        using (var file = File.Create(path))
        using (var compressor = new ZstdSharp.CompressionStream(file, 19))
        {
            compressor.Write(core);
            var zeros = new byte[1 << 20];
            for (int i = 0; i < 256; i++)
                compressor.Write(zeros);
        }
        Assert.True(new FileInfo(path).Length < 1 << 20);
        var run = Cli.Run(path);
        AssertRefused(run, "decompresses past the");
        Assert.Contains($"{core.Length} bytes its ELF headers claim", run.Stderr);
    }

    [Fact]
    public void CompressedRawStreamOfZerosCommitsNoMemory()
    {
        // 1 GiB of zeros in 40 KiB with no size in the frame: decompressed (it is a legal raw image) but never committed.
        var path = Path.Combine(_temp.Path, "zeros.raw.zst");
        using (var file = File.Create(path))
        using (var compressor = new ZstdSharp.CompressionStream(file, 19))
        {
            var zeros = new byte[1 << 20];
            for (int i = 0; i < 1024; i++)
                compressor.Write(zeros);
        }
        using var process = Process.GetCurrentProcess();
        using var image = MemoryImage.Open(path, new MemoryImageOptions { AllowRaw = true, InMemoryLimit = 4UL << 30 });
        Assert.Equal(1UL << 30, image.Length);
        process.Refresh();
        Assert.True(process.WorkingSet64 < 768L << 20, $"working set {process.WorkingSet64 >> 20} MiB after opening 1 GiB of zeros");
    }

    [Fact]
    public void RawStreamPastItsLimitIsRefused()
    {
        using var compressor = new ZstdSharp.Compressor(3);
        var path = _temp.File("big.raw.zst", compressor.Wrap(new byte[3 << 20]).ToArray());
        var error = Assert.Throws<ImageFormatException>(() =>
            MemoryImage.Open(path, new MemoryImageOptions { AllowRaw = true, MaxRawBytes = 1 << 20, InMemoryLimit = 1UL << 30 }));
        Assert.Contains("decompresses past 1048576 bytes", error.Message);
    }

    [Fact]
    public unsafe void CompressedImageLargerThanTheMemoryLimitGoesToATemporaryFileWithProgress()
    {
        var memory = new SyntheticMemory(0x3000);
        memory.Set64(0x1000, 0x2003);
        var core = memory.ElfCore(cr0: 0x80000011, cr3: 0x1000, cr4: 0x20, longMode: true);
        using var compressor = new ZstdSharp.Compressor(3);
        var path = _temp.File("core.elf.zst", compressor.Wrap(core).ToArray());
        var scratch = Directory.CreateDirectory(Path.Combine(_temp.Path, "scratch")).FullName;
        int reports = 0;
        using (var image = MemoryImage.Open(path, new MemoryImageOptions { InMemoryLimit = 0x1000, TemporaryDirectory = scratch, Progress = (_, _) => reports++ }))
        {
            Assert.True(image.InTemporaryFile);
            Assert.Equal((ulong)core.Length, image.Length);
            Assert.Equal(0x2003UL, *(ulong*)image.Memory.At(0x1000, 8));
            Assert.Single(Directory.GetFiles(scratch));
        }
        Assert.Empty(Directory.GetFiles(scratch));
        Assert.True(reports >= 1);
    }

    [Fact]
    public void SparseRawImageLargerThanMemoryOpensReadOnly()
    {
        // 64 GiB, almost all holes: a private (copy-on-write) mapping of it is charged against the commit limit on a
        // machine with less memory; a shared read-only one is not.
        var path = Path.Combine(_temp.Path, "huge.raw");
        using (var file = File.Create(path))
        {
            file.SetLength(64L << 30);
            file.Position = 0x1000;
            file.Write(BitConverter.GetBytes(0x2067UL));
        }
        var run = Cli.Run(path, "--cr3", "0x1000", "--mode", "4level", "--format", "qemu-mem");
        Assert.Equal(0, run.Exit);
        Assert.Equal("", run.Stderr);
    }
}
