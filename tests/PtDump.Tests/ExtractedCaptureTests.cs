using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using Walkers.Images;

namespace Walkers.PtDump.Tests;

/// <summary>
/// 5-level and legacy 2-level paging on real QEMU captures, cut down to their page tables (Data/README.md).
/// </summary>
public sealed class ExtractedCaptureTests
{
    private static string Folder(string variant) => Path.Combine(Oracle.RepositoryRoot, "tests", "PtDump.Tests", "Data", variant);

    private static string Image(string variant) => Path.Combine(Folder(variant), "tables.elf.zst");

    private static string Tlb(string variant)
    {
        using var decompressor = new ZstdSharp.Decompressor();
        return Encoding.ASCII.GetString(decompressor.Unwrap(File.ReadAllBytes(Path.Combine(Folder(variant), "tlb.txt.zst"))));
    }

    [Fact]
    public void FiveLevelQemuTlbIsByteForByteQemus() => Assert.Equal(Tlb("x86_64-5level"), Cli.Run(Image("x86_64-5level"), "--format", "qemu-tlb").Stdout);

    [Fact]
    public void FiveLevelQemuMemIsTheListingQemuIntends() =>
        Assert.Equal(File.ReadAllText(Path.Combine(Folder("x86_64-5level"), "mem-intended.txt")), Cli.Run(Image("x86_64-5level"), "--format", "qemu-mem").Stdout);

    [Fact]
    public void LegacyTwoLevelQemuTlbIsByteForByteQemus() => Assert.Equal(Tlb("i386-2level"), Cli.Run(Image("i386-2level"), "--format", "qemu-tlb").Stdout);

    [Fact]
    public void LegacyTwoLevelQemuMemIsByteForByteQemus() =>
        Assert.Equal(File.ReadAllText(Path.Combine(Folder("i386-2level"), "mem.txt")), Cli.Run(Image("i386-2level"), "--format", "qemu-mem").Stdout);

    [Theory]
    [InlineData("x86_64-5level", "FiveLevel")]
    [InlineData("i386-2level", "Legacy")]
    public void ModeAndCr3ComeFromTheQemuNote(string variant, string mode)
    {
        string regs = File.ReadAllText(Path.Combine(Folder(variant), "regs.txt"));
        using var image = MemoryImage.Open(Image(variant));
        var registers = ControlRegisters.FromQemuNote(image);
        Assert.Equal(ulong.Parse(Regex.Match(regs, @"\bCR3=([0-9a-f]+)").Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture), registers.Cr3);
        Assert.Equal(mode, registers.Mode.ToString());
    }

    [Theory]
    [InlineData("x86_64-5level")]
    [InlineData("i386-2level")]
    public void TranslateAgreesWithInfoTlbForEveryListedPage(string variant)
    {
        var pages = Tlb(variant).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var (exit, stdout, stderr) = Cli.Run(["translate", Image(variant), .. pages.Select(line => line[..16])]);
        Assert.Equal("", stderr);
        Assert.Equal(0, exit);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(pages.Length, lines.Length);
        string hugeSize = variant == "i386-2level" ? "4M" : "2M";
        for (int i = 0; i < pages.Length; i++)
        {
            string flags = pages[i][35..];
            // The legacy 4M column drops PSE-36's high bits; this guest has none (128 MiB).
            Assert.Equal($"{pages[i][..16]} -> {pages[i][18..34]} {(flags[2] == 'P' ? hugeSize : "4K")} {flags}", lines[i]);
        }
    }
}
