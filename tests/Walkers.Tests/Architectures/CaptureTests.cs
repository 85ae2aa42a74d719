using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Walkers.Images;
using Walkers.Layouts;

namespace Walkers.Tests.Architectures;

/// <summary>A capture of a real machine in ../shared beside the repository: its memory image, registers and truth files.</summary>
public sealed class Capture : IDisposable
{
    private Capture(string folder)
    {
        Folder = folder;
        Image = MemoryImage.Open(Path.Combine(folder, "mem.elf.zst"));
        Registers = File.ReadAllLines(Path.Combine(folder, "regs.txt"))
            .Select(line => Regex.Match(line, @"^([A-Z0-9_]+)=0x([0-9a-fA-F]+)"))
            .Where(m => m.Success)
            .GroupBy(m => m.Groups[1].Value)
            .ToDictionary(g => g.Key, g => ulong.Parse(g.First().Groups[2].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
    }

    public string Folder { get; }
    public MemoryImage Image { get; }
    public IReadOnlyDictionary<string, ulong> Registers { get; }

    public static Capture Open(string folder, [CallerFilePath] string sourceFile = "") => new(Path.Combine(SharedRoot(sourceFile), folder));

    /// <summary>Every <c>VA PA</c> line of truth-user.txt (hex, pagemap of the running program).</summary>
    public List<(ulong Va, ulong Pa)> UserPages() =>
        File.ReadLines(Path.Combine(Folder, "truth-user.txt"))
            .Where(line => line.Length > 0 && line[0] != '#')
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(f => (ulong.Parse(f[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture), ulong.Parse(f[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture)))
            .ToList();

    /// <summary>The kernel ptdump's lines as (start, end exclusive, mapped): a line with attributes is mapped, one without is a hole.</summary>
    public List<(ulong Start, ulong End, bool Mapped)> KernelRanges() =>
        File.ReadLines(Path.Combine(Folder, "truth-kernel.txt"))
            .Select(line => Regex.Match(line, @"^0x([0-9a-f]+)-0x([0-9a-f]+)\s+\S+\s+\S+(.*)$"))
            .Where(m => m.Success)
            .Select(m => (ulong.Parse(m.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                ulong.Parse(m.Groups[2].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                m.Groups[3].Value.Trim().Length > 0))
            .ToList();

    private static string SharedRoot(string sourceFile)
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Path.GetDirectoryName(sourceFile) ?? "" })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "Walkers.sln")))
                    return Path.GetFullPath(Path.Combine(directory.FullName, "..", "shared"));
            }
        }
        throw new InvalidOperationException($"No Walkers.sln above {AppContext.BaseDirectory}");
    }

    public void Dispose() => Image.Dispose();
}

/// <summary>
/// The ready layouts on real machines, from the raw register values as the CPU holds them (no masking, no fix-up):
/// the AArch64 capture (4K granule, 48-bit, KPTI) and the RISC-V Sv39 one, against the guests' own truth.
/// </summary>
public sealed class CaptureTests
{
    [Fact]
    public void Every_user_page_of_the_a72_capture_translates_through_the_layout_TCR_EL1_selects_from_the_raw_TTBRs()
    {
        using var capture = Capture.Open("oracle-arm64/data/a72-4k");
        var tcr = Arm64Tcr.Decode(capture.Registers["TCR_EL1"]);
        Assert.Same(ReadyLayouts.Arm64_4K_48, ReadyLayouts.ForArm64(tcr.Lower, tcr.Lpa2));
        var roots = Arm64_4K_48.RootsFromRegisters(capture.Registers["TTBR0_EL1"], capture.Registers["TTBR1_EL1"]);
        var memory = capture.Image.Memory;

        var pages = capture.UserPages();
        Assert.Equal(12132, pages.Count);
        var wrong = pages.Where(p => !Arm64_4K_48.TryTranslate(memory, roots, p.Va + 0x123, out ulong pa) || pa != p.Pa + 0x123).ToList();
        Assert.True(wrong.Count == 0, $"{wrong.Count} pages translate wrongly, e.g. 0x{wrong.FirstOrDefault().Va:x}");

        // Batched, as a debugger would: the same answers.
        var vas = pages.Select(p => p.Va).ToArray();
        var pas = new ulong[vas.Length];
        Assert.Equal(vas.Length, Arm64_4K_48.TranslateMany(memory, roots, vas, pas));
        Assert.Equal(pages.Select(p => p.Pa), pas);
    }

