using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Walkers.Generator.Tests.Infrastructure;
using static Walkers.Generator.Tests.Infrastructure.Markup;

namespace Walkers.Generator.Tests;

/// <summary>
/// Every WALK diagnostic: its id, where it points (the offending attribute argument; the type's name for
/// WALK0001; the [PageTable] attribute for WALK0008 and for facts no single argument holds) and its message.
/// A layout with a diagnostic generates no source.
/// </summary>
public class DiagnosticTests
{
    /// <summary>A valid two-level layout for tests that are about the type, not the table.</summary>
    private const string LegacyAttributes = """
        [PageTable(VirtualAddressBits = 32, EntryBits = 32, PresentMask = 0x1, AddressMask = 0xFFFF_F000, TableMask = 0x80)]
        [PageLevel(2, Shift = 22, Entries = 1024, Leaf = true)]
        [PageLevel(1, Shift = 12, Entries = 1024)]
        """;

    [Fact]
    public void Valid_layouts_report_no_diagnostics_and_generate_one_file_each()
    {
        foreach (var source in new[] { Layouts.X86_64, Layouts.X86_64La57, Layouts.X86Pae, Layouts.X86Legacy, Layouts.X86LegacyNoPse })
        {
            var run = GeneratorHarness.Run(source);
            Assert.Empty(run.Diagnostics);
            Assert.Single(run.Sources);
        }
    }

    // WALK0001: the type cannot hold the generated members.

    [Fact]
    public void WALK0001_type_not_partial_points_at_type_name() =>
        AssertDiagnostic(Replace(Layouts.X86_64, "public static partial class X86_64;", "public static class [|X86_64|];"),
            "WALK0001", "'X86_64' cannot hold a generated walker: it is not partial");

    [Fact]
    public void WALK0001_type_nested_in_non_partial_type_names_the_containing_type() =>
        AssertDiagnostic($$"""
            using Walkers;
            namespace N;
            public class Outer
            {
            {{LegacyAttributes}}
                public static partial class [|Inner|];
            }
            """, "WALK0001", "'Inner' cannot hold a generated walker: its containing type 'Outer' is not partial");

    [Fact]
    public void WALK0001_generic_type_is_rejected() =>
        AssertDiagnostic($$"""
            using Walkers;
            {{LegacyAttributes}}
            public partial class [|Paging|]<T>;
            """, "WALK0001", "'Paging' cannot hold a generated walker: it is generic");

    [Fact]
    public void WALK0001_type_nested_in_generic_type_names_the_containing_type() =>
        AssertDiagnostic($$"""
            using Walkers;
            public partial class Outer<T>
            {
            {{LegacyAttributes}}
                public partial struct [|Paging|];
            }
            """, "WALK0001", "'Paging' cannot hold a generated walker: its containing type 'Outer' is generic");

    [Fact]
    public void WALK0001_interface_is_rejected() =>
        AssertDiagnostic($$"""
            using Walkers;
            {{LegacyAttributes}}
            public partial interface [|IPaging|];
            """, "WALK0001", "'IPaging' cannot hold a generated walker: it is an interface");

    [Theory]
    [InlineData("Layout")]
    [InlineData("Walk")]
    [InlineData("TryTranslate")]
    public void WALK0001_type_named_like_a_generated_member_is_rejected_instead_of_failing_to_compile(string name) =>
        AssertDiagnostic($$"""
            using Walkers;
            {{LegacyAttributes}}
            public static partial class [|{{name}}|];
            """, "WALK0001", $"'{name}' cannot hold a generated walker: the generator adds a member named '{name}' to it, and a member cannot have its type's name");

    [Fact]
    public void Every_member_the_generator_adds_to_the_users_type_is_a_reserved_type_name()
    {
        var run = GeneratorHarness.Run(Layouts.X86_64);
        var root = run.Output.SyntaxTrees.Single(t => t.FilePath.EndsWith(".g.cs", System.StringComparison.Ordinal)).GetRoot();
        var userType = root.DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.ClassDeclarationSyntax>().Single(c => c.Identifier.Text == "X86_64");
        var names = userType.Members.Select(m => m switch
        {
            Microsoft.CodeAnalysis.CSharp.Syntax.MethodDeclarationSyntax method => method.Identifier.Text,
            Microsoft.CodeAnalysis.CSharp.Syntax.PropertyDeclarationSyntax property => property.Identifier.Text,
            Microsoft.CodeAnalysis.CSharp.Syntax.BaseTypeDeclarationSyntax type => type.Identifier.Text,
            _ => m.ToString(),
        }).Distinct().ToList();

        Assert.Contains("Layout", names);
        Assert.All(names, name => Assert.Contains(name, Walkers.Generator.Parser.GeneratedMemberNames));
    }

