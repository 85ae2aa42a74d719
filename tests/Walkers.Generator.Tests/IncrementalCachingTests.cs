using System.Collections;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using Walkers.Generator.Model;
using Walkers.Generator.Tests.Infrastructure;

namespace Walkers.Generator.Tests;

/// <summary>
/// The pipeline caches: an edit that does not touch a layout re-uses every tracked step and generates nothing
/// new; an edit to a layout re-runs it. Each second run gets a genuinely new compilation (re-running the same
/// compilation proves nothing). Only the generator's own tracking names are checked.
/// </summary>
public class IncrementalCachingTests
{
    /// <summary>The layout the shift tests edit: x86 legacy, whose level 1 can be re-shaped without breaking the chain.</summary>
    private const string EditableLayout = """
        using Walkers;
        namespace Walkers.Layouts;
        [PageTable(VirtualAddressBits = 32, EntryBits = 32, PresentMask = 0x1, AddressMask = 0xFFFF_F000, TableMask = 0x80)]
        [PageLevel(2, Shift = 22, Entries = 1024, Leaf = true)]
        [PageLevel(1, Shift = 12, Entries = 1024)]
        public static partial class Editable;
        """;

    /// <summary>A second layout with a diagnostic, so the diagnostics step carries values too.</summary>
    private const string BrokenLayout = """
        using Walkers;
        [PageTable(VirtualAddressBits = 48, PresentMask = 0x1, AddressMask = 0xF000)]
        [PageLevel(2, Shift = 21, Entries = 500)]
        [PageLevel(1, Shift = 12, Entries = 512)]
        public static partial class Broken;
        """;

    private static readonly IncrementalStepRunReason[] Reused = [IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged];

    [Fact]
    public void Adding_an_unrelated_syntax_tree_reuses_every_tracked_step_and_generates_nothing_new()
    {
        var compilation = GeneratorHarness.Compilation(true,
            GeneratorHarness.Parse(Layouts.X86_64, "X86_64.cs"), GeneratorHarness.Parse(BrokenLayout, "Broken.cs"), GeneratorHarness.Parse("class Other { }", "Other.cs"));
        var driver = GeneratorHarness.CreateDriver(trackSteps: true).RunGenerators(compilation);
        var first = driver.GetRunResult().Results.Single();

        driver = driver.RunGenerators(compilation.AddSyntaxTrees(GeneratorHarness.Parse("class Another { }", "Another.cs")));
        var second = driver.GetRunResult().Results.Single();

        AssertOurStepsReused(second);
        AssertNoNewSource(first, second);
        Assert.Equal(["WALK0004"], second.Diagnostics.Select(d => d.Id)); // cached diagnostics are still reported
    }

    [Fact]
    public void Editing_another_file_reuses_every_tracked_step_and_generates_nothing_new()
    {
        var other = GeneratorHarness.Parse("class Other { int A; }", "Other.cs");
        var compilation = GeneratorHarness.Compilation(true, GeneratorHarness.Parse(Layouts.X86_64, "X86_64.cs"), GeneratorHarness.Parse(BrokenLayout, "Broken.cs"), other);
        var driver = GeneratorHarness.CreateDriver(trackSteps: true).RunGenerators(compilation);
        var first = driver.GetRunResult().Results.Single();

        var edited = other.WithChangedText(SourceText.From("class Other { int A; int B; }"));
        driver = driver.RunGenerators(compilation.ReplaceSyntaxTree(other, edited));
        var second = driver.GetRunResult().Results.Single();

        AssertOurStepsReused(second);
        AssertNoNewSource(first, second);
    }

