using System.Linq;
using Walkers.Generator.Tests.Infrastructure;

namespace Walkers.Generator.Tests;

/// <summary>
/// The whole generated file for each real x86 layout, pinned and reviewed like hand-written code, and
/// compiled together with its layout: the generated walker must add no error and no warning.
/// </summary>
public class GeneratedSourceSnapshotTests
{
    [Fact]
    public void X86_64_four_level_walker_matches_snapshot_and_compiles_cleanly() =>
        GenerateCompileAndMatch(Layouts.X86_64, "Walkers.Layouts.X86_64.Walkers.g.cs");

    [Fact]
    public void X86_64_LA57_five_level_walker_matches_snapshot_and_compiles_cleanly() =>
        GenerateCompileAndMatch(Layouts.X86_64La57, "Walkers.Layouts.X86_64La57.Walkers.g.cs");

    [Fact]
    public void X86_PAE_three_level_walker_matches_snapshot_and_compiles_cleanly() =>
        GenerateCompileAndMatch(Layouts.X86Pae, "Walkers.Layouts.X86Pae.Walkers.g.cs");

    [Fact]
    public void X86_legacy_32_bit_entry_walker_matches_snapshot_and_compiles_cleanly() =>
        GenerateCompileAndMatch(Layouts.X86Legacy, "Walkers.Layouts.X86Legacy.Walkers.g.cs");

    [Fact]
    public void X86_legacy_without_PSE_walker_has_no_huge_pages_matches_snapshot_and_compiles_cleanly() =>
        GenerateCompileAndMatch(Layouts.X86LegacyNoPse, "Walkers.Layouts.X86LegacyNoPse.Walkers.g.cs");

    [Fact]
    public void Nested_layout_in_partial_types_without_namespace_matches_snapshot_and_compiles_cleanly() =>
        GenerateCompileAndMatch("""
            using Walkers;

            partial class Machine
            {
                internal partial struct Mmu
                {
                    [PageTable(VirtualAddressBits = 32, EntryBits = 32, PresentMask = 0x1, AddressMask = 0xFFFF_F000, TableMask = 0x80)]
                    [PageLevel(2, Shift = 22, Entries = 1024, Prot = 0x3, Leaf = true)]
                    [PageLevel(1, Shift = 12, Entries = 1024, Prot = 0x3)]
                    public partial record struct Paging;
                }
            }
            """, "Machine+Mmu+Paging.Walkers.g.cs");

    private static void GenerateCompileAndMatch(string layoutSource, string hintName, [System.Runtime.CompilerServices.CallerMemberName] string method = "")
    {
        var run = GeneratorHarness.Run(layoutSource);

        Assert.Empty(run.Diagnostics);
        Assert.Equal([hintName], run.Sources.Select(s => s.HintName));
        Assert.True(run.OutputProblems.IsEmpty, "The layout with its generated walker does not compile cleanly:\n" + GeneratorRun.Format(run.OutputProblems));
        Snapshot.Match(run.Source(hintName), hintName, method: method);
    }
}