    // WALK0002: levels numbered 1..N without gaps or duplicates.

    [Fact]
    public void WALK0002_gap_in_level_numbers_points_at_level_after_gap() =>
        AssertDiagnostic(Replace(Layouts.X86Pae, "[PageLevel(3,", "[PageLevel([|4|],"),
            "WALK0002", "Level 3 is missing: the layout describes levels 1, 2 and 4, and levels are numbered 1 (the pages) to N (the root table) without gaps");

    [Fact]
    public void WALK0002_duplicate_level_points_at_second_description() =>
        AssertDiagnostic(Replace(Layouts.X86Legacy, "public static partial class", "[PageLevel([|1|], Shift = 12, Entries = 1024)]\npublic static partial class"),
            "WALK0002", "Level 1 is described twice");

    [Fact]
    public void WALK0002_levels_not_starting_at_1_point_at_lowest_level() =>
        AssertDiagnostic(Replace(Replace(Layouts.X86Legacy, "[PageLevel(2,", "[PageLevel(3,"), "[PageLevel(1,", "[PageLevel([|2|],"),
            "WALK0002", "Level 1 is missing: the layout describes levels 2 and 3, and levels are numbered 1 (the pages) to N (the root table) without gaps");

    // WALK0003: 2 to 5 levels.

    [Fact]
    public void WALK0003_one_level_points_at_PageTable_attribute() =>
        AssertDiagnostic("""
            using Walkers;
            [[|PageTable(VirtualAddressBits = 22, EntryBits = 32, PresentMask = 0x1, AddressMask = 0xFFFF_F000, TableMask = 0x80)|]]
            [PageLevel(1, Shift = 12, Entries = 1024)]
            public static partial class Flat;
            """, "WALK0003", "The layout has 1 level; Walkers supports 2 to 5 (a root table and the tables below it)");

    [Fact]
    public void WALK0003_no_levels_points_at_PageTable_attribute() =>
        AssertDiagnostic("""
            using Walkers;
            [[|PageTable(VirtualAddressBits = 22, PresentMask = 0x1, AddressMask = 0xF000)|]]
            public static partial class Empty;
            """, "WALK0003", "The layout has no levels: describe each of its 2 to 5 levels with [PageLevel(n, Shift = ..., Entries = ...)]");

    [Fact]
    public void WALK0003_six_levels_points_at_sixth_level_attribute() =>
        AssertDiagnostic(Replace(Layouts.X86_64La57, "public static partial class", "[PageLevel([|6|], Shift = 57, Entries = 64, Prot = 0x67)]\npublic static partial class"),
            "WALK0003", "The layout has 6 levels; Walkers supports 2 to 5: level 6 is one too many");

    // WALK0004: entries a power of two, 2..65536.

    [Theory]
    [InlineData("500")]
    [InlineData("0")]
    [InlineData("1")]
    [InlineData("-512")]
    [InlineData("131072")]
    public void WALK0004_entries_not_a_power_of_two_in_range_points_at_Entries(string entries) =>
        AssertDiagnostic(Replace(Layouts.X86_64, "Shift = 12, Entries = 512", $"Shift = 12, Entries = [|{entries}|]"),
            "WALK0004", $"Level 1 has {entries} entries; the number of entries must be a power of two between 2 and 65536");

    // WALK0005 / WALK0006: the shifts chain and add up to the virtual address width.

    [Fact]
    public void WALK0005_shift_that_does_not_chain_points_at_that_levels_Shift() =>
        AssertDiagnostic(Replace(Layouts.X86_64, "Shift = 21", "Shift = [|20|]"),
            "WALK0005", "Level 2 has shift 20, but level 1 (shift 12, 512 entries) ends at bit 21: expected shift 21");

