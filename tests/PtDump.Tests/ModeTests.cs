using System;
using Walkers.Images;

namespace Walkers.PtDump.Tests;

/// <summary>
/// The modes without a committed capture (legacy 2-level, 5-level), on page tables written by hand, and the
/// image readers on such files (ELF32, raw). Expected lines follow QEMU 7.2's monitor.c rules (oracle README).
/// </summary>
public sealed class ModeTests : IDisposable
{
    private const ulong P = 0x1, W = 0x2, U = 0x4, A = 0x20, D = 0x40, PS = 0x80, G = 0x100, NX = 1UL << 63;
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>Page directory at 0x1000; a 4K page at 0x10000 with PAT set; a 4M page at 0xc0000000 with PSE-36 bit 13.</summary>
    private static SyntheticMemory LegacyTables()
    {
        var memory = new SyntheticMemory(0x10000);
        memory.Set32(0x1000, 0x2000 | (uint)(P | W | U));
        memory.Set32(0x2000 + 0x10 * 4, 0x0034_5000 | (uint)(P | U | A | PS)); // bit 7 is PAT at level 1
        memory.Set32(0x1000 + 0x300 * 4, 0x0040_2000 | (uint)(P | W | PS | G | A | D)); // bit 13: physical bit 32 (PSE-36)
        return memory;
    }

    [Fact]
    public void LegacyWithPseListsA4MPageAndClearsPatAtLevel1FromAnElf32Core()
    {
        var path = _temp.File("legacy.elf", LegacyTables().ElfCore(cr0: 0x8000_0011, cr3: 0x1000, cr4: 0x10, longMode: false, elf64: false));
        var (exit, stdout, stderr) = Cli.Run(path, "--format", "qemu-tlb");
        Assert.Equal("", stderr);
        Assert.Equal(0, exit);
        Assert.Equal("0000000000010000: 0000000000345000 ----A--U-\n"
            + "00000000c0000000: 0000000000400000 -GPDA---W\n", stdout); // the 4M mask drops the PSE-36 bits

        (exit, stdout, _) = Cli.Run(path, "--format", "qemu-mem");
        Assert.Equal(0, exit);
        Assert.Equal("0000000000010000-0000000000011000 0000000000001000 ur-\n"
            + "00000000c0000000-00000000c0400000 0000000000400000 -rw\n", stdout);
    }

    [Fact]
    public void LegacyTranslateOfA4MPageAddsThePse36AddressBits()
    {
        var path = _temp.File("legacy.elf", LegacyTables().ElfCore(cr0: 0x8000_0011, cr3: 0x1000, cr4: 0x10, longMode: false, elf64: false));
        var (exit, stdout, _) = Cli.Run("translate", path, "c0012345", "10abc", "100000000");
        Assert.Equal(0, exit);
        Assert.Equal("00000000c0012345 -> 0000000100412345 4M -GPDA---W -rwx\n"
            + "0000000000010abc -> 0000000000345abc 4K ----A--U- ur-x\n"
            + "0000000100000000 -> outside the 32-bit address space\n", stdout);
    }

    [Fact]
    public void LegacyWithoutPseFollowsTheDirectoryEntryAsATable()
    {
        // CR4.PSE=0: the "4M" entry points to a table at 0x402000, outside the 64 KiB image.
        var path = _temp.File("nopse.elf", LegacyTables().ElfCore(cr0: 0x8000_0011, cr3: 0x1000, cr4: 0, longMode: false, elf64: false));
        var (exit, stdout, _) = Cli.Run(path, "--format", "qemu-tlb");
        Assert.Equal(1, exit);
        Assert.Equal("0000000000010000: 0000000000345000 ----A--U-\n"
            + "# 00000000c0000000: level-2 entry points to a page table at 0x402000, outside the image; not read\n", stdout);
    }

    [Fact]
    public void RawImageWithCr3AndModeIsListed()
    {
        var path = _temp.File("legacy.raw", LegacyTables().Bytes);
        var (exit, stdout, _) = Cli.Run(path, "--cr3", "0x1000", "--mode", "legacy", "--format", "qemu-tlb");
        Assert.Equal(0, exit);
        Assert.Equal("0000000000010000: 0000000000345000 ----A--U-\n"
            + "00000000c0000000: 0000000000400000 -GPDA---W\n", stdout);
    }

