using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Walkers.Generator.Tests.Infrastructure;

namespace Walkers.Generator.Tests;

/// <summary>
/// WALK0014: a project whose C# version or target cannot compile the generated walkers gets one WALK diagnostic per
/// layout and a stub it can compile, instead of CS9202 inside the generated file. The minimum version is pinned by
/// compiling the ready layouts' walkers at it and one below.
/// </summary>
public class LanguageVersionTests
{
    /// <summary>A layout and a use of it in C# 9 syntax (no file-scoped namespace, no body-less type).</summary>
    private const string OldSyntaxLayout = """
        using Walkers;
        namespace N
        {
            [PageTable(VirtualAddressBits = 32, EntryBits = 32, PresentMask = 0x1, AddressMask = 0xFFFF_F000, TableMask = 0x80)]
            [PageLevel(2, Shift = 22, Entries = 1024, Prot = 0x3, Leaf = true)]
            [PageLevel(1, Shift = 12, Entries = 1024, Prot = 0x3)]
            public static partial class Legacy { }

            public static class User
            {
                public static bool Use<TMemory>(TMemory memory) where TMemory : struct, IPhysicalMemory =>
                    Legacy.TryTranslate(memory, 0x1000, 0x2000, out _) && Legacy.Layout.Levels == 2;
            }
        }
        """;

    [Fact]
    public void The_minimum_language_version_is_the_lowest_that_compiles_the_ready_layouts_walkers()
    {
        var minimum = Walkers.Generator.DiagnosticDescriptors.MinimumLanguageVersion;
        Assert.Equal(LanguageVersion.CSharp13, minimum);
        Assert.Empty(GeneratedCodeErrors(minimum));
        var below = GeneratedCodeErrors(LanguageVersion.CSharp12);
        Assert.NotEmpty(below);
        Assert.All(below, d => Assert.Equal("CS9202", d.Id)); // 'allows ref struct constraint' is not available in C# 12.0
    }

    [Theory]
    [InlineData(LanguageVersion.CSharp12, "12.0")]
    [InlineData(LanguageVersion.CSharp9, "9.0")]
    public void Too_old_a_language_version_gives_WALK0014_at_the_PageTable_attribute_and_a_stub_that_compiles(LanguageVersion version, string text)
    {
        var run = GeneratorHarness.Run(OldSyntaxLayout, version);

        var diagnostic = Assert.Single(run.Diagnostics);
        Assert.Equal("WALK0014", diagnostic.Id);
        Assert.Equal($"The walkers generated for 'Legacy' need C# 13 or later: the project uses C# {text}: set <LangVersion>13</LangVersion> or later in the project (or remove <LangVersion> to use the SDK's default)",
            diagnostic.GetMessage(CultureInfo.InvariantCulture));
        Assert.StartsWith("PageTable(", SourceAt(OldSyntaxLayout, diagnostic));
        Assert.Empty(run.Walkers);
        Assert.Single(run.Stubs);
        Assert.True(run.OutputProblems.IsEmpty, "Only WALK0014 should show:\n" + GeneratorRun.Format(run.OutputProblems));
    }

    [Fact]
    public void The_language_version_of_the_ready_layouts_project_before_the_fix_shows_one_WALK0014_per_layout_and_no_CS9202()
    {
        var run = GeneratorHarness.Run(Layouts.X86_64 + "\n" + Layouts.X86Pae.Replace("using Walkers;", "").Replace("namespace Walkers.Layouts;", ""), LanguageVersion.CSharp12);
        Assert.Equal(["WALK0014", "WALK0014"], run.Diagnostics.Select(d => d.Id));
        Assert.DoesNotContain(run.Output.GetDiagnostics(), d => d.Id == "CS9202");
    }