    [Fact]
    public void WALK0005_level_1_entries_that_do_not_reach_level_2_shift_point_at_level_2_Shift() =>
        AssertDiagnostic(Replace(Replace(Layouts.X86Legacy, "Shift = 12, Entries = 1024", "Shift = 12, Entries = 512"), "Shift = 22", "Shift = [|22|]"),
            "WALK0005", "Level 2 has shift 22, but level 1 (shift 12, 512 entries) ends at bit 21: expected shift 21");

    [Fact]
    public void WALK0006_virtual_address_bits_that_do_not_add_up_point_at_VirtualAddressBits() =>
        AssertDiagnostic(Replace(Layouts.X86_64, "VirtualAddressBits = 48", "VirtualAddressBits = [|47|]"),
            "WALK0006", "VirtualAddressBits is 47, but the top level (shift 39, 512 entries) covers 48 bits");

    [Fact]
    public void WALK0006_missing_virtual_address_bits_points_at_PageTable_attribute() =>
        AssertDiagnostic("""
            using Walkers;
            [[|PageTable(EntryBits = 32, PresentMask = 0x1, AddressMask = 0xFFFF_F000, TableMask = 0x80)|]]
            [PageLevel(2, Shift = 22, Entries = 1024, Leaf = true)]
            [PageLevel(1, Shift = 12, Entries = 1024)]
            public static partial class NoWidth;
            """, "WALK0006", "VirtualAddressBits is 0, but the top level (shift 22, 1024 entries) covers 32 bits");

    // WALK0007: masks non-empty, inside the entry, not overlapping.

    [Fact]
    public void WALK0007_empty_PresentMask_points_at_PresentMask() =>
        AssertDiagnostic(Replace(Layouts.X86_64, "PresentMask = 0x1", "PresentMask = [|0|]"),
            "WALK0007", "PresentMask is empty: no entry could ever be present");

    [Fact]
    public void WALK0007_empty_AddressMask_points_at_AddressMask() =>
        AssertDiagnostic(Replace(Layouts.X86_64, "AddressMask = 0x000F_FFFF_FFFF_F000", "AddressMask = [|0x0|]"),
            "WALK0007", "AddressMask is empty: entries would hold no address");

    [Fact]
    public void WALK0007_AddressMask_overlapping_PresentMask_points_at_AddressMask() =>
        AssertDiagnostic(Replace(Layouts.X86_64, "AddressMask = 0x000F_FFFF_FFFF_F000", "AddressMask = [|0x000F_FFFF_FFFF_F001|]"),
            "WALK0007", "AddressMask 0x000F_FFFF_FFFF_F001 overlaps PresentMask 0x1 (bit 0): address bits cannot also be flags");

    [Fact]
    public void WALK0007_TableMask_overlapping_AddressMask_points_at_TableMask() =>
        AssertDiagnostic(Replace(Layouts.X86_64, "TableMask = 0x80", "TableMask = [|0x1080|]"),
            "WALK0007", "TableMask 0x1080 takes bit 12 of AddressMask 0x000F_FFFF_FFFF_F000: address bits cannot also be flags");

    [Fact]
    public void WALK0007_TableValue_outside_TableMask_points_at_TableValue() =>
        AssertDiagnostic(Replace(Layouts.X86_64, "TableValue = 0", "TableValue = [|0x100|]"),
            "WALK0007", "TableValue 0x100 has bits outside TableMask 0x80 (bit 8): no entry could be a table");

    [Fact]
    public void WALK0007_empty_TableMask_with_leaf_levels_points_at_TableMask_and_names_first_leaf_level() =>
        AssertDiagnostic(Replace(Layouts.X86_64, "TableMask = 0x80", "TableMask = [|0|]"),
            "WALK0007", "TableMask is empty, so every present entry is a table, but level 3 allows leaves");

    [Fact]
    public void WALK0007_AddressMask_wider_than_32_bit_entry_points_at_AddressMask() =>
        AssertDiagnostic(Replace(Layouts.X86Legacy, "AddressMask = 0xFFFF_F000", "AddressMask = [|0x000F_FFFF_FFFF_F000|]"),
            "WALK0007", "AddressMask 0x000F_FFFF_FFFF_F000 has bits beyond the 32-bit entry (bits 32-51)");

    // WALK0008: generated walkers use pointers.

