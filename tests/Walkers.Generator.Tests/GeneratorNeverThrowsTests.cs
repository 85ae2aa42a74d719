using System.Linq;
using CsCheck;
using Microsoft.CodeAnalysis;
using Walkers.Generator.Tests.Infrastructure;

namespace Walkers.Generator.Tests;

/// <summary>
/// Property: whatever attributes a user writes — random or extreme numbers, missing or extra arguments, wrong
/// argument types, duplicated attributes, odd target types, broken syntax — the generator reports diagnostics
/// and never throws (a thrown exception would surface as CS8785 and hide the user's real mistake).
/// </summary>
public class GeneratorNeverThrowsTests
{
    private static readonly string[] TableArguments =
        ["VirtualAddressBits", "SignExtend", "EntryBits", "PresentMask", "AddressMask", "AddressShift", "TableMask", "TableValue",
         "UpperHalf", "TopByteIgnore", "HighAddressMask", "HighAddressShift", "Strict", "FaultMask", "FaultValue", "AlignedLeaves",
         "RootMask", "RootShift", "RootHighMask", "RootHighShift"];

    private static readonly string[] LevelArguments = ["Shift", "Entries", "Prot", "Leaf", "LeafMask", "LeafValue", "NoPermissions"];

    /// <summary>Argument values: in range, out of range, of the wrong type, not constant, or not there at all.</summary>
    private static readonly Gen<string> Value = Gen.Frequency(
        (6, Gen.Int[-3, 70].Select(i => i.ToString())),
        (4, Gen.Int[0, 20].Select(bits => (1 << bits).ToString())),
        (2, Gen.Int.Select(i => i.ToString())),
        (3, Gen.ULong.Select(u => $"0x{u:X}")),
        (2, Gen.OneOf("0x1", "0x80", "0xFFFF_F000", "0x000F_FFFF_FFFF_F000", "0", "1")),
        (3, Gen.OneOf(
            "true", "false", "\"twelve\"", "null", "1.5", "'c'", "typeof(int)", "default", "int.MaxValue", "ulong.MaxValue",
            "-1", "0x1_0000_0000_0000_0000", "1 << 70", "(int)7", "(byte)3", "nameof(Shift)", "Missing", "new int[0]", "", "12 +", "9_223_372_036_854_775_808")));

    private static readonly Gen<string> TableArgument = Gen.Frequency(
        (8, Gen.Select(Gen.OneOf(TableArguments), Value, (name, value) => $"{name} = {value}")),
        (1, Gen.Select(Gen.OneOf("Shift", "Level", "Bogus", "VirtualAddressBits = 48, VirtualAddressBits"), Value, (name, value) => $"{name} = {value}")),
        (1, Value));

    private static readonly Gen<string> PageTable = Gen.Select(
        Gen.OneOf("PageTable", "Walkers.PageTable", "global::Walkers.PageTableAttribute", "PageTable", "PageTable"),
        TableArgument.Array[0, 10],
        Gen.Int[0, 9],
        (name, arguments, shape) => shape switch
        {
            0 => $"[{name}]",
            1 => $"[{name}(]",
            2 => $"[{name}({string.Join(", ", arguments)})][{name}({string.Join(", ", arguments.Reverse())})]",
            _ => $"[{name}({string.Join(", ", arguments)})]",
        });

    private static readonly Gen<string> PageLevel = Gen.Select(
        Gen.Frequency((8, Value), (1, Gen.Const("")), (1, Value.Array[2, 3].Select(values => string.Join(", ", values))), (1, Gen.Const("level: 2"))),
        Gen.Frequency(
            (9, Gen.Select(Gen.OneOf(LevelArguments), Value, (name, value) => $"{name} = {value}")),
            (1, Gen.Select(Gen.OneOf("Level", "VirtualAddressBits", "Bogus"), Value, (name, value) => $"{name} = {value}"))).Array[0, 5],
        (positional, named) => $"[PageLevel({string.Join(", ", new[] { positional }.Concat(named).Where(a => a.Length > 0))})]");

    /// <summary>Where the attributes go: {0} is replaced by them.</summary>
    private static readonly Gen<string> Target = Gen.OneOf(
        "{0} public static partial class Layout;",
        "{0} partial class Layout { }",
        "{0} public static class NotPartial;",
        "{0} partial struct Layout;",
        "{0} readonly partial struct Layout;",
        "{0} ref partial struct Layout { }",
        "{0} partial record Layout;",
        "{0} partial record struct Layout(int X);",
        "{0} partial interface ILayout { }",
        "{0} enum Layout { A }",
        "{0} delegate void Layout();",
        "{0} partial class Generic<T> { }",
        "partial class Outer { {0} partial class Inner; }",
        "class Outer { {0} partial class Inner; }",
        "partial class Outer<T> { {0} partial struct Inner; }",
        "partial class Outer { partial struct Middle { {0} static partial class Inner; } }",
        "{0} partial class Twice; {0} partial class Twice;",
        "{0} partial class Split; [PageLevel(9, Shift = 1, Entries = 2)] partial class Split;",
        "namespace N.X { {0} partial class T; } namespace N { partial class X { {0} partial class T; } }",
        "class C { void M() { {0} int local = 0; } }",
        "{0}",
        "{0} partial class");

