using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using Walkers.Generator;

namespace Walkers.Generator.Tests.Infrastructure;

/// <summary>Builds test compilations and drives <see cref="WalkersGenerator"/> over them, the way the compiler does.</summary>
internal static class GeneratorHarness
{
    /// <summary>One set of parse options for the trees and the driver (different ones fail with "Inconsistent language versions").</summary>
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    /// <summary>.NET 10 reference assemblies plus the Walkers runtime (the attributes and the interfaces generated code implements).</summary>
    public static readonly ImmutableArray<MetadataReference> References =
        [.. Basic.Reference.Assemblies.Net100.References.All, MetadataReference.CreateFromFile(typeof(PageTableAttribute).Assembly.Location)];

    public static SyntaxTree Parse(string source, string path = "Layout.cs") =>
        CSharpSyntaxTree.ParseText(SourceText.From(source, System.Text.Encoding.UTF8), ParseOptions, path);

    public static CSharpCompilation Compilation(bool allowUnsafe, params SyntaxTree[] trees) =>
        CSharpCompilation.Create(
            "Walkers.Generator.TestInput",
            trees,
            References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: allowUnsafe, nullableContextOptions: NullableContextOptions.Enable));

    public static CSharpCompilation Compilation(string source, bool allowUnsafe = true) => Compilation(allowUnsafe, Parse(source));

    public static GeneratorDriver CreateDriver(bool trackSteps = false) =>
        CSharpGeneratorDriver.Create(
            [new WalkersGenerator().AsSourceGenerator()],
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: trackSteps));

    /// <summary>Runs the generator once over <paramref name="compilation"/>.</summary>
    public static GeneratorRun Run(Compilation compilation)
    {
        var driver = CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out var output, out var driverDiagnostics);
        return new GeneratorRun(driver.GetRunResult(), output, driverDiagnostics);
    }

    public static GeneratorRun Run(string source, bool allowUnsafe = true) => Run(Compilation(source, allowUnsafe));

    /// <summary>Runs the generator over <paramref name="source"/> at another C# version, or against other reference assemblies.</summary>
    public static GeneratorRun Run(string source, LanguageVersion version, ImmutableArray<MetadataReference>? references = null)
    {
        var options = new CSharpParseOptions(version);
        var tree = CSharpSyntaxTree.ParseText(SourceText.From(source, System.Text.Encoding.UTF8), options, "Layout.cs");
        var compilation = CSharpCompilation.Create("Walkers.Generator.TestInput", [tree], references ?? References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true,
                nullableContextOptions: version >= LanguageVersion.CSharp8 ? NullableContextOptions.Enable : NullableContextOptions.Disable));
        var driver = CSharpGeneratorDriver.Create([new WalkersGenerator().AsSourceGenerator()], parseOptions: options)
            .RunGeneratorsAndUpdateCompilation(compilation, out var output, out var driverDiagnostics);
        return new GeneratorRun(driver.GetRunResult(), output, driverDiagnostics);
    }

    public static string Describe(this Diagnostic diagnostic) => diagnostic.ToString();
}

/// <summary>The result of one generator run: what it generated, what it reported, and the compilation with its output added.</summary>
internal sealed record GeneratorRun(GeneratorDriverRunResult Result, Compilation Output, ImmutableArray<Diagnostic> DriverDiagnostics)
{
    public GeneratorRunResult Generator => Result.Results.Single();

    /// <summary>Diagnostics the generator reported (WALK…), in source order.</summary>
    public ImmutableArray<Diagnostic> Diagnostics => [.. Generator.Diagnostics.OrderBy(d => d.Location.SourceSpan.Start)];

    public ImmutableArray<GeneratedSourceResult> Sources => Generator.GeneratedSources;

    /// <summary>The generated walkers: <see cref="Sources"/> without the stubs that stand in for layouts with errors.</summary>
    public ImmutableArray<GeneratedSourceResult> Walkers => [.. Sources.Where(s => !IsStub(s))];

    /// <summary>The stubs (StubEmitter) that stand in for layouts with errors.</summary>
    public ImmutableArray<GeneratedSourceResult> Stubs => [.. Sources.Where(IsStub)];

    public static bool IsStub(GeneratedSourceResult source) => source.SourceText.ToString().Contains(StubEmitter.Marker, System.StringComparison.Ordinal);

    public string Source(string hintName) => Sources.Single(s => s.HintName == hintName).SourceText.ToString();

    /// <summary>Errors and warnings of the compilation with the generated code added (the generator's own WALK… excluded).</summary>
    public ImmutableArray<Diagnostic> OutputProblems =>
        [.. Output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning)];

    public static string Format(System.Collections.Generic.IEnumerable<Diagnostic> diagnostics) =>
        string.Join("\n", diagnostics.Select(d => d.ToString()));
}
