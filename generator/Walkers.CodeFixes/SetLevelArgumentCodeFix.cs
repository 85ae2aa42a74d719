using System.Collections.Immutable;
using System.Composition;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Walkers.CodeFixes;

/// <summary>
/// WALK0004: sets a level's Entries to the power of two the chain needs (else the nearest one); WALK0005: sets a
/// level's Shift to the one the level below ends at. The value comes with the diagnostic (its properties), so the
/// fix and the message agree. An argument that is not written is added.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(SetLevelArgumentCodeFix)), Shared]
public sealed class SetLevelArgumentCodeFix : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = [DiagnosticIds.EntriesNotPowerOfTwo, DiagnosticIds.ShiftsDoNotChain];

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null)
            return;
        foreach (var diagnostic in context.Diagnostics)
        {
            var (argument, property) = diagnostic.Id == DiagnosticIds.EntriesNotPowerOfTwo
                ? ("Entries", DiagnosticIds.EntriesProperty)
                : ("Shift", DiagnosticIds.ExpectedShiftProperty);
            if (!diagnostic.Properties.TryGetValue(property, out var text)
                || !int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value))
                continue;
            var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: false);
            var attribute = node.FirstAncestorOrSelf<AttributeSyntax>();
            if (attribute is null)
                continue;
            context.RegisterCodeFix(
                CodeAction.Create($"Set {argument} to {value.ToString(CultureInfo.InvariantCulture)}",
                    cancellationToken => SetAsync(context.Document, attribute, argument, value, cancellationToken),
                    equivalenceKey: nameof(SetLevelArgumentCodeFix) + argument),
                diagnostic);
        }
    }

    private static async Task<Document> SetAsync(Document document, AttributeSyntax attribute, string name, int value, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root is null)
            return document;
        var literal = SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, SyntaxFactory.Literal(value));
        var existing = attribute.ArgumentList?.Arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.ValueText == name);
        if (existing is not null)
            return document.WithSyntaxRoot(root.ReplaceNode(existing.Expression, literal.WithTriviaFrom(existing.Expression)));

        var added = SyntaxFactory.AttributeArgument(SyntaxFactory.NameEquals(SyntaxFactory.IdentifierName(name)), null, literal)
            .NormalizeWhitespace();
        var list = attribute.ArgumentList ?? SyntaxFactory.AttributeArgumentList();
        var arguments = list.Arguments;
        // After the level number and the arguments before it, in the usual order (Shift, then Entries).
        int at = name == "Shift"
            ? arguments.TakeWhile(a => a.NameEquals is null).Count()
            : arguments.Count(a => a.NameEquals is null || a.NameEquals.Name.Identifier.ValueText == "Shift");
        // Existing arguments and separators keep their trivia; the new argument comes with a ", ".
        var nodes = arguments.ToList();
        nodes.Insert(at, added);
        var separators = arguments.GetSeparators().ToList();
        if (arguments.Count > 0)
            separators.Insert(at < arguments.Count ? at : at - 1, SyntaxFactory.Token(SyntaxKind.CommaToken).WithTrailingTrivia(SyntaxFactory.Space));
        var newList = list.WithArguments(SyntaxFactory.SeparatedList(nodes, separators));
        return document.WithSyntaxRoot(root.ReplaceNode(attribute, attribute.WithArgumentList(newList)));
    }
}
