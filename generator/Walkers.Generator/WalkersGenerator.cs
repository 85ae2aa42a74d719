using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Walkers.Generator.Model;

namespace Walkers.Generator;

/// <summary>
/// Emits specialised, unrolled page-table walkers for every type annotated with <c>[PageTable]</c>.
/// The pipeline only wires the parser and the emitters together: a valid layout gets its walker; a layout with
/// errors (or a project that cannot compile walkers) gets its WALK diagnostics and a stub with the same members.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class WalkersGenerator : IIncrementalGenerator
{
    internal const string PageTableAttributeName = "Walkers.PageTableAttribute";
    internal const string PageLevelAttributeName = "Walkers.PageLevelAttribute";
    internal const string InheritAttributeName = "Walkers.InheritAttribute";

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var parsed = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                PageTableAttributeName,
                static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.TypeDeclarationSyntax,
                static (syntaxContext, cancellationToken) => Parser.Parse(syntaxContext, cancellationToken))
            .WithTrackingName(TrackingNames.Parse);

        // Only the compilation facts the output depends on, each a value, so unrelated edits do not re-run the emitters.
        var allowUnsafe = context.CompilationProvider
            .Select(static (compilation, _) => compilation.Options is CSharpCompilationOptions { AllowUnsafe: true })
            .WithTrackingName(TrackingNames.AllowUnsafe);

        var languageVersion = context.ParseOptionsProvider
            .Select(static (options, _) => options is CSharpParseOptions csharp ? csharp.LanguageVersion : LanguageVersion.Default)
            .WithTrackingName(TrackingNames.LanguageVersion);

        var runtimeSupported = context.CompilationProvider
            .Select(static (compilation, _) => Parser.RuntimeSupportsWalkers(compilation))
            .WithTrackingName(TrackingNames.TargetRuntime);

        var checkedResults = parsed
            .Combine(allowUnsafe)
            .Combine(languageVersion)
            .Combine(runtimeSupported)
            .Select(static (pair, _) => Parser.CheckCompilation(pair.Left.Left.Left, new CompilationFacts(pair.Left.Left.Right, pair.Left.Right, pair.Right)))
            .WithTrackingName(TrackingNames.Check);

        var layouts = checkedResults
            .Where(static result => result.Layout is not null)
            .Select(static (result, _) => result.Layout!)
            .WithTrackingName(TrackingNames.Layout);

        var stubs = checkedResults
            .Where(static result => result.Layout is null && result.Stub is not null)
            .Select(static (result, _) => result.Stub!)
            .WithTrackingName(TrackingNames.Stub);

        var diagnostics = checkedResults
            .SelectMany(static (result, _) => result.Diagnostics.Items)
            .WithTrackingName(TrackingNames.Diagnostics);

        context.RegisterSourceOutput(layouts, static (output, layout) =>
        {
            var (hintName, source) = Emitter.Emit(layout);
            output.AddSource(hintName, source);
        });

        context.RegisterSourceOutput(stubs, static (output, stub) =>
        {
            var (hintName, source) = StubEmitter.Emit(stub);
            output.AddSource(hintName, source);
        });

        context.RegisterSourceOutput(diagnostics, static (output, info) =>
            output.ReportDiagnostic(Diagnostic.Create(
                DiagnosticDescriptors.Get(info.Id),
                info.Location.ToLocation(),
                info.PropertyMap(),
                info.Arguments.Items.Cast<object>().ToArray())));
    }
}

/// <summary>What the project can compile, from its options and references.</summary>
/// <param name="RuntimeSupportsWalkers">The target runtime has static abstract interface members and ref struct type arguments.</param>
internal readonly record struct CompilationFacts(bool AllowUnsafe, LanguageVersion LanguageVersion, bool RuntimeSupportsWalkers);

/// <summary>Names of the tracked pipeline steps, for the caching tests.</summary>
internal static class TrackingNames
{
    public const string Parse = nameof(Parse);
    public const string AllowUnsafe = nameof(AllowUnsafe);
    public const string LanguageVersion = nameof(LanguageVersion);
    public const string TargetRuntime = nameof(TargetRuntime);
    public const string Check = nameof(Check);
    public const string Layout = nameof(Layout);
    public const string Stub = nameof(Stub);
    public const string Diagnostics = nameof(Diagnostics);

    public static readonly ImmutableArray<string> All = [Parse, AllowUnsafe, LanguageVersion, TargetRuntime, Check, Layout, Stub, Diagnostics];
}