    /// <summary>The newer arguments: strictness, an upper half, top-byte-ignore, a second address field, faults, inherit rules.</summary>
    private static readonly Gen<string> Extras = Gen.Frequency(
        (6, Gen.Const("")),
        (4, Gen.OneOf(", Strict = true", ", UpperHalf = true", ", UpperHalf = true, TopByteIgnore = TopByteIgnore.Both", ", TopByteIgnore = TopByteIgnore.Lower",
            ", AlignedLeaves = true, Strict = true", ", FaultMask = 0x6, FaultValue = 0x4", ", RootMask = 0x0000_0FFF_FFFF_FFFF, RootShift = 12",
            ", RootMask = 0xFFFF_F000, RootHighMask = 0x3C, RootHighShift = 46", ", HighAddressMask = 0x0030_0000_0000_0000")));

    /// <summary>Well-formed layouts whose levels chain, with random widths, masks and options: these reach the emitter.</summary>
    private static readonly Gen<string> ChainedLayout = Gen.Select(
        Gen.Int[1, 6], Gen.Int[1, 40], Gen.Int[1, 16].Array[6], Gen.Bool.Array[6], Gen.Frequency((4, Gen.Const(0)), (1, Gen.Int[-2, 2])),
        Gen.OneOf(32, 64, 64, 16), Gen.Bool,
        Gen.OneOf(0x1UL, 0x1UL, 0UL, 0x3UL, 1UL << 63),
        Gen.OneOf(0xFFFF_F000UL, 0x000F_FFFF_FFFF_F000UL, 0x3F_FFFF_FC00UL, 0UL),
        Gen.OneOf(0x80UL, 0x80UL, 0UL, 0x2UL, 0xEUL),
        Gen.OneOf(0UL, 0UL, 0x80UL, 0x2UL),
        Gen.Int[0, 3],
        (levels, firstShift, indexBits, leaves, vaError, width, signExtend, present, address, tableMask, tableValue, addressShift) =>
        {
            int shift = firstShift;
            var levelLines = new System.Collections.Generic.List<string>();
            // Tables linked with a table-shaped prot, pages with the same one: what the encoding checks accept.
            ulong prot = present | tableValue;
            for (int level = 1; level <= levels; level++)
            {
                levelLines.Insert(0, $"[PageLevel({level}, Shift = {shift}, Entries = {1 << indexBits[level - 1]}, Prot = 0x{prot:X}, Leaf = {(leaves[level - 1] ? "true" : "false")})]");
                shift += indexBits[level - 1];
            }
            return $"[PageTable(VirtualAddressBits = {shift + vaError}, SignExtend = {(signExtend ? "true" : "false")}, EntryBits = {width}, " +
                $"PresentMask = 0x{present:X}, AddressMask = 0x{address:X}, AddressShift = {addressShift}, TableMask = 0x{tableMask:X}, TableValue = 0x{tableValue:X}{{EXTRAS}})]\n" +
                string.Join("\n", levelLines);
        }).SelectMany(layout => Gen.Select(Extras, Gen.Int[0, 2], (extras, inherit) =>
            layout.Replace("{EXTRAS}", extras) + (inherit == 0 ? "\n[Inherit(1, InheritOp.And)]\n[Inherit(7, InheritOp.Or, TableBit = 30)]\n[Inherit(6, InheritOp.AndNot, TableBit = 5)]" : "")));

    private static readonly Gen<string> Inherit = Gen.Select(Value, Value, Gen.OneOf("InheritOp.And", "InheritOp.Or", "InheritOp.AndNot", "(InheritOp)7", "3"), Gen.Bool,
        (bit, tableBit, op, named) => named ? $"[Inherit({bit}, {op}, TableBit = {tableBit})]" : $"[Inherit({bit}, {op})]");

    private static readonly Gen<string> Attributes = Gen.Frequency(
        (3, Gen.Select(PageTable, PageLevel.Array[0, 7], Inherit.Array[0, 2], (table, levels, inherits) => table + "\n" + string.Join("\n", levels) + "\n" + string.Join("\n", inherits))),
        (2, ChainedLayout),
        (1, PageLevel.Array[1, 4].Select(levels => string.Join("\n", levels))));

    private static readonly Gen<string> Source = Gen.Select(Attributes, Target, Gen.OneOf("", "namespace N;\n", "namespace N.M { ", "using Walkers; namespace A.B;\n"), (attributes, target, ns) =>
        "using Walkers;\n" + ns + target.Replace("{0}", attributes) + (ns.EndsWith("{ ") ? " }" : ""));

