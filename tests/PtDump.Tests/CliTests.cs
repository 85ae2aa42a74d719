using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using Walkers.Images;

namespace Walkers.PtDump.Tests;

/// <summary>The command line: the demo, usage errors (exit 2) and bad input (exit 1), each a one-line message.</summary>
public sealed class CliTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void WithoutAFileItListsTheDemoAddressSpace()
    {
        var (exit, stdout, stderr) = Cli.Run();
        Assert.Equal(0, exit);
        Assert.Equal("", stderr);
        Assert.StartsWith("# demo address space", stdout);
        Assert.Contains("0000000000400000: 0000000006600000 ----A--U-\n", stdout);
        Assert.Contains("ffff888000000000: 0000000000000000 XGPDA---W\n", stdout);
        Assert.Contains("ffffffffff5fc000: 00000000fec00000 XG-DACT-W\n", stdout);
    }

    [Theory]
    [InlineData("qemu-mem", "ffffffff81000000-ffffffff81400000 0000000000400000 -r-\n")]
    [InlineData("linux", "0xffffffff81000000-0xffffffff81400000           4M     ro         PSE     GLB x  pmd\n")]
    [InlineData("json", "{\"start\":\"0xffff888000000000\",\"end\":\"0xffff888040000000\",\"size\":1073741824,\"physical\":\"0x0\",\"level\":3,")]
    public void TheDemoIsListedInEveryFormat(string format, string expectedFragment)
    {
        var (exit, stdout, _) = Cli.Run("--format", format);
        Assert.Equal(0, exit);
        Assert.Contains(expectedFragment, stdout);
    }

    [Fact]
    public void HelpDescribesTheFiveLevelInfoMemException()
    {
        var (exit, stdout, _) = Cli.Run("list", "--help");
        Assert.Equal(0, exit);
        Assert.Contains("5-level", stdout);
        Assert.Contains("qemu-tlb", stdout);
        (exit, stdout, _) = Cli.Run("--help");
        Assert.Equal(0, exit);
        Assert.Contains("translate", stdout);
        Assert.Contains("list --help", stdout);
    }

    [Fact]
    public void MissingFileIsBadInput() => AssertBadInput(Cli.Run(Path.Combine(_temp.Path, "absent.elf")), "no such file");

    [Fact]
    public void UnreadableFileIsBadInput() => AssertBadInput(Cli.Run(_temp.Path), "is a directory");

    [Fact]
    public void EmptyFileIsBadInput() => AssertBadInput(Cli.Run(_temp.File("empty.elf", [])), "empty file");

    [Fact]
    public void NonElfFileIsBadInput() =>
        AssertBadInput(Cli.Run(_temp.File("notes.txt", "just some text, not a core dump\n"u8.ToArray())), "not an ELF core");

    [Fact]
    public void ElfCutInsideItsHeadersIsBadInput() =>
        AssertBadInput(Cli.Run(_temp.File("cut.elf", RealElfPrefix(300))), "truncated ELF file");

    [Fact]
    public void ElfCutInsideItsMemoryIsBadInput() =>
        AssertBadInput(Cli.Run(_temp.File("cut.elf", RealElfPrefix(1 << 20))), "ends past the end of the file");

    [Fact]
    public void ElfCutInsideTheElfHeaderIsBadInput() =>
        AssertBadInput(Cli.Run(_temp.File("cut.elf", RealElfPrefix(40))), "truncated ELF file");

    [Fact]
    public void TruncatedZstdStreamIsBadInput()
    {
        var compressed = File.ReadAllBytes(Oracle.Compressed("i386-pae"));
        AssertBadInput(Cli.Run(_temp.File("cut.elf.zst", compressed[..(compressed.Length / 2)])), "zstd");
    }

    [Fact]
    public void CorruptZstdStreamIsBadInput()
    {
        var compressed = File.ReadAllBytes(Oracle.Compressed("i386-pae"));
        for (int i = 1000; i < 1100; i++)
            compressed[i] ^= 0x5a;
        AssertBadInput(Cli.Run(_temp.File("corrupt.elf.zst", compressed)), "zstd");
    }

    [Fact]
    public void Cr3OutsideTheImageIsBadInput() =>
        AssertBadInput(Cli.Run(Oracle.Compressed("x86_64-4level"), "--cr3", "0x100000000000"), "outside the image");

    [Fact]
    public void ElfWithoutQemuCpuNoteNeedsCr3AndMode()
    {
        var memory = new SyntheticMemory(0x4000);
        var path = _temp.File("nonote.elf", memory.ElfCore(0, 0, 0, longMode: true, withQemuNote: false));
        AssertBadInput(Cli.Run(path), "names no page-table root");
        Assert.Equal(0, Cli.Run(path, "--cr3", "1000", "--mode", "4level").Exit);
    }

    [Fact]
    public void PageTableOutsideTheImageIsReportedInTheListingAndIsBadInput()
    {
        var memory = new SyntheticMemory(0x4000);
        memory.Set64(0x1000, 0x4000_0000 | 0x7); // PML4[0] -> a PDPT at 1 GiB, past the 16 KiB image
        memory.Set64(0x1000 + 511 * 8, 0x2000 | 0x7); // PML4[511] -> PDPT at 0x2000
        memory.Set64(0x2000 + 511 * 8, 0x3000 | 0x7); // PDPT[511] -> PD at 0x3000
        memory.Set64(0x3000 + 511 * 8, 0x0020_0000 | 0x1e3UL); // PD[511]: 2M page, global, dirty, accessed, writable
        var path = _temp.File("outside.elf", memory.ElfCore(cr0: 0x8000_0011, cr3: 0x1000, cr4: 0x20, longMode: true));

        var (exit, stdout, stderr) = Cli.Run(path, "--format", "qemu-tlb");
        Assert.Equal(1, exit);
        Cli.AssertOneLineError(stderr);
        Assert.Contains("outside the image", stderr);
        Assert.Equal(
            "# 0000000000000000: level-4 entry points to a page table at 0x40000000, outside the image; not read\n"
            + "ffffffffffe00000: 0000000000200000 -GPDA---W\n", stdout);

        (exit, stdout, _) = Cli.Run(path, "--format", "qemu-mem");
        Assert.Equal(1, exit);
        Assert.Equal(
            "# 0000000000000000: level-4 entry points to a page table at 0x40000000, outside the image; not read\n"
            + "ffffffffffe00000-0001000000000000 0000000000200000 -rw\n", stdout); // QEMU flushes at 1 << 48, not sign-extended

        (exit, stdout, _) = Cli.Run(path, "--format", "json");
        Assert.Equal(1, exit);
        Assert.StartsWith("{\"error\":\"page table outside the image\",\"va\":\"0x0\",\"level\":4,\"table\":\"0x40000000\"}\n", stdout[(stdout.IndexOf('\n') + 1)..]);

        (exit, stdout, _) = Cli.Run("translate", path, "1000", "ffffffffffe00000");
        Assert.Equal(1, exit);
        Assert.Equal("0000000000001000 -> # level-4 entry points to a page table at 0x40000000, outside the image; not read\n"
            + "ffffffffffe00000 -> 0000000000200000 2M -GPDA---W -rwx\n", stdout);
    }

    public static TheoryData<string, string> ModesAndFormats()
    {
        var data = new TheoryData<string, string>();
        foreach (var mode in new[] { "legacy", "pae", "4level", "5level" })
            foreach (var format in new[] { "qemu-tlb", "qemu-mem", "linux", "json" })
                data.Add(mode, format);
        return data;
    }

    /// <summary>
    /// The 8 KiB self-loop (every entry of page 0 points to page 0, flags 0x67) in every mode and format: a walk of
    /// entries^levels without the rule. It stops at levels x the entries of the one table, keeps what it listed
    /// (linux and qemu-mem used to lose their pending run) and says so in one line.
    /// </summary>
    [Theory]
    [MemberData(nameof(ModesAndFormats))]
    public void TheSelfLoopStopsPromptlyWithLittleOutputInEveryModeAndFormat(string mode, string format)
    {
        var memory = new SyntheticMemory(0x2000);
        for (ulong i = 0; i < 512; i++)
            memory.Set64(i * 8, 0x67);
        var path = _temp.File("loop.raw", memory.Bytes);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (exit, stdout, stderr) = Cli.Run(path, "--cr3", "0", "--mode", mode, "--format", format);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"{clock.Elapsed}"); // a hang guard: the run takes ~0.1 s
        Assert.Equal(1, exit);
        Cli.AssertOneLineError(stderr);
        Assert.Contains("tables repeat", stderr);
        Assert.Contains("table 0x0 was entered again", stderr);
        Assert.InRange(stdout.Length, 1, 1 << 20);
        if (format is "qemu-mem" or "linux")
            Assert.Matches("(?m)^(0x)?0+-", stdout); // the run pending when the walk stopped (from va 0) is printed
    }

    [Fact]
    public void ASegmentEndingAt2To64IsPrintedWithItsLastAddress()
    {
        var memory = new SyntheticMemory(0x2000);
        var path = _temp.File("top.elf", memory.ElfCore(cr0: 0x8000_0011, cr3: 0x1000, cr4: 0x20, longMode: true, physicalBase: 0xFFFF_FFFF_FFFF_E000));
        var (exit, _, stderr) = Cli.Run(path);
        Assert.Equal(1, exit);
        Cli.AssertOneLineError(stderr);
        Assert.Contains("(physical 0xffffffffffffe000-0xffffffffffffffff)", stderr);
    }

    [Theory]
    [InlineData(1, "1 page table lies outside the image")]
    [InlineData(2, "2 page tables lie outside the image")]
    public void TablesOutsideTheImageAreCountedInGoodEnglish(int tables, string expected)
    {
        var memory = new SyntheticMemory(0x2000);
        for (int i = 0; i < tables; i++)
            memory.Set64(0x1000 + (ulong)i * 8, (0x4000_0000UL << i) | 0x7);
        var path = _temp.File("outside.elf", memory.ElfCore(cr0: 0x8000_0011, cr3: 0x1000, cr4: 0x20, longMode: true));
        var (exit, _, stderr) = Cli.Run(path, "--format", "qemu-mem");
        Assert.Equal(1, exit);
        Assert.Contains(expected, stderr);
        var translated = Cli.Run(["translate", path, .. Enumerable.Range(0, tables).Select(i => $"{(ulong)i << 39:x}")]);
        Assert.Contains(tables == 1 ? "1 address leads to a page table outside" : "2 addresses lead to page tables outside", translated.Stderr);
    }

    [Fact]
    public void CyclicPageTablesStopWithAMessageInsteadOfHanging()
    {
        var memory = new SyntheticMemory(0x2000);
        for (int i = 0; i < 512; i++)
            memory.Set64(0x1000 + (ulong)i * 8, 0x1000 | 0x7); // every PML4 entry points back to the PML4: 512^4 entries
        var path = _temp.File("cycle.elf", memory.ElfCore(cr0: 0x8000_0011, cr3: 0x1000, cr4: 0x20, longMode: true));
        var (exit, _, stderr) = Cli.Run(path, "--format", "qemu-mem");
        Assert.Equal(1, exit);
        Cli.AssertOneLineError(stderr);
        Assert.Contains("tables repeat", stderr);
    }

    [Fact]
    public void RawImageWithoutCr3AndModeIsRefused() =>
        AssertBadInput(Cli.Run(_temp.File("raw.img", new byte[0x4000]), "--cr3", "1000"), "not an ELF core");

    [Theory]
    [InlineData("--format", "xml")]
    [InlineData("--mode", "3level")]
    [InlineData("--cr3", "zz")]
    [InlineData("--range", "1000")]
    [InlineData("--range", "2000-1000")]
    [InlineData("--no-such-option")]
    public void BadOptionsAreUsageErrors(params string[] options)
    {
        var (exit, stdout, stderr) = Cli.Run([Oracle.Compressed("i386-pae"), .. options]);
        Assert.Equal(2, exit);
        Assert.Equal("", stdout);
        Cli.AssertOneLineError(stderr);
    }

    [Theory]
    [InlineData("--bogus")]
    [InlineData("-x")]
    public void AnUnknownOptionWithoutAnImageIsAUsageErrorNotAFileName(string option)
    {
        var (exit, stdout, stderr) = Cli.Run(option);
        Assert.Equal(2, exit);
        Assert.Equal("", stdout);
        Cli.AssertOneLineError(stderr);
        Assert.Contains($"unknown option '{option}'", stderr);
    }

    [Theory]
    [InlineData("--fromat", "json", "--format")]
    [InlineData("--no-limt", null, "--no-limit")]
    [InlineData("--ttbr", "0x1000", "--ttbr0")]
    public void AMisspeltOptionGetsDidYouMean(string misspelt, string? value, string meant)
    {
        var (exit, _, stderr) = Cli.Run(value is null ? [Oracle.Compressed("i386-pae"), misspelt] : [Oracle.Compressed("i386-pae"), misspelt, value]);
        Assert.Equal(2, exit);
        Cli.AssertOneLineError(stderr);
        Assert.Contains($"unknown option '{misspelt}' (did you mean {meant}?)", stderr);
    }

    [Fact]
    public void TranslateHelpNamesItsImageOnce()
    {
        var (exit, stdout, _) = Cli.Run("translate", "--help");
        Assert.Equal(0, exit);
        Assert.Contains(" translate <IMAGE> <VA>... [options]", stdout); // the program name is the test host's here
        Assert.DoesNotContain("[<IMAGE>] translate", stdout);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(stdout, "^  <IMAGE>", System.Text.RegularExpressions.RegexOptions.Multiline));
    }

    [Fact]
    public void AMissingArgumentIsNamed()
    {
        var (exit, _, stderr) = Cli.Run("translate", Oracle.Compressed("i386-pae"));
        Assert.Equal(2, exit);
        Cli.AssertOneLineError(stderr);
        Assert.Contains("translate needs <VA>...", stderr);
    }

    [Fact]
    public void TranslateWithoutAddressesIsAUsageError()
    {
        var (exit, _, stderr) = Cli.Run("translate", Oracle.Compressed("i386-pae"));
        Assert.Equal(2, exit);
        Cli.AssertOneLineError(stderr);
    }

    [Fact]
    public void TranslateOfABadAddressIsAUsageError()
    {
        var (exit, _, stderr) = Cli.Run("translate", Oracle.Compressed("i386-pae"), "0x1g");
        Assert.Equal(2, exit);
        Cli.AssertOneLineError(stderr);
    }

    [Fact]
    public void TheRealProcessExitsWithOneLineAndNoStackTrace()
    {
        string program = Path.Combine(AppContext.BaseDirectory, "ptdump.dll");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(program);
        start.ArgumentList.Add(Path.Combine(_temp.Path, "absent.elf.zst"));
        using var process = Process.Start(start)!;
        string stdout = process.StandardOutput.ReadToEnd();
        string stderr = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(30_000));
        Assert.Equal(1, process.ExitCode);
        Assert.Equal("", stdout);
        Cli.AssertOneLineError(stderr);
    }

    [Fact]
    public void TheRealProcessListsTheCaptureLikeQemu()
    {
        string program = Path.Combine(AppContext.BaseDirectory, "ptdump.dll");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { program, Oracle.Compressed("i386-pae"), "--format", "qemu-mem" })
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        string stdout = process.StandardOutput.ReadToEnd();
        process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(30_000));
        Assert.Equal(0, process.ExitCode);
        Assert.Equal(Oracle.Text("i386-pae", "mem.txt"), stdout);
    }

    private static void AssertBadInput((int Exit, string Stdout, string Stderr) result, string messageFragment)
    {
        Assert.Equal(1, result.Exit);
        Cli.AssertOneLineError(result.Stderr);
        Assert.Contains(messageFragment, result.Stderr);
    }

    private static unsafe byte[] RealElfPrefix(int length)
    {
        using var image = MemoryImage.Open(Oracle.Compressed("i386-pae"));
        return new ReadOnlySpan<byte>(image.Data, length).ToArray();
    }
}
