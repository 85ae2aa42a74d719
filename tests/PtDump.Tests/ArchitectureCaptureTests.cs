using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Walkers.PtDump.Tests;

/// <summary>
/// ptdump on the AArch64 and RISC-V captures beside the repository (../shared/oracle-arm64, ../shared/oracle-riscv):
/// roots from their regs.txt or found by scanning, checked against what the guest itself reported (pagemap of the
/// running program, the kernel's own ptdump) and against QEMU's info mem.
/// </summary>
public sealed class ArchitectureCaptureTests
{
    public static TheoryData<string> Captures => new() { "a72", "sv39" };

    private static string Folder(string capture) => Path.GetFullPath(Path.Combine(Oracle.RepositoryRoot, "..", "shared",
        capture == "a72" ? "oracle-arm64/data/a72-4k" : "oracle-riscv/data/sv39"));

    private static string Image(string capture) => Path.Combine(Folder(capture), "mem.elf.zst");

    private static string Regs(string capture) => Path.Combine(Folder(capture), "regs.txt");

    private static string Truth(string capture, string file) => File.ReadAllText(Path.Combine(Folder(capture), file));

    private static List<(ulong Va, ulong Pa)> UserPages(string capture) =>
        File.ReadLines(Path.Combine(Folder(capture), "truth-user.txt"))
            .Where(line => line.Length > 0 && line[0] != '#')
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(f => (Hex(f[0]), Hex(f[1])))
            .ToList();