    [Fact]
    public void WALK0008_unsafe_code_disabled_points_at_PageTable_attribute() =>
        AssertDiagnostic(Replace(Replace(Layouts.X86_64, "[PageTable(", "[[|PageTable("), "TableValue = 0)]", "TableValue = 0)|]]"),
            "WALK0008", "The walkers generated for 'X86_64' use pointers: set <AllowUnsafeBlocks>true</AllowUnsafeBlocks> in the project",
            allowUnsafe: false);

    // WALK0009: values outside what the walkers support.

    [Fact]
    public void WALK0009_EntryBits_16_points_at_EntryBits() =>
        AssertDiagnostic(Replace(Layouts.X86Legacy, "EntryBits = 32", "EntryBits = [|16|]"),
            "WALK0009", "EntryBits is 16; entries are 32 or 64 bits wide");

    [Fact]
    public void WALK0009_level_shift_0_points_at_Shift() =>
        AssertDiagnostic(Replace(Layouts.X86_64, "Shift = 12", "Shift = [|0|]"),
            "WALK0009", "Level 1 has shift 0; a shift is between 1 and 62");

    [Fact]
    public void WALK0009_AddressShift_above_32_points_at_AddressShift() =>
        AssertDiagnostic(Replace(Layouts.X86_64, "TableValue = 0", "TableValue = 0, AddressShift = [|33|]"),
            "WALK0009", "AddressShift is 33; it must be between 0 and 32");

    [Fact]
    public void Independent_problems_are_all_reported_in_one_run()
    {
        var source = Replace(Replace(Layouts.X86_64, "PresentMask = 0x1", "PresentMask = 0"), "Entries = 512, Prot = 0x23", "Entries = 500, Prot = 0x23");
        var run = GeneratorHarness.Run(source);
        Assert.Equal(["WALK0004", "WALK0007"], run.Diagnostics.Select(d => d.Id).Order());
        Assert.Empty(run.Walkers);
    }

    // Levels are written in any order, usually the root first: the checks go by number, not by position.

    [Fact]
    public void WALK0002_missing_level_in_a_layout_written_top_down_names_the_missing_level() =>
        AssertDiagnostic(Replace(Layouts.X86_64, "[PageLevel(2, Shift = 21, Entries = 512, Prot = 0x67, Leaf = true)]\n", "").Replace("[PageLevel(3,", "[PageLevel([|3|],"),
            "WALK0002", "Level 2 is missing: the layout describes levels 1, 3 and 4, and levels are numbered 1 (the pages) to N (the root table) without gaps");

    [Fact]
    public void WALK0002_several_missing_levels_are_one_diagnostic() =>
        AssertDiagnostic(Replace(Replace(Layouts.X86_64, "[PageLevel(3,", "[PageLevel([|5|],"), "[PageLevel(4,", "[PageLevel(6,"),
            "WALK0002", "Levels 3 and 4 are missing: the layout describes levels 1, 2, 5 and 6, and levels are numbered 1 (the pages) to N (the root table) without gaps");

    [Fact]
    public void WALK0002_a_huge_level_number_names_a_few_missing_levels_and_does_not_list_them_all() =>
        // Found by the never-throws property: [PageLevel(int.MaxValue)] made the parser list two billion missing levels (out of memory).
        AssertDiagnostic(Replace(Layouts.X86_64, "[PageLevel(4,", "[PageLevel([|int.MaxValue|],"),
            "WALK0002", "Levels 4, 5, 6, 7, 8 and 9 and others below 2147483647 are missing: the layout describes levels 1, 2, 3 and 2147483647, and levels are numbered 1 (the pages) to N (the root table) without gaps");

    [Fact]
    public void WALK0002_level_0_is_not_a_level_number() =>
        AssertDiagnostic(Replace(Replace(Replace(Layouts.X86Legacy, "[PageLevel(2,", "[PageLevel(1,"), "[PageLevel(1, Shift = 12", "[PageLevel([|0|], Shift = 12"), "Shift = 22", "Shift = 22"),
            "WALK0002", "Level 0 is not a level number: levels are numbered 1 (the pages) to N (the root table)");

    [Fact]
    public void WALK0003_six_levels_written_top_down_points_at_the_sixth_level_not_at_level_1() =>
        AssertDiagnostic(Replace(Layouts.X86_64La57, "[PageLevel(5,", "[PageLevel([|6|], Shift = 57, Entries = 64, Prot = 0x67)]\n[PageLevel(5,"),
            "WALK0003", "The layout has 6 levels; Walkers supports 2 to 5: level 6 is one too many");