    [Fact]
    public void Changing_one_levels_shift_reruns_parse_and_regenerates_the_walker()
    {
        var layout = GeneratorHarness.Parse(EditableLayout, "Editable.cs");
        var compilation = GeneratorHarness.Compilation(true, layout, GeneratorHarness.Parse("class Other { }", "Other.cs"));
        var driver = GeneratorHarness.CreateDriver(trackSteps: true).RunGenerators(compilation);

        // 8 KiB pages, 512 per table: level 1 still ends at bit 22, so the layout stays valid.
        var edited = layout.WithChangedText(SourceText.From(Markup.Replace(EditableLayout, "[PageLevel(1, Shift = 12, Entries = 1024)]", "[PageLevel(1, Shift = 13, Entries = 512)]")));
        driver = driver.RunGenerators(compilation.ReplaceSyntaxTree(layout, edited));
        var second = driver.GetRunResult().Results.Single();

        Assert.Equal([IncrementalStepRunReason.Modified], Reasons(second, TrackingNames.Parse));
        Assert.Equal([IncrementalStepRunReason.Modified], Reasons(second, TrackingNames.Layout));
        Assert.Equal([IncrementalStepRunReason.Unchanged], Reasons(second, TrackingNames.AllowUnsafe));
        Assert.Equal([IncrementalStepRunReason.Modified], second.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs).Select(o => o.Reason));
        Assert.Contains("1 => 13,", Assert.Single(second.GeneratedSources).SourceText.ToString());
    }

    [Fact]
    public void Changing_a_shift_so_the_chain_breaks_removes_the_walker_and_reports_WALK0005()
    {
        var layout = GeneratorHarness.Parse(EditableLayout, "Editable.cs");
        var compilation = GeneratorHarness.Compilation(true, layout);
        var driver = GeneratorHarness.CreateDriver(trackSteps: true).RunGenerators(compilation);

        var edited = layout.WithChangedText(SourceText.From(Markup.Replace(EditableLayout, "Shift = 12", "Shift = 11")));
        driver = driver.RunGenerators(compilation.ReplaceSyntaxTree(layout, edited));
        var second = driver.GetRunResult().Results.Single();

        Assert.Equal([IncrementalStepRunReason.Modified], Reasons(second, TrackingNames.Parse));
        Assert.Equal([IncrementalStepRunReason.Removed], Reasons(second, TrackingNames.Layout));
        Assert.Equal([IncrementalStepRunReason.New], Reasons(second, TrackingNames.Diagnostics));
        Assert.Equal([IncrementalStepRunReason.New], Reasons(second, TrackingNames.Stub));
        Assert.True(GeneratorRun.IsStub(Assert.Single(second.GeneratedSources)), "The walker was not replaced by a stub.");
        Assert.Equal(["WALK0005"], second.Diagnostics.Select(d => d.Id));
    }

    [Fact]
    public void Turning_unsafe_off_keeps_the_parsed_layout_and_reruns_only_the_unsafe_check()
    {
        var compilation = GeneratorHarness.Compilation(true, GeneratorHarness.Parse(Layouts.X86_64, "X86_64.cs"));
        var driver = GeneratorHarness.CreateDriver(trackSteps: true).RunGenerators(compilation);

        driver = driver.RunGenerators(compilation.WithOptions(compilation.Options.WithAllowUnsafe(false)));
        var second = driver.GetRunResult().Results.Single();

        // New options re-run the attribute transform; its equal result stops the change there.
        Assert.All(Reasons(second, TrackingNames.Parse), reason => Assert.Contains(reason, Reused));
        Assert.Equal([IncrementalStepRunReason.Modified], Reasons(second, TrackingNames.AllowUnsafe));
        Assert.Equal([IncrementalStepRunReason.Modified], Reasons(second, TrackingNames.Check));
        Assert.Equal(["WALK0008"], second.Diagnostics.Select(d => d.Id));
        Assert.True(GeneratorRun.IsStub(Assert.Single(second.GeneratedSources)), "The walker was not replaced by a stub.");
    }

    [Fact]
    public void No_tracked_step_output_holds_a_symbol_compilation_syntax_node_or_syntax_tree()
    {
        var compilation = GeneratorHarness.Compilation(true,
            GeneratorHarness.Parse(Layouts.X86_64, "X86_64.cs"), GeneratorHarness.Parse(BrokenLayout, "Broken.cs"));
        var driver = GeneratorHarness.CreateDriver(trackSteps: true).RunGenerators(compilation);
        var result = driver.GetRunResult().Results.Single();

        var found = new List<string>();
        int scanned = 0;
        foreach (var name in TrackingNames.All)
        {
            foreach (var step in result.TrackedSteps.GetValueOrDefault(name, ImmutableArray<IncrementalGeneratorRunStep>.Empty))
            {
                foreach (var (value, _) in step.Outputs)
                {
                    scanned++;
                    ForbiddenValueScanner.Scan(value, name, found);
                }
            }
        }

        Assert.True(scanned >= 5, $"Only {scanned} tracked outputs were scanned: the test would prove nothing.");
        Assert.Empty(found);
    }

    [Fact]
    public void Forbidden_value_scanner_finds_symbols_and_trees_hidden_in_tuples_records_and_arrays()
    {
        var compilation = GeneratorHarness.Compilation(Layouts.X86_64);
        var symbol = compilation.GetTypeByMetadataName("Walkers.PageTableAttribute")!;
        var tree = compilation.SyntaxTrees.Single();
        var found = new List<string>();

        ForbiddenValueScanner.Scan((1, symbol), "tuple", found);
        ForbiddenValueScanner.Scan(new[] { new object[] { "x", tree.GetRoot() } }, "array", found);
        ForbiddenValueScanner.Scan(new { Where = tree.GetRoot().GetLocation() }, "location", found); // a Location keeps its tree
        ForbiddenValueScanner.Scan(compilation, "compilation", found);

        Assert.Equal(4, found.Count);
        var clean = new List<string>();
        ForbiddenValueScanner.Scan(new DiagnosticInfo("WALK0001", default, new[] { "a" }.ToEquatableArray()), "clean", clean);
        Assert.Empty(clean);
    }

    private static void AssertOurStepsReused(GeneratorRunResult run)
    {
        foreach (var name in new[] { TrackingNames.Parse, TrackingNames.AllowUnsafe, TrackingNames.LanguageVersion, TrackingNames.TargetRuntime, TrackingNames.Check,
                     TrackingNames.Layout, TrackingNames.Stub, TrackingNames.Diagnostics })
        {
            Assert.True(run.TrackedSteps.ContainsKey(name), $"Step {name} was not tracked in the second run.");
            var reasons = Reasons(run, name);
            Assert.NotEmpty(reasons);
            Assert.All(reasons, reason => Assert.Contains(reason, Reused));
        }
    }

    private static void AssertNoNewSource(GeneratorRunResult first, GeneratorRunResult second)
    {
        var outputs = second.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs).ToList();
        Assert.NotEmpty(outputs);
        Assert.All(outputs, output => Assert.Equal(IncrementalStepRunReason.Cached, output.Reason));
        Assert.Equal(first.GeneratedSources.Select(s => (s.HintName, s.SourceText.ToString())), second.GeneratedSources.Select(s => (s.HintName, s.SourceText.ToString())));
    }

    private static IncrementalStepRunReason[] Reasons(GeneratorRunResult run, string step) =>
        [.. run.TrackedSteps[step].SelectMany(s => s.Outputs).Select(o => o.Reason)];
}

