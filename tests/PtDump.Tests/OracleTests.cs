using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.Json;
using System.Text.RegularExpressions;
using Walkers.Images;

namespace Walkers.PtDump.Tests;

/// <summary>ptdump against QEMU's own listings of the committed captures (../shared/oracle/data).</summary>
public sealed class OracleTests(UncompressedCaptures captures) : IClassFixture<UncompressedCaptures>
{
    public static TheoryData<string> Variants => new() { "x86_64-4level", "i386-pae" };

    [Theory]
    [MemberData(nameof(Variants))]
    public void QemuTlbFromZstdIsByteForByteQemusInfoTlb(string variant) =>
        AssertListing(Oracle.Compressed(variant), "qemu-tlb", Oracle.Text(variant, "tlb.txt"));

    [Theory]
    [MemberData(nameof(Variants))]
    public void QemuMemFromZstdIsByteForByteQemusInfoMem(string variant) =>
        AssertListing(Oracle.Compressed(variant), "qemu-mem", Oracle.Text(variant, "mem.txt"));

    [Theory]
    [MemberData(nameof(Variants))]
    public void QemuTlbFromMemoryMappedElfIsByteForByteQemusInfoTlb(string variant) =>
        AssertListing(captures.Path(variant), "qemu-tlb", Oracle.Text(variant, "tlb.txt"));

    [Theory]
    [MemberData(nameof(Variants))]
    public void QemuMemFromMemoryMappedElfIsByteForByteQemusInfoMem(string variant) =>
        AssertListing(captures.Path(variant), "qemu-mem", Oracle.Text(variant, "mem.txt"));