    [Fact]
    public void WALK0003_six_levels_numbered_1_to_5_with_a_duplicate_is_only_the_duplicate() =>
        AssertDiagnostic(Replace(Layouts.X86_64La57, "public static partial class", "[PageLevel([|3|], Shift = 30, Entries = 512)]\npublic static partial class"),
            "WALK0002", "Level 3 is described twice");

    // WALK0007: one error per overlapping mask, at the argument that is wrong, naming the bits.

    [Fact]
    public void WALK0007_PresentMask_inside_a_contiguous_AddressMask_is_blamed_once_at_PresentMask() =>
        AssertDiagnostic(Replace(Layouts.X86_64, "PresentMask = 0x1", "PresentMask = [|0x1001|]"),
            "WALK0007", "PresentMask 0x1001 takes bit 12 of AddressMask 0x000F_FFFF_FFFF_F000: address bits cannot also be flags");

    [Fact]
    public void WALK0007_AddressMask_reaching_into_the_page_offset_is_one_error_at_AddressMask_naming_every_overlap() =>
        AssertDiagnostic(Replace(Layouts.X86_64, "AddressMask = 0x000F_FFFF_FFFF_F000", "AddressMask = [|0x000F_FFFF_FFFF_FFFF|]"),
            "WALK0007", "AddressMask 0x000F_FFFF_FFFF_FFFF overlaps PresentMask 0x1 (bit 0) and TableMask 0x80 (bit 7), and reaches below bit 12, where a level-1 page's address starts: address bits cannot also be flags");

    [Fact]
    public void WALK0007_HighAddressMask_overlap_names_the_mask_it_overlaps() =>
        AssertDiagnostic(Replace(Layouts.X86_64, "TableValue = 0)]", "TableValue = 0, HighAddressMask = [|0x3000|], HighAddressShift = 36)]"),
            "WALK0007", "HighAddressMask 0x3000 overlaps AddressMask 0x000F_FFFF_FFFF_F000 (bits 12-13): a second address field must be bits of its own");

    // WALK0010 .. WALK0012.

    [Fact]
    public void WALK0010_UpperHalf_with_SignExtend_points_at_UpperHalf() =>
        AssertDiagnostic(Replace(Layouts.X86_64, "SignExtend = true,", "SignExtend = true, UpperHalf = [|true|],"),
            "WALK0010", "UpperHalf and SignExtend cannot both be set: a sign-extended table holds both halves under one root (x86-64, RISC-V), UpperHalf gives the upper half a root of its own (AArch64 TTBR1)");

    [Fact]
    public void WALK0011_table_prot_that_reads_as_a_page_points_at_Prot() =>
        AssertDiagnostic(Replace(Layouts.X86_64, "Shift = 21, Entries = 512, Prot = 0x67", "Shift = 21, Entries = 512, Prot = [|0xE7|]"),
            "WALK0011", "level 2's Prot 0xE7 does not link a table: a new table linked with it would read as a page");

    [Fact]
    public void WALK0012_inherit_rule_on_an_address_bit_points_at_the_bit() =>
        AssertDiagnostic(Replace(Layouts.X86_64, "public static partial class", "[Inherit([|12|], InheritOp.And)]\npublic static partial class"),
            "WALK0012", "bit 12 of a leaf is an address bit, not a permission");

    // Properties the code fixes read.

    [Theory]
    [InlineData("Shift = 12, Entries = 500", "512")]
    [InlineData("Shift = 12, Entries = 100000", "512")]
    public void WALK0004_carries_the_entries_the_chain_needs(string entries, string expected)
    {
        var run = GeneratorHarness.Run(Replace(Layouts.X86_64, "Shift = 12, Entries = 512", entries));
        Assert.Equal(expected, Assert.Single(run.Diagnostics).Properties["Entries"]);
    }

    [Fact]
    public void WALK0005_carries_the_expected_shift()
    {
        var run = GeneratorHarness.Run(Replace(Layouts.X86_64, "Shift = 21", "Shift = 20"));
        Assert.Equal("21", Assert.Single(run.Diagnostics).Properties["ExpectedShift"]);
    }

