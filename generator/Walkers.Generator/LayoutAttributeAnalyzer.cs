using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Walkers.Generator;

/// <summary>
/// The diagnostics that generation does not need, as an analyzer so the IDE shows them while typing: [PageLevel]
/// or [Inherit] on a type without [PageTable] (WALK0013) — the generator never looks at such a type. Everything
/// that decides whether a walker is generated stays in the generator (WalkersGenerator), which reports it: an
/// analyzer's diagnostics vanish with RunAnalyzers=false, and a build would then pass with a throwing stub.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class LayoutAttributeAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = [DiagnosticDescriptors.LevelWithoutPageTable];

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(static start =>
        {
            var pageTable = start.Compilation.GetTypeByMetadataName(WalkersGenerator.PageTableAttributeName);
            var pageLevel = start.Compilation.GetTypeByMetadataName(WalkersGenerator.PageLevelAttributeName);
            var inherit = start.Compilation.GetTypeByMetadataName(WalkersGenerator.InheritAttributeName);
            if (pageTable is null || (pageLevel is null && inherit is null))
                return; // the project does not reference Walkers
            start.RegisterSymbolAction(symbolContext => AnalyzeType(symbolContext, pageTable, pageLevel, inherit), SymbolKind.NamedType);
        });
    }

    private static void AnalyzeType(SymbolAnalysisContext context, INamedTypeSymbol pageTable, INamedTypeSymbol? pageLevel, INamedTypeSymbol? inherit)
    {
        var attributes = context.Symbol.GetAttributes();
        if (attributes.Any(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, pageTable)))
            return;
        var orphan = attributes.FirstOrDefault(a =>
            SymbolEqualityComparer.Default.Equals(a.AttributeClass, pageLevel) || SymbolEqualityComparer.Default.Equals(a.AttributeClass, inherit));
        if (orphan?.ApplicationSyntaxReference is not { } reference)
            return;
        string name = SymbolEqualityComparer.Default.Equals(orphan.AttributeClass, pageLevel) ? "PageLevel" : "Inherit";
        context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.LevelWithoutPageTable,
            Location.Create(reference.SyntaxTree, reference.Span), context.Symbol.Name, name));
    }
}
