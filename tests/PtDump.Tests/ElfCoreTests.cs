using System;
using Walkers.Images;

namespace Walkers.PtDump.Tests;

/// <summary>The ELF core reader on malformed headers: each a clear ImageFormatException, never a read past the buffer.</summary>
public sealed unsafe class ElfCoreTests
{
    private static byte[] Core64() => new SyntheticMemory(0x2000).ElfCore(cr0: 0x8000_0011, cr3: 0x1000, cr4: 0x20, longMode: true);

    private static ElfCore Parse(byte[] file)
    {
        fixed (byte* data = file)
            return ElfCore.Parse(data, (ulong)file.Length);
    }

    private static string ParseError(byte[] file) => Assert.Throws<ImageFormatException>(() => Parse(file)).Message;

    [Fact]
    public void ReadsLoadSegmentsAndTheQemuNote()
    {
        var core = Parse(Core64());
        Assert.True(core.Is64Bit);
        Assert.Equal(ElfCore.MachineX86_64, core.Machine);
        Assert.Equal(0x2000UL, Assert.Single(core.LoadSegments).Size);
        Assert.Equal(440u, core.FindNote("QEMU", 0)!.Value.DescriptorSize);
    }

    [Fact]
    public void ExtendedProgramHeaderCountComesFromSectionZero()
    {
        var file = Core64();
        var extended = new byte[file.Length + 64];
        file.CopyTo(extended, 0);
        int sectionHeader = file.Length;
        BitConverter.TryWriteBytes(extended.AsSpan(40, 8), (ulong)sectionHeader); // e_shoff
        BitConverter.TryWriteBytes(extended.AsSpan(58, 2), (ushort)64);           // e_shentsize
        BitConverter.TryWriteBytes(extended.AsSpan(56, 2), (ushort)0xffff);        // e_phnum = PN_XNUM
        BitConverter.TryWriteBytes(extended.AsSpan(sectionHeader + 44, 4), 2u);    // sh_info = real count
        Assert.Single(Parse(extended).LoadSegments);
    }

    [Fact]
    public void BigEndianIsRefused()
    {
        var file = Core64();
        file[5] = 2;
        Assert.Contains("big-endian", ParseError(file));
    }

    [Fact]
    public void UnknownClassIsRefused()
    {
        var file = Core64();
        file[4] = 7;
        Assert.Contains("ELF class", ParseError(file));
    }

    [Fact]
    public void ProgramHeadersPastTheEndAreRefused()
    {
        var file = Core64();
        BitConverter.TryWriteBytes(file.AsSpan(32, 8), (ulong)file.Length - 10); // e_phoff near the end
        Assert.Contains("truncated", ParseError(file));
    }

    [Fact]
    public void HugeProgramHeaderOffsetDoesNotWrapAround()
    {
        var file = Core64();
        BitConverter.TryWriteBytes(file.AsSpan(32, 8), ulong.MaxValue - 8);
        Assert.Contains("truncated", ParseError(file));
    }

    [Fact]
    public void NoteRunningPastItsSegmentIsRefused()
    {
        var file = Core64();
        int note = 64 + 2 * 56;
        BitConverter.TryWriteBytes(file.AsSpan(note + 4, 4), 0x7fff_fff0u); // descsz far too large
        Assert.Contains("malformed ELF note", ParseError(file));
    }

    [Fact]
    public void OverlappingLoadSegmentsAreRefused()
    {
        var file = Core64();
        BitConverter.TryWriteBytes(file.AsSpan(64, 4), 1u); // turn the PT_NOTE into a PT_LOAD at physical 0 too
        Assert.Contains("overlap", ParseError(file));
    }

    [Fact]
    public void LoadSegmentEndingAtTheTopOfThePhysicalSpaceIsAccepted()
    {
        var file = Core64();
        const ulong Top = 0xFFFF_FFFF_FFFF_E000; // [2^64 - 8 KiB, 2^64): ends at 2^64, does not wrap
        BitConverter.TryWriteBytes(file.AsSpan(64 + 56 + 24, 8), Top); // PT_LOAD p_paddr
        Assert.Equal(Top, Assert.Single(Parse(file).LoadSegments).PhysicalAddress);

        // ...and one starting inside it overlaps it (the end, 2^64, reads as 0).
        BitConverter.TryWriteBytes(file.AsSpan(64, 4), 1u); // the PT_NOTE becomes a PT_LOAD
        BitConverter.TryWriteBytes(file.AsSpan(64 + 24, 8), Top + 0x1000);
        Assert.Contains("overlap", ParseError(file));
    }

    [Fact]
    public void NoLoadSegmentIsRefused()
    {
        var file = Core64();
        BitConverter.TryWriteBytes(file.AsSpan(64 + 56, 4), 6u); // PT_LOAD -> PT_PHDR
        Assert.Contains("without PT_LOAD", ParseError(file));
    }
}