    /// <summary>Some sources get a syntax error: a random cut, or a stray token.</summary>
    private static readonly Gen<string> MaybeBroken = Gen.Select(Source, Gen.Int[0, 9], Gen.Double[0, 1], Gen.OneOf("{", "}", "(", ")", "]", "[", ";", ",", "=", "\"", "#if X", "/*"), (source, mode, at, token) =>
    {
        int position = (int)(at * source.Length);
        return mode switch
        {
            0 => source[..position],
            1 => source.Insert(position, token),
            _ => source,
        };
    });

    [Fact]
    public void Generator_never_throws_on_random_garbage_or_odd_targets_and_reports_only_WALK_diagnostics()
    {
        MaybeBroken.Sample(source =>
        {
            var run = GeneratorHarness.Run(source);
            var result = run.Generator;
            Assert.True(result.Exception is null, $"The generator threw {result.Exception}");
            Assert.DoesNotContain(run.DriverDiagnostics, d => d.Id == "CS8785");
            Assert.All(result.Diagnostics, d => Assert.StartsWith("WALK", d.Id));
        }, iter: 600, print: source => "\n" + source);
    }

    private const string LegacyAttributes = """
        [PageTable(VirtualAddressBits = 32, EntryBits = 32, PresentMask = 0x1, AddressMask = 0xFFFF_F000, TableMask = 0x80)]
        [PageLevel(2, Shift = 22, Entries = 1024, Leaf = true)]
        [PageLevel(1, Shift = 12, Entries = 1024)]
        """;

    [Fact]
    public void Type_T_in_namespace_N_X_and_type_T_nested_in_class_N_X_get_distinct_files_instead_of_a_throw()
    {
        // Found by the property above: both files were named N.X.T.Walkers.g.cs and AddSource threw (CS8785).
        // The code is already wrong (CS0101: namespace N.X and class N.X), but the user should see that error only.
        var run = GeneratorHarness.Run($$"""
            using Walkers;
            namespace N.X { {{LegacyAttributes}} public static partial class T; }
            namespace N { public partial class X { {{LegacyAttributes}} public static partial class T; } }
            """);

        Assert.Null(run.Generator.Exception);
        Assert.DoesNotContain(run.DriverDiagnostics, d => d.Id == "CS8785");
        Assert.Equal(["N.X+T.Walkers.g.cs", "N.X.T.Walkers.g.cs"], run.Sources.Select(s => s.HintName).Order(System.StringComparer.Ordinal));
        Assert.Contains(run.OutputProblems, d => d.Id == "CS0101");
    }

    [Fact]
    public void PageTable_on_two_partial_declarations_is_left_to_the_compilers_CS0579_instead_of_a_throw()
    {
        var run = GeneratorHarness.Run("""
            using Walkers;
            [PageTable(VirtualAddressBits = 32, EntryBits = 32, PresentMask = 0x1, AddressMask = 0xFFFF_F000, TableMask = 0x80)]
            [PageLevel(2, Shift = 22, Entries = 1024, Leaf = true)]
            [PageLevel(1, Shift = 12, Entries = 1024)]
            public static partial class Twice;
            [PageTable(VirtualAddressBits = 32, EntryBits = 32, PresentMask = 0x1, AddressMask = 0xFFFF_F000, TableMask = 0x80)]
            public static partial class Twice;
            """);

        Assert.Null(run.Generator.Exception);
        Assert.Empty(run.Sources);
        Assert.Empty(run.Diagnostics);
        Assert.Contains(run.OutputProblems, d => d.Id == "CS0579");
    }

    [Fact]
    public void Every_layout_the_generator_accepts_compiles_without_errors_or_warnings_in_generated_code()
    {
        int accepted = 0;
        ChainedLayout.Sample(attributes =>
        {
            var run = GeneratorHarness.Run("using Walkers;\nnamespace N;\n" + attributes + "\npublic static partial class Paging;");
            if (run.Sources.IsEmpty)
                return;
            if (!run.Walkers.IsEmpty) // a rejected layout's stub must compile cleanly too, but only walkers count
                System.Threading.Interlocked.Increment(ref accepted);
            var generated = run.Output.GetDiagnostics()
                .Where(d => d.Severity >= DiagnosticSeverity.Warning && d.Location.SourceTree?.FilePath.EndsWith(".g.cs") == true)
                .ToList();
            Assert.True(generated.Count == 0, GeneratorRun.Format(generated) + "\n" + run.Sources[0].SourceText);
        }, iter: 1000, print: attributes => "\n" + attributes);
        Assert.True(accepted >= 10, $"Only {accepted} random layouts were accepted: the property was barely exercised.");
    }
}
