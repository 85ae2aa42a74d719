using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using Walkers.Images;

namespace Walkers.PtDump.Tests;

/// <summary>
/// The other QEMU captures (5-level, legacy 2-level, a 1G leaf, a PTI user CR3), cut down to their page
/// tables (Data/README.md).
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

    [Theory]
    [InlineData("i386-2level")]
    [InlineData("x86_64-4level-1g")]
    [InlineData("x86_64-4level-pti")]
    public void QemuTlbIsByteForByteQemus(string variant) => Assert.Equal(Tlb(variant), Cli.Run(Image(variant), "--format", "qemu-tlb").Stdout);

    [Theory]
    [InlineData("i386-2level")]
    [InlineData("x86_64-4level-1g")]
    [InlineData("x86_64-4level-pti")]
    public void QemuMemIsByteForByteQemus(string variant) =>
        Assert.Equal(File.ReadAllText(Path.Combine(Folder(variant), "mem.txt")), Cli.Run(Image(variant), "--format", "qemu-mem").Stdout);

    [Fact]
    public void OneGigabyteLeafPrintsOneLineWithTheGigabyteMask() =>
        Assert.Contains("ffff888040000000: 0000000040000000 XGPDA---W\n", Cli.Run(Image("x86_64-4level-1g"), "--format", "qemu-tlb").Stdout);

    [Theory]
    [InlineData("x86_64-5level", "5level")]
    [InlineData("i386-2level", "legacy")]
    [InlineData("x86_64-4level-1g", "4level")]
    [InlineData("x86_64-4level-pti", "4level")]
    public void ModeAndCr3ComeFromTheQemuNote(string variant, string mode)
    {
        string regs = File.ReadAllText(Path.Combine(Folder(variant), "regs.txt"));
        using var image = MemoryImage.Open(Image(variant));
        var registers = Families.ControlRegisters.FromQemuNote(image)!.Value;
        Assert.Equal(ulong.Parse(Regex.Match(regs, @"\bCR3=([0-9a-f]+)").Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture), registers.Cr3);
        Assert.Equal(mode, registers.Layout.Name);
    }

    [Theory]
    [InlineData("x86_64-5level")]
    [InlineData("i386-2level")]
    [InlineData("x86_64-4level-1g")]
    [InlineData("x86_64-4level-pti")]
    public void TranslateAgreesWithInfoTlbForEveryListedPage(string variant)
    {
        var pages = Tlb(variant).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var (exit, stdout, stderr) = Cli.Run(["translate", Image(variant), .. pages.Select(line => line[..16])]);
        Assert.Equal("", stderr);
        Assert.Equal(0, exit);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(pages.Length, lines.Length);
        for (int i = 0; i < pages.Length; i++)
        {
            string flags = pages[i][35..];
            // A huge line looks the same at every size: the next listed address tells 2M/4M from 1G.
            string size = flags[2] != 'P' ? "4K" : variant == "i386-2level" ? "4M" : lines[i].Contains(" 1G ", StringComparison.Ordinal) ? "1G" : "2M";
            // The legacy 4M column drops PSE-36's high bits; these guests have none.
            Assert.StartsWith($"{pages[i][..16]} -> {pages[i][18..34]} {size} {flags} ", lines[i]); // then the effective u r w x
            if (size == "1G")
                Assert.True(i + 1 == pages.Length || Convert.ToUInt64(pages[i + 1][..16], 16) - Convert.ToUInt64(pages[i][..16], 16) >= 1UL << 30);
        }
    }
}