    [Fact]
    public void WALK0001_carries_MakePartial_only_when_partial_fixes_it()
    {
        Assert.Equal("true", Assert.Single(GeneratorHarness.Run(Replace(Layouts.X86_64, "public static partial class X86_64;", "public static class X86_64;")).Diagnostics).Properties["MakePartial"]);
        Assert.False(Assert.Single(GeneratorHarness.Run($$"""
            using Walkers;
            {{LegacyAttributes}}
            public partial class Paging<T>;
            """).Diagnostics).Properties.ContainsKey("MakePartial"));
    }

    // WALK0013: [PageLevel] without [PageTable], from the analyzer (generation does not need it).

    [Fact]
    public void WALK0013_PageLevel_without_PageTable_warns_at_the_first_PageLevel() =>
        AssertAnalyzerDiagnostic("""
            using Walkers;
            [[|PageLevel(2, Shift = 22, Entries = 1024, Leaf = true)|]]
            [PageLevel(1, Shift = 12, Entries = 1024)]
            public static partial class Forgotten;
            """, "WALK0013", "'Forgotten' has [PageLevel] but no [PageTable], so no walker is generated for it: add [PageTable(...)] describing the entry format, or remove the [PageLevel] attributes");

    [Fact]
    public void WALK0013_Inherit_without_PageTable_warns_too() =>
        AssertAnalyzerDiagnostic("""
            using Walkers;
            [[|Inherit(1, InheritOp.And)|]]
            public partial struct Forgotten;
            """, "WALK0013", "'Forgotten' has [Inherit] but no [PageTable], so no walker is generated for it: add [PageTable(...)] describing the entry format, or remove the [Inherit] attributes");

    [Fact]
    public void WALK0013_is_not_reported_when_PageTable_is_on_another_partial_declaration()
    {
        var compilation = GeneratorHarness.Compilation("""
            using Walkers;
            [PageTable(VirtualAddressBits = 32, EntryBits = 32, PresentMask = 0x1, AddressMask = 0xFFFF_F000, TableMask = 0x80)]
            public static partial class Split;
            [PageLevel(2, Shift = 22, Entries = 1024, Leaf = true)]
            [PageLevel(1, Shift = 12, Entries = 1024)]
            public static partial class Split;
            """);
        Assert.Empty(AnalyzerDiagnostics(compilation));
        Assert.Empty(GeneratorHarness.Run(compilation).Diagnostics);
    }

    private static void AssertAnalyzerDiagnostic(string markup, string id, string message)
    {
        var (source, span) = Parse(markup);
        var compilation = GeneratorHarness.Compilation(source);
        var diagnostic = Assert.Single(AnalyzerDiagnostics(compilation));
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Warning, diagnostic.Severity);
        Assert.Equal(message, diagnostic.GetMessage(CultureInfo.InvariantCulture));
        Assert.Equal(span, diagnostic.Location.SourceSpan);
        Assert.Empty(GeneratorHarness.Run(compilation).Sources);
    }

    private static System.Collections.Immutable.ImmutableArray<Diagnostic> AnalyzerDiagnostics(Compilation compilation) =>
        Microsoft.CodeAnalysis.Diagnostics.DiagnosticAnalyzerExtensions.WithAnalyzers(compilation, [new LayoutAttributeAnalyzer()]).GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult();

    private static void AssertDiagnostic(string markup, string id, string message, bool allowUnsafe = true)
    {
        var (source, span) = Parse(markup);
        var run = GeneratorHarness.Run(source, allowUnsafe);

        var diagnostic = Assert.Single(run.Diagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Equal(message, diagnostic.GetMessage(CultureInfo.InvariantCulture));
        Assert.Equal("Layout.cs", diagnostic.Location.GetLineSpan().Path);
        Assert.True(span == diagnostic.Location.SourceSpan,
            $"Expected the diagnostic at '{source.Substring(span.Start, span.Length)}' {span}, but it points at '{SafeSubstring(source, diagnostic.Location.SourceSpan)}' {diagnostic.Location.SourceSpan}");
        Assert.Empty(run.Walkers);
    }

    private static string SafeSubstring(string text, Microsoft.CodeAnalysis.Text.TextSpan span) =>
        span.End <= text.Length ? text.Substring(span.Start, span.Length) : "(outside the source)";
}