    [Theory]
    [MemberData(nameof(Variants))]
    public void ControlRegistersFromTheQemuNoteEqualRegsTxt(string variant)
    {
        string regs = Oracle.Text(variant, "regs.txt");
        ulong Register(string name) => ulong.Parse(Regex.Match(regs, $@"\b{name}=([0-9a-f]+)").Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        using var image = MemoryImage.Open(Oracle.Compressed(variant));
        var registers = Families.ControlRegisters.FromQemuNote(image)!.Value;
        Assert.Equal(Register("CR3"), registers.Cr3);
        Assert.Equal(Register("CR0"), registers.Cr0);
        Assert.Equal(Register("CR4"), registers.Cr4);
        bool lma = (Register("EFER") & 0x400) != 0;
        Assert.Equal(lma, registers.LongMode);
        Assert.Equal(variant == "i386-pae" ? Walkers.Layouts.ReadyLayouts.X86Pae : Walkers.Layouts.ReadyLayouts.X86_64, registers.Layout);
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void TranslateAgreesWithInfoTlbForEveryListedPage(string variant)
    {
        var pages = TlbLines(variant);
        bool pae = variant == "i386-pae";
        var (exit, stdout, stderr) = Cli.Run(["translate", captures.Path(variant), .. pages.Select(p => p.Va.ToString("x", CultureInfo.InvariantCulture))]);
        Assert.Equal("", stderr);
        Assert.Equal(0, exit);
        var lines = stdout.TrimEnd('\n').Split('\n');
        Assert.Equal(pages.Count, lines.Length);
        for (int i = 0; i < pages.Count; i++)
        {
            var page = pages[i];
            // PAE's "physical" column keeps bits 52-63 (NX): the address itself is bits 12-51.
            ulong physical = pae ? page.Physical & 0x000f_ffff_ffff_f000 : page.Physical;
            string size = page.Flags[2] == 'P' ? "2M" : "4K";
            Assert.StartsWith($"{page.Va:x16} -> {physical:x16} {size} {page.Flags} ", lines[i]); // then the effective u r w x
        }
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void TranslateAddsTheOffsetWithinThePage(string variant)
    {
        var page = TlbLines(variant).First(p => p.Flags[2] == 'P');
        ulong physical = page.Physical & 0x000f_ffff_ffff_f000;
        var (exit, stdout, _) = Cli.Run("translate", Oracle.Compressed(variant), (page.Va + 0x12345).ToString("x", CultureInfo.InvariantCulture));
        Assert.Equal(0, exit);
        Assert.StartsWith($"{page.Va + 0x12345:x16} -> {physical + 0x12345:x16} 2M {page.Flags} ", stdout);
    }

    [Fact]
    public void TranslateSaysNotMappedAndNotCanonical()
    {
        var (exit, stdout, _) = Cli.Run("translate", Oracle.Compressed("x86_64-4level"), "0", "0x0000800000000000");
        Assert.Equal(0, exit);
        Assert.Equal("0000000000000000 -> not mapped\n0000800000000000 -> not canonical\n", stdout);
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void JsonRunsCoverExactlyThePagesOfInfoTlb(string variant)
    {
        var pages = TlbLines(variant);
        var (exit, stdout, stderr) = Cli.Run(Oracle.Compressed(variant), "--format", "json");
        Assert.Equal(0, exit);
        Assert.Equal("", stderr);
        ulong pagesInRuns = 0;
        var starts = new HashSet<ulong>(pages.Select(p => p.Va));
        var lines = stdout.TrimEnd('\n').Split('\n');
        using (var space = JsonDocument.Parse(lines[0]))
        {
            Assert.Equal("x86", space.RootElement.GetProperty("architecture").GetString());
            Assert.Equal(variant == "i386-pae" ? "pae" : "4level", space.RootElement.GetProperty("mode").GetString());
        }
        foreach (var line in lines.Skip(1))
        {
            using var run = JsonDocument.Parse(line);
            var root = run.RootElement;
            ulong start = Convert.ToUInt64(root.GetProperty("start").GetString(), 16);
            ulong pageSize = root.GetProperty("page_size").GetUInt64();
            ulong count = root.GetProperty("pages").GetUInt64();
            Assert.Equal(pageSize * count, root.GetProperty("size").GetUInt64());
            for (ulong i = 0; i < count; i++)
                Assert.Contains(start + i * pageSize, starts);
            pagesInRuns += count;
        }
        Assert.Equal((ulong)pages.Count, pagesInRuns);
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void LinuxFormatMappedSizesAddUpToInfoTlbsPages(string variant)
    {
        var pages = TlbLines(variant);
        ulong expected = pages.Aggregate(0UL, (sum, p) => sum + (p.Flags[2] == 'P' ? 2UL << 20 : 4096UL));
        var (exit, stdout, _) = Cli.Run(Oracle.Compressed(variant), "--format", "linux");
        Assert.Equal(0, exit);
        ulong mapped = 0;
        ulong previousEnd = 0;
        bool first = true;
        foreach (var line in stdout.TrimEnd('\n').Split('\n'))
        {
            var match = Regex.Match(line, "^0x([0-9a-f]+)-0x([0-9a-f]+) +[0-9]+[BKMGTPE] (.*) (pte|pmd|pud|p4d|pgd)$");
            Assert.True(match.Success, line);
            ulong start = Convert.ToUInt64(match.Groups[1].Value, 16), end = Convert.ToUInt64(match.Groups[2].Value, 16);
            Assert.True(first || start >= previousEnd, "runs ascend");
            if (match.Groups[3].Value.Trim().Length > 0)
                mapped += end - start;
            previousEnd = end;
            first = false;
        }
        Assert.Equal(expected, mapped);
    }

    [Fact]
    public void RangeLimitsTheListingToTheGivenAddresses()
    {
        var pages = TlbLines("x86_64-4level").Where(p => p.Va >= 0xffff_8000_0000_0000).ToList();
        var (exit, stdout, _) = Cli.Run(Oracle.Compressed("x86_64-4level"), "--format", "qemu-tlb", "--range", "ffff800000000000-ffffffffffffffff");
        Assert.Equal(0, exit);
        var expected = string.Concat(Oracle.Text("x86_64-4level", "tlb.txt").Split('\n').Where(l => l.StartsWith("ffff", StringComparison.Ordinal)).Select(l => l + "\n"));
        Assert.Equal(pages.Count, stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal(expected, stdout);
    }

    [Fact]
    public void RangeWithoutAnEndRunsToTheTopOfTheAddressSpace()
    {
        var (exit, stdout, _) = Cli.Run(Oracle.Compressed("x86_64-4level"), "--format", "qemu-mem", "--range", "ffff800000000000-");
        Assert.Equal(0, exit);
        var expected = string.Concat(Oracle.Text("x86_64-4level", "mem.txt").Split('\n').Where(l => l.StartsWith("ffff", StringComparison.Ordinal)).Select(l => l + "\n"));
        Assert.Equal(expected, stdout);
    }

    [Fact]
    public void ManagedZstdDecoderGivesTheSameImageAsLibzstd()
    {
        using var managed = MemoryImage.Open(Oracle.Compressed("i386-pae"), new MemoryImageOptions { Zstd = ManagedZstd.Instance });
        using var native = MemoryImage.Open(Oracle.Compressed("i386-pae"));
        Assert.True(managed.WasCompressed);
        Assert.Equal(native.Length, managed.Length);
        unsafe
        {
            Assert.True(new ReadOnlySpan<byte>(managed.Data, (int)managed.Length).SequenceEqual(new ReadOnlySpan<byte>(native.Data, (int)native.Length)));
        }
    }

    private static void AssertListing(string image, string format, string expected)
    {
        var (exit, stdout, stderr) = Cli.Run(image, "--format", format);
        Assert.Equal("", stderr);
        Assert.Equal(0, exit);
        if (stdout != expected)
        {
            var actualLines = stdout.Split('\n');
            var expectedLines = expected.Split('\n');
            int first = Enumerable.Range(0, Math.Min(actualLines.Length, expectedLines.Length)).FirstOrDefault(i => actualLines[i] != expectedLines[i], -1);
            Assert.Fail($"{format} differs from QEMU at line {first + 1}: expected '{(first >= 0 ? expectedLines[first] : "")}', got '{(first >= 0 ? actualLines[first] : "")}' ({actualLines.Length} vs {expectedLines.Length} lines)");
        }
    }

    private static List<(ulong Va, ulong Physical, string Flags)> TlbLines(string variant) =>
        Oracle.Text(variant, "tlb.txt").Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => (Convert.ToUInt64(line[..16], 16), Convert.ToUInt64(line[18..34], 16), line[35..]))
            .ToList();
}
