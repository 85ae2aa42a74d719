using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Walkers.Generator.Model;

namespace Walkers.Generator;

/// <summary>
/// Emits specialised, unrolled page-table walkers for every type annotated with <c>[PageTable]</c>.
/// The pipeline only wires the parser and the emitter together.
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

        // Only the one compilation fact the output depends on, so unrelated edits do not re-run the emitter.
        var allowUnsafe = context.CompilationProvider
            .Select(static (compilation, _) => compilation.Options is CSharpCompilationOptions { AllowUnsafe: true })
            .WithTrackingName(TrackingNames.AllowUnsafe);

        var checkedResults = parsed
            .Combine(allowUnsafe)
            .Select(static (pair, _) => Parser.RequireUnsafe(pair.Left, pair.Right))
            .WithTrackingName(TrackingNames.Check);

        var layouts = checkedResults
            .Where(static result => result.Layout is not null)
            .Select(static (result, _) => result.Layout!)
            .WithTrackingName(TrackingNames.Layout);

        var diagnostics = checkedResults
            .SelectMany(static (result, _) => result.Diagnostics.Items)
            .WithTrackingName(TrackingNames.Diagnostics);

        context.RegisterSourceOutput(layouts, static (output, layout) =>
        {
            var (hintName, source) = Emitter.Emit(layout);
            output.AddSource(hintName, source);
        });

        context.RegisterSourceOutput(diagnostics, static (output, info) =>
            output.ReportDiagnostic(Diagnostic.Create(
                DiagnosticDescriptors.Get(info.Id),
                info.Location.ToLocation(),
                info.Arguments.Items.Cast<object>().ToArray())));
    }
}

/// <summary>Names of the tracked pipeline steps, for the caching tests.</summary>
internal static class TrackingNames
{
    public const string Parse = nameof(Parse);
    public const string AllowUnsafe = nameof(AllowUnsafe);
    public const string Check = nameof(Check);
    public const string Layout = nameof(Layout);
    public const string Diagnostics = nameof(Diagnostics);

    public static readonly ImmutableArray<string> All = [Parse, AllowUnsafe, Check, Layout, Diagnostics];
}