/// <summary>Walks a value's fields, collections and tuple items, and records every symbol, compilation, syntax node or tree it holds.</summary>
internal static class ForbiddenValueScanner
{
    public static void Scan(object? value, string path, List<string> found) =>
        Scan(value, path, found, new HashSet<object>(ReferenceEqualityComparer.Instance), 0);

    private static void Scan(object? value, string path, List<string> found, HashSet<object> seen, int depth)
    {
        if (value is null || depth > 40)
            return;
        var type = value.GetType();
        if (value is ISymbol or Compilation or SyntaxNode or SyntaxTree or SemanticModel or AttributeData)
        {
            found.Add($"{path}: {type.FullName}");
            return;
        }
        if (type.IsPrimitive || type.IsEnum || type.IsPointer || value is string or decimal or System.Type)
            return;
        if (!type.IsValueType && !seen.Add(value))
            return;

        // ImmutableArray is scanned through its array field: enumerating a default one throws.
        bool isImmutableArray = type.IsGenericType && type.GetGenericTypeDefinition() == typeof(ImmutableArray<>);
        if (value is IEnumerable items && !isImmutableArray && value is not System.Array)
        {
            int index = 0;
            foreach (var item in items)
                Scan(item, $"{path}[{index++}]", found, seen, depth + 1);
        }
        if (value is System.Array array)
        {
            for (int index = 0; index < array.Length; index++)
                Scan(array.GetValue(index), $"{path}[{index}]", found, seen, depth + 1);
            return;
        }
        for (var current = type; current is not null && current != typeof(object); current = current.BaseType)
        {
            foreach (var field in current.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                if (field.FieldType.IsPointer || field.FieldType.IsByRefLike)
                    continue;
                Scan(field.GetValue(value), $"{path}.{field.Name}", found, seen, depth + 1);
            }
        }
    }
}