    [Fact]
    public void A_target_without_ref_struct_type_arguments_gives_WALK0014_naming_the_runtime()
    {
        ImmutableArray<MetadataReference> net8 =
            [.. Basic.Reference.Assemblies.Net80.References.All, MetadataReference.CreateFromFile(typeof(PageTableAttribute).Assembly.Location)];
        var run = GeneratorHarness.Run(OldSyntaxLayout, LanguageVersion.CSharp13, net8);

        var diagnostic = Assert.Single(run.Diagnostics);
        Assert.Equal("WALK0014", diagnostic.Id);
        Assert.Equal("The walkers generated for 'Legacy' need a runtime with static abstract interface members and ref struct type arguments: " +
            "the target framework has no RuntimeFeature.ByRefLikeGenerics: target .NET 9 or later (the Walkers runtime is built for net10.0)",
            diagnostic.GetMessage(CultureInfo.InvariantCulture));
        var stub = Assert.Single(run.Stubs);
        Assert.DoesNotContain("allows ref struct", stub.SourceText.ToString());
        // The net10 runtime assembly against net8 references has problems of its own; the stub adds none.
        Assert.DoesNotContain(run.Output.GetDiagnostics(), d => d.Location.SourceTree?.FilePath.EndsWith(".g.cs", System.StringComparison.Ordinal) == true);
    }

    [Fact]
    public void Changing_the_language_version_reruns_only_the_language_version_check()
    {
        var options12 = new CSharpParseOptions(LanguageVersion.CSharp12);
        var tree = CSharpSyntaxTree.ParseText(OldSyntaxLayout, GeneratorHarness.ParseOptions, "Layout.cs");
        var compilation = GeneratorHarness.Compilation(true, tree);
        var driver = GeneratorHarness.CreateDriver(trackSteps: true).RunGenerators(compilation);

        var old = tree.WithRootAndOptions(tree.GetRoot(), options12);
        driver = driver.WithUpdatedParseOptions(options12).RunGenerators(compilation.ReplaceSyntaxTree(tree, old));
        var second = driver.GetRunResult().Results.Single();

        Assert.Equal([IncrementalStepRunReason.Modified], second.TrackedSteps[TrackingNames.LanguageVersion].SelectMany(s => s.Outputs).Select(o => o.Reason));
        Assert.All(second.TrackedSteps[TrackingNames.AllowUnsafe].SelectMany(s => s.Outputs), o => Assert.Equal(IncrementalStepRunReason.Unchanged, o.Reason));
        Assert.Equal(["WALK0014"], second.Diagnostics.Select(d => d.Id));
        Assert.True(GeneratorRun.IsStub(Assert.Single(second.GeneratedSources)));
    }

    /// <summary>The errors inside the ready layouts' generated walkers when compiled at <paramref name="version"/>.</summary>
    private static ImmutableArray<Diagnostic> GeneratedCodeErrors(LanguageVersion version)
    {
        var options = new CSharpParseOptions(version);
        var errors = ImmutableArray.CreateBuilder<Diagnostic>();
        var assembly = typeof(LanguageVersionTests).Assembly;
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("ReadyLayouts/", System.StringComparison.Ordinal)))
        {
            using var reader = new System.IO.StreamReader(assembly.GetManifestResourceStream(name)!);
            string source = reader.ReadToEnd();
            var run = GeneratorHarness.Run(source); // the walkers, generated at the latest version
            // The layout and its walkers at that version; only errors inside the walkers count (the layouts' own
            // syntax, e.g. body-less types, needs C# 12 or later anyway).
            var trees = run.Walkers.Select(s => CSharpSyntaxTree.ParseText(s.SourceText, options, s.HintName))
                .Append(CSharpSyntaxTree.ParseText(source, options, name));
            var compilation = CSharpCompilation.Create("Probe", trees, GeneratorHarness.References,
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true, nullableContextOptions: NullableContextOptions.Enable));
            errors.AddRange(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error
                && d.Location.SourceTree?.FilePath.EndsWith(".g.cs", System.StringComparison.Ordinal) == true));
        }
        return errors.ToImmutable();
    }

    private static string SourceAt(string source, Diagnostic diagnostic) =>
        source.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length);
}