    private static ulong Hex(string text) => ulong.Parse(text.StartsWith("0x") ? text[2..] : text, NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    [Theory]
    [MemberData(nameof(Captures))]
    public void EveryTruthUserPageTranslatesToItsPhysicalAddress(string capture)
    {
        var pages = UserPages(capture);
        var (exit, stdout, stderr) = Cli.Run(["translate", Image(capture), "--regs", Regs(capture), .. pages.Select(p => $"{p.Va + 0x123:x}")]);
        Assert.Equal("", stderr);
        Assert.Equal(0, exit);
        var lines = stdout.TrimEnd('\n').Split('\n');
        Assert.Equal(pages.Count, lines.Length);
        for (int i = 0; i < pages.Count; i++)
        {
            var match = Regex.Match(lines[i], "^([0-9a-f]{16}) -> ([0-9a-f]{16}) ");
            Assert.True(match.Success, lines[i]);
            Assert.Equal(pages[i].Va + 0x123, Hex(match.Groups[1].Value));
            Assert.Equal(pages[i].Pa + 0x123, Hex(match.Groups[2].Value));
        }
    }

    [Theory]
    [MemberData(nameof(Captures))]
    public void TheUserHalfListingCoversExactlyTheTruthPages(string capture)
    {
        string top = capture == "a72" ? "ffffffffffff" : "3fffffffff";
        var (exit, stdout, stderr) = Cli.Run(Image(capture), "--regs", Regs(capture), "--format", "json", "--range", $"0-{top}");
        Assert.Equal("", stderr);
        Assert.Equal(0, exit);
        var listed = new Dictionary<ulong, ulong>();
        var lines = stdout.TrimEnd('\n').Split('\n');
        using (var space = JsonDocument.Parse(lines[0]))
            Assert.Equal(capture == "a72" ? "arm64" : "riscv", space.RootElement.GetProperty("architecture").GetString());
        foreach (var line in lines.Skip(1))
        {
            using var run = JsonDocument.Parse(line);
            ulong start = Hex(run.RootElement.GetProperty("start").GetString()!);
            ulong physical = Hex(run.RootElement.GetProperty("physical").GetString()!);
            ulong size = run.RootElement.GetProperty("size").GetUInt64();
            for (ulong offset = 0; offset < size; offset += 4096)
                listed.Add(start + offset, physical + offset);
        }
        var truth = UserPages(capture).ToDictionary(p => p.Va, p => p.Pa);
        Assert.Equal(truth.Count, listed.Count);
        foreach (var (va, pa) in truth)
            Assert.Equal(pa, listed[va]);
    }

    [Theory]
    [MemberData(nameof(Captures))]
    public void LinuxFormatWithNoRootIsTheKernelsOwnPtdump(string capture)
    {
        var (exit, stdout, stderr) = Cli.Run(Image(capture), "--format", "linux");
        Assert.Equal(0, exit);
        Assert.Equal(Truth(capture, "truth-kernel.txt"), stdout);
        Cli.AssertOneLineError(stderr); // one line on stderr: which root was taken, and why
        Assert.Contains(capture == "a72" ? "root 0x404b9000" : "root 0x80ca0000", stderr);
    }

    [Fact]
    public void Arm64LinuxFormatFromTheRegistersKernelHalfIsTheKernelsOwnPtdump()
    {
        // At EL0 under KPTI, TTBR1 holds the trampoline table; swapper_pg_dir (two pages above it) is what the kernel lists.
        var (exit, stdout, stderr) = Cli.Run(Image("a72"), "--ttbr1", "0x404b9000", "--tcr", "0x00400034b5503510", "--format", "linux");
        Assert.Equal("", stderr);
        Assert.Equal(0, exit);
        Assert.Equal(Truth("a72", "truth-kernel.txt"), stdout);
    }

    [Fact]
    public void RiscVLinuxFormatFromTheRegistersKernelHalfIsTheKernelsOwnPtdump()
    {
        // satp holds the process's table, whose kernel half is the kernel's own.
        var (exit, stdout, stderr) = Cli.Run(Image("sv39"), "--regs", Regs("sv39"), "--format", "linux", "--range", "ffffffc000000000-ffffffffffffffff");
        Assert.Equal("", stderr);
        Assert.Equal(0, exit);
        Assert.Equal(Truth("sv39", "truth-kernel.txt"), stdout);
    }

    [Fact]
    public void RiscVQemuMemIsByteForByteQemusInfoMem()
    {
        var (exit, stdout, stderr) = Cli.Run(Image("sv39"), "--satp", "0x80003000000812aa", "--format", "qemu-mem");
        Assert.Equal("", stderr);
        Assert.Equal(0, exit);
        Assert.Equal(Truth("sv39", "mem.txt"), stdout);
    }

    public static TheoryData<string, string, string, string> RootsOfEveryCapture => new()
    {
        // image, the root in its registers (and its mode), the kernel's root
        { "oracle/data/i386-pae/mem.elf.zst", "0x121adc0", "pae", "0x4e98000" },
        { "oracle/data/x86_64-4level/mem.elf.zst", "0x2ae8000", "4level", "0x5e10000" },
        { "oracle-arm64/data/a72-4k/mem.elf.zst", "0x40c6f000", "arm64-4k-48", "0x404b9000" },
        { "oracle-riscv/data/sv39/mem.elf.zst", "0x812aa000", "sv39", "0x80ca0000" },
    };

    [Theory]
    [MemberData(nameof(RootsOfEveryCapture))]
    public void RootsFindsTheRegistersRootWithItsModeAndTellsTheKernelsApart(string image, string registerRoot, string mode, string kernelRoot)
    {
        var (exit, stdout, stderr) = Cli.Run("roots", Path.Combine(Oracle.RepositoryRoot, "..", "shared", image), "--format", "json");
        Assert.Equal("", stderr);
        Assert.Equal(0, exit);
        var roots = stdout.TrimEnd('\n').Split('\n').Select(line => JsonDocument.Parse(line).RootElement).ToList();
        var process = Assert.Single(roots, r => r.GetProperty("root").GetString() == registerRoot);
        Assert.Equal(mode, process.GetProperty("mode").GetString());
        Assert.Equal("process", process.GetProperty("role").GetString());
        var kernel = Assert.Single(roots, r => r.GetProperty("role").GetString() == "kernel");
        Assert.Equal(kernelRoot, kernel.GetProperty("root").GetString());
        Assert.Equal(kernelRoot, roots[0].GetProperty("root").GetString()); // ranked first: what a listing without a root takes
    }

    [Fact]
    public void RootsFindsTheArm64TrampolineBesideSwapper()
    {
        var (exit, stdout, _) = Cli.Run("roots", Image("a72"), "--format", "json");
        Assert.Equal(0, exit);
        var roots = stdout.TrimEnd('\n').Split('\n').Select(line => JsonDocument.Parse(line).RootElement).ToList();
        var trampoline = Assert.Single(roots, r => r.GetProperty("role").GetString() == "trampoline");
        Assert.Equal("0x404b7000", trampoline.GetProperty("root").GetString()); // what TTBR1_EL1 held at EL0
        Assert.Equal("0x404b7000", roots[0].GetProperty("pairedWith").GetString()); // swapper_pg_dir, ranked first, names it
    }

    [Theory]
    [InlineData("i386-2level", "0x1cd3000", "legacy")]
    [InlineData("x86_64-4level-1g", "0x58c2000", "4level")]
    [InlineData("x86_64-4level-pti", "0x2aef000", "4level")]
    [InlineData("x86_64-5level", "0x2aa0000", "5level")]
    public void RootsFindsTheRootOfEveryCutDownCapture(string variant, string root, string mode)
    {
        var image = Path.Combine(Oracle.RepositoryRoot, "tests", "PtDump.Tests", "Data", variant, "tables.elf.zst");
        var (exit, stdout, stderr) = Cli.Run("roots", image, "--format", "json");
        Assert.Equal("", stderr);
        Assert.Equal(0, exit);
        var found = Assert.Single(stdout.TrimEnd('\n').Split('\n').Select(line => JsonDocument.Parse(line).RootElement),
            r => r.GetProperty("root").GetString() == root);
        Assert.Equal(mode, found.GetProperty("mode").GetString());
    }

    [Theory]
    [InlineData("--ttbr0", "0x7fff0000", "outside the image")]
    [InlineData("--satp", "0x0000000000080ca0", "MODE 0")]
    [InlineData("--satp", "0x5000000000080ca0", "MODE 5")]
    public void BadRootOptionsAreOneLine(string option, string value, string fragment)
    {
        string capture = option == "--satp" ? "sv39" : "a72";
        string[] args = option == "--ttbr0" ? [Image(capture), option, value, "--tcr", "0x00400034b5503510"] : [Image(capture), option, value];
        var (exit, stdout, stderr) = Cli.Run(args);
        Assert.InRange(exit, 1, 2);
        Assert.Equal("", stdout);
        Cli.AssertOneLineError(stderr);
        Assert.Contains(fragment, stderr);
    }

    [Fact]
    public void TcrNamingAGranuleTheCpuCannotHaveIsOneLine()
    {
        // TG0 = 0b11 is reserved.
        var (exit, _, stderr) = Cli.Run(Image("a72"), "--ttbr0", "0x40c6f000", "--tcr", "0x000000000000c010");
        Assert.InRange(exit, 1, 2);
        Cli.AssertOneLineError(stderr);
        Assert.Contains("TG0", stderr);
    }

    [Fact]
    public void RawImageWithoutAnArchitectureIsOneLine()
    {
        using var temp = new TempFolder();
        var (exit, _, stderr) = Cli.Run(temp.File("raw.img", new byte[0x4000]));
        Assert.Equal(1, exit);
        Cli.AssertOneLineError(stderr);
        Assert.Contains("--arch", stderr);
    }

    [Fact]
    public void Arm64DumpRefusesX86Options()
    {
        var (exit, _, stderr) = Cli.Run(Image("a72"), "--cr3", "0x1000", "--mode", "4level");
        Assert.InRange(exit, 1, 2);
        Cli.AssertOneLineError(stderr);
        Assert.Contains("another architecture (arm64)", stderr);
    }

    [Fact]
    public void HelpExplainsTheFlagLetters()
    {
        var (exit, stdout, _) = Cli.Run("--help");
        Assert.Equal(0, exit);
        foreach (var token in new[] { "UXN", "PXN", "NG", "AF", "SHD", "APTable", "RSW D A G U X W R V", "rwxugad", "XGPDACTUW" })
            Assert.Contains(token, stdout);
    }
}