    [Fact]
    public void The_a72_user_half_maps_exactly_the_truth_pages()
    {
        using var capture = Capture.Open("oracle-arm64/data/a72-4k");
        var roots = Arm64_4K_48.RootsFromRegisters(capture.Registers["TTBR0_EL1"], capture.Registers["TTBR1_EL1"]);
        var mapped = new HashSet<ulong>();
        foreach (var run in Arm64_4K_48.Mappings(capture.Image.Memory, roots with { Upper = null }, 0, ulong.MaxValue))
            for (ulong offset = 0; offset < run.Size; offset += 0x1000)
                mapped.Add(run.VirtualAddress + offset);
        Assert.Equal(capture.UserPages().Select(p => p.Va).ToHashSet(), mapped);
    }

    /// <summary>Under KPTI TTBR1 at EL0 holds tramp_pg_dir; the kernel's swapper_pg_dir is two pages above it (the capture's README).</summary>
    private const ulong SwapperAboveTrampoline = 2 * 0x1000;

    [Fact]
    public void Every_mapped_range_of_the_a72_kernels_own_ptdump_is_mapped_through_swapper_pg_dir_and_nothing_else_is()
    {
        using var capture = Capture.Open("oracle-arm64/data/a72-4k");
        var roots = Arm64_4K_48.RootsFromRegisters(capture.Registers["TTBR0_EL1"], capture.Registers["TTBR1_EL1"]);
        var kernel = new PageTableRoots(null, roots.Upper + SwapperAboveTrampoline);
        var memory = capture.Image.Memory;

        var truth = Merge(capture.KernelRanges().Where(r => r.Mapped).Select(r => (r.Start, r.End)));
        var found = Merge(Arm64_4K_48.Mappings(memory, kernel, 0, ulong.MaxValue).Select(m => (m.VirtualAddress, m.VirtualAddress + m.Size)));
        Assert.Equal(truth, found);
        foreach (var (start, end) in truth)
        {
            Assert.True(Arm64_4K_48.TryTranslate(memory, kernel, start, out _), $"0x{start:x}");
            Assert.True(Arm64_4K_48.TryTranslate(memory, kernel, end - 1, out _), $"0x{end - 1:x}");
        }
        Assert.All(capture.KernelRanges().Where(r => !r.Mapped), hole => Assert.False(Arm64_4K_48.TryTranslate(memory, kernel, hole.Start, out _)));
    }

    [Fact]
    public void Every_user_page_of_the_riscv_capture_translates_through_the_layout_satp_selects()
    {
        using var capture = Capture.Open("oracle-riscv/data/sv39");
        ulong satp = capture.Registers["SATP"];
        Assert.Same(ReadyLayouts.Sv39, ReadyLayouts.ForSatp(satp, rv32: false));
        ulong root = Sv39.RootFromRegister(satp);
        var pages = capture.UserPages();
        Assert.Equal(3900, pages.Count);
        var wrong = pages.Where(p => !Sv39.TryTranslate(capture.Image.Memory, root, p.Va + 0x7, out ulong pa) || pa != p.Pa + 0x7).ToList();
        Assert.True(wrong.Count == 0, $"{wrong.Count} pages translate wrongly, e.g. 0x{wrong.FirstOrDefault().Va:x}");
    }

    /// <summary>Adjacent or overlapping [start, end) ranges joined (an end of 0 is 2^64).</summary>
    private static List<(ulong Start, ulong End)> Merge(IEnumerable<(ulong Start, ulong End)> ranges)
    {
        var merged = new List<(ulong Start, ulong End)>();
        foreach (var (start, end) in ranges.OrderBy(r => r.Start))
        {
            if (merged.Count > 0 && merged[^1].End == start)
                merged[^1] = (merged[^1].Start, end);
            else
                merged.Add((start, end));
        }
        return merged;
    }
}
