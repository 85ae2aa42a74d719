using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;
using Walkers.Generator;

namespace Walkers.Package.Tests;

/// <summary>
/// Every <c>```csharp</c> block of README.md and docs/*.md is a whole C# file that compiles, with the Walkers generator
/// run over it, against Walkers, Walkers.Layouts and Walkers.Images, at C# 13 (the oldest language version the generated
/// code compiles with, the one the docs promise), without errors or warnings. A block that is not a whole file says so:
/// <c>```csharp-fragment</c>. Other spellings of C# (<c>cs</c>, <c>c#</c>) are refused, so no block escapes the check.
/// </summary>
public sealed class DocumentationCodeTests
{
    /// <summary>The oldest C# the generated code compiles with (<c>allows ref struct</c> is C# 13).</summary>
    public const LanguageVersion MinimumLanguageVersion = LanguageVersion.CSharp13;

    private static readonly CSharpParseOptions ParseOptions = new(MinimumLanguageVersion);

    private static readonly ImmutableArray<MetadataReference> References =
    [
        .. Basic.Reference.Assemblies.Net100.References.All,
        MetadataReference.CreateFromFile(typeof(PageTableAttribute).Assembly.Location),
        MetadataReference.CreateFromFile(typeof(Walkers.Layouts.ReadyLayouts).Assembly.Location),
        MetadataReference.CreateFromFile(typeof(Walkers.Images.MemoryImage).Assembly.Location),
    ];

    public static TheoryData<string, int> CSharpBlocks()
    {
        var data = new TheoryData<string, int>();
        foreach (string document in Markdown.Documents())
            foreach (var block in Markdown.Blocks(document, "csharp"))
                data.Add(document, block.Line);
        return data;
    }

    [Theory]
    [MemberData(nameof(CSharpBlocks))]
    public void A_csharp_block_compiles_with_the_generator_at_CSharp_13_without_errors_or_warnings(string document, int line)
    {
        var block = Markdown.Blocks(document, "csharp").Single(b => b.Line == line);
        var problems = Compile(block);
        Assert.True(problems.Count == 0, $"{block} does not compile:\n{string.Join("\n", problems)}\n--- the block ---\n{block.Text}");
    }

    [Fact]
    public void Documents_have_compiled_CSharp_and_spell_it_csharp_or_csharp_fragment()
    {
        var all = Markdown.Documents().SelectMany(d => Markdown.Blocks(d)).ToList();
        var misspelt = all.Where(b => b.Language.ToLowerInvariant() is "cs" or "c#" or "c-sharp" or "csharp-script").ToList();
        Assert.True(misspelt.Count == 0, "C# blocks must say csharp (compiled) or csharp-fragment (not): " + string.Join(", ", misspelt));
        // The documents this task wrote each carry compiled code: a document that loses it all has lost its check.
        foreach (string document in new[] { "README.md", "docs/getting-started.md", "docs/memory-and-visitors.md", "docs/cookbook.md", "docs/layouts.md", "docs/walk-semantics.md" })
            Assert.True(Markdown.Blocks(document, "csharp").Count > 0, $"{document} has no compiled C# block");
    }

    [Fact]
    public void The_check_rejects_code_that_does_not_compile()
    {
        // The check itself: a layout with a wrong entry count is a generator error, a type error is a compiler error.
        var wrongLayout = new CodeBlock("test", 1, "csharp", """
            using Walkers;
            [PageTable(VirtualAddressBits = 21, PresentMask = 1, AddressMask = 0xFFFF_F000)]
            [PageLevel(2, Shift = 12, Entries = 500)]
            [PageLevel(1, Shift = 3, Entries = 512)]
            static partial class Bad;
            """);
        Assert.Contains(Compile(wrongLayout), p => p.Contains("WALK0004", StringComparison.Ordinal));
        Assert.Contains(Compile(new CodeBlock("test", 1, "csharp", "int x = \"no\";\n")), p => p.Contains("CS0029", StringComparison.Ordinal));
    }

    /// <summary>Errors and warnings of the block compiled as one file, with the generator's output added.</summary>
    private static List<string> Compile(CodeBlock block)
    {
        var tree = CSharpSyntaxTree.ParseText(SourceText.From(block.Text, System.Text.Encoding.UTF8), ParseOptions, block.File + ".cs");
        bool program = tree.GetCompilationUnitRoot().Members.OfType<GlobalStatementSyntax>().Any();
        var compilation = CSharpCompilation.Create(
            "Snippet",
            [tree],
            References,
            new CSharpCompilationOptions(program ? OutputKind.ConsoleApplication : OutputKind.DynamicallyLinkedLibrary,
                allowUnsafe: true, nullableContextOptions: NullableContextOptions.Enable));
        var driver = CSharpGeneratorDriver.Create([new WalkersGenerator().AsSourceGenerator()], parseOptions: ParseOptions);
        driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);
        return generatorDiagnostics.Concat(output.GetDiagnostics())
            .Where(d => d.Severity >= DiagnosticSeverity.Warning)
            .Select(d => Describe(d, block))
            .ToList();
    }

    /// <summary>The diagnostic with its line in the Markdown file, so a failure points at the document.</summary>
    private static string Describe(Diagnostic diagnostic, CodeBlock block)
    {
        var span = diagnostic.Location.GetLineSpan();
        string where = diagnostic.Location.IsInSource && span.Path == block.File + ".cs"
            ? $"{block.File}:{block.Line + 1 + span.StartLinePosition.Line}"
            : span.Path is { Length: > 0 } p ? $"{Path.GetFileName(p)}:{span.StartLinePosition.Line + 1}" : "";
        return $"{where}: {diagnostic.Id}: {diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}";
    }
}