    [Fact]
    public void ZstdCompressedRawImageIsDecompressedAndListed()
    {
        using var compressor = new ZstdSharp.Compressor(3);
        var path = _temp.File("legacy.raw.zst", compressor.Wrap(LegacyTables().Bytes).ToArray());
        var (exit, stdout, _) = Cli.Run(path, "--cr3", "1000", "--mode", "legacy", "--format", "qemu-tlb");
        Assert.Equal(0, exit);
        Assert.Equal("0000000000010000: 0000000000345000 ----A--U-\n"
            + "00000000c0000000: 0000000000400000 -GPDA---W\n", stdout);

        var (refused, _, stderr) = Cli.Run(path);
        Assert.Equal(1, refused);
        Assert.Contains("not an ELF core (no ELF magic after zstd decompression)", stderr);
    }

    [Fact]
    public void PagingDisabledPrintsWhatQemuPrints()
    {
        var path = _temp.File("real.elf", LegacyTables().ElfCore(cr0: 0x11, cr3: 0x1000, cr4: 0x10, longMode: false));
        var (exit, stdout, _) = Cli.Run(path, "--format", "qemu-tlb");
        Assert.Equal(0, exit);
        Assert.Equal("PG disabled\n", stdout);
    }

    [Fact]
    public void FiveLevelSignExtendsBit56AndListsTheInfoMemQemuIntends()
    {
        var memory = new SyntheticMemory(0x6000);
        memory.Set64(0x1000 + 511 * 8, 0x2000 | P | W | U);
        memory.Set64(0x2000 + 511 * 8, 0x3000 | P | W | U);
        memory.Set64(0x3000 + 510 * 8, 0x4000 | P | W | U);
        memory.Set64(0x4000, 0x5000 | P | W | U);
        memory.Set64(0x5000 + 8, 0x00ab_c000 | P | W | A | D | NX);
        ulong va = 0xfe00_0000_0000_0000UL | (511UL << 48) | (511UL << 39) | (510UL << 30) | (1UL << 12);
        var path = _temp.File("la57.elf", memory.ElfCore(cr0: 0x8000_0011, cr3: 0x1000, cr4: 0x1020, longMode: true));

        var (exit, stdout, stderr) = Cli.Run(path, "--format", "qemu-tlb");
        Assert.Equal("", stderr);
        Assert.Equal(0, exit);
        Assert.Equal($"{va:x16}: 0000000000abc000 X--DA---W\n", stdout);

        (exit, stdout, _) = Cli.Run(path, "--format", "qemu-mem");
        Assert.Equal(0, exit);
        Assert.Equal($"{va:x16}-{va + 0x1000:x16} 0000000000001000 -rw\n", stdout);

        (exit, stdout, _) = Cli.Run("translate", path, $"{va + 0x10:x}");
        Assert.Equal(0, exit);
        Assert.Equal($"{va + 0x10:x16} -> 0000000000abc010 4K X--DA---W -rw-\n", stdout);
    }

    [Fact]
    public unsafe void Elf32CoreGivesItsLoadSegmentsAsPhysicalMemory()
    {
        var memory = LegacyTables();
        var path = _temp.File("legacy.elf", memory.ElfCore(cr0: 0x8000_0011, cr3: 0x1000, cr4: 0x10, longMode: false, elf64: false));
        using var image = MemoryImage.Open(path);
        Assert.False(image.Elf!.Is64Bit);
        Assert.Equal(ElfCore.MachineI386, image.Elf.Machine);
        var segment = Assert.Single(image.Elf.LoadSegments);
        Assert.Equal(0x10000UL, segment.Size);
        Assert.Equal(0x2000u | (uint)(P | W | U), *(uint*)image.Memory.At(0x1000, 4));
        Assert.True(image.Memory.At(0xfffe, 4) is null); // straddles the end
        Assert.True(image.Memory.At(0x10000, 1) is null);
    }

    [Fact]
    public unsafe void WritableUncompressedImagesAreMappedCopyOnWrite()
    {
        var path = _temp.File("legacy.raw", LegacyTables().Bytes);
        using (var image = MemoryImage.Open(path, new MemoryImageOptions { AllowRaw = true, Writable = true }))
        {
            Assert.Equal(ImageKind.Raw, image.Kind);
            Assert.False(image.WasCompressed);
            *(uint*)image.Memory.At(0x1000, 4) = 0; // a visitor may write: the file must not change
        }
        Assert.Equal(LegacyTables().Bytes, System.IO.File.ReadAllBytes(path));
    }
}
