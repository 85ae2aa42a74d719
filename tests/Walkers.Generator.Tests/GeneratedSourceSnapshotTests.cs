using System.Linq;
using Walkers.Generator.Tests.Infrastructure;

namespace Walkers.Generator.Tests;

/// <summary>
/// The whole generated file for each ready layout (x86, RISC-V, AArch64), pinned and reviewed like hand-written code,
/// and compiled together with its layout: the generated walker must add no error and no warning.
/// </summary>
public class GeneratedSourceSnapshotTests
{
    /// <summary>Every ready layout (runtime/Walkers.Layouts): its source file and type name.</summary>
    public static TheoryData<string, string> ReadyLayouts
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var (file, source) in ReadyLayoutSources())
            {
                foreach (System.Text.RegularExpressions.Match match in System.Text.RegularExpressions.Regex.Matches(source, @"public static partial class (\w+);"))
                {
                    if (source[..match.Index].LastIndexOf("[PageTable(", System.StringComparison.Ordinal) >= 0)
                        data.Add(file, match.Groups[1].Value);
                }
            }
            return data;
        }
    }

    private static System.Collections.Generic.IEnumerable<(string File, string Source)> ReadyLayoutSources()
    {
        var assembly = typeof(GeneratedSourceSnapshotTests).Assembly;
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("ReadyLayouts/", System.StringComparison.Ordinal)).Order(System.StringComparer.Ordinal))
        {
            using var reader = new System.IO.StreamReader(assembly.GetManifestResourceStream(name)!);
            yield return (name["ReadyLayouts/".Length..], reader.ReadToEnd());
        }
    }

    [Theory]
    [MemberData(nameof(ReadyLayouts))]
    public void Ready_layout_walker_matches_snapshot_and_compiles_cleanly(string file, string type)
    {
        string source = ReadyLayoutSources().Single(s => s.File == file).Source;
        var run = GeneratorHarness.Run(source);
        string hintName = $"Walkers.Layouts.{type}.Walkers.g.cs";

        Assert.Empty(run.Diagnostics);
        Assert.Contains(hintName, run.Sources.Select(s => s.HintName));
        Assert.True(run.OutputProblems.IsEmpty, "The layouts with their generated walkers do not compile cleanly:\n" + GeneratorRun.Format(run.OutputProblems));
        Snapshot.Match(run.Source(hintName), hintName, method: "Ready");
    }

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
