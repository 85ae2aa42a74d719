using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using Walkers.Generator.Tests.Infrastructure;

namespace Walkers.Generator.Tests;

/// <summary>
/// Every diagnostic's help link leads to a page: docs/diagnostics/WALK00NN.md exists, is titled with the rule's id
/// and title and states its severity; every page there is a rule's; docs/diagnostics/README.md lists them all. A
/// page's first C# block is a layout that gets exactly the message in the text block after it, and its later C#
/// blocks (the fixed layout) get no diagnostic at all, from the generator, the analyzer or the compiler.
/// </summary>
public class DiagnosticHelpPagesTests
{
    private static string PagesDirectory => Path.Combine(RepositoryRoot, "docs", "diagnostics");

    private static string PagePath(string id) => Path.Combine(PagesDirectory, id + ".md");

    public static TheoryData<string> Ids => new(DiagnosticDescriptors.All.Select(d => d.Id));

    [Theory]
    [MemberData(nameof(Ids))]
    public void Descriptor_links_its_help_page_and_has_a_title_and_a_description(string id)
    {
        var descriptor = DiagnosticDescriptors.Get(id);
        Assert.Equal(DiagnosticDescriptors.HelpLink(id), descriptor.HelpLinkUri);
        Assert.Equal(DiagnosticDescriptors.HelpLinkBase + id + ".md", descriptor.HelpLinkUri);
        Assert.False(string.IsNullOrWhiteSpace(descriptor.Title.ToString(CultureInfo.InvariantCulture)), $"{id} has no title");
        Assert.False(string.IsNullOrWhiteSpace(descriptor.Description.ToString(CultureInfo.InvariantCulture)), $"{id} has no description");
    }

    [Fact]
    public void Descriptors_have_distinct_ids_in_order()
    {
        var ids = DiagnosticDescriptors.All.Select(d => d.Id).ToList();
        Assert.Equal(ids.Distinct().Order(StringComparer.Ordinal), ids);
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Descriptor_has_a_page_titled_with_its_id_and_title_that_states_its_severity(string id)
    {
        var descriptor = DiagnosticDescriptors.Get(id);
        string path = PagePath(id);
        Assert.True(File.Exists(path), $"{id}'s help link {descriptor.HelpLinkUri} leads nowhere: no {path}");
        var lines = File.ReadAllLines(path);
        Assert.StartsWith("# " + id, lines[0], StringComparison.Ordinal);
        Assert.Equal($"# {id}: {descriptor.Title.ToString(CultureInfo.InvariantCulture)}", lines[0]);
        Assert.Contains($"| Severity | {descriptor.DefaultSeverity} |", lines);
    }

    [Fact]
    public void Every_page_belongs_to_a_descriptor()
    {
        var pages = Directory.GetFiles(PagesDirectory, "*.md")
            .Select(Path.GetFileNameWithoutExtension)
            .Where(name => name != "README")
            .Order(StringComparer.Ordinal);
        Assert.Equal(DiagnosticDescriptors.All.Select(d => d.Id).Order(StringComparer.Ordinal), pages);
    }

    [Fact]
    public void The_index_lists_every_descriptor_with_its_title_severity_and_page()
    {
        // | WALK0001 | title | Error | [WALK0001.md](WALK0001.md) |
        var rows = File.ReadAllLines(Path.Combine(PagesDirectory, "README.md"))
            .Where(line => line.StartsWith("| WALK", StringComparison.Ordinal))
            .Select(line => line.Trim().Trim('|').Split('|').Select(cell => cell.Trim()).ToArray())
            .ToList();
        Assert.Equal(DiagnosticDescriptors.All.Select(d => d.Id), rows.Select(row => row[0]));
        foreach (var descriptor in DiagnosticDescriptors.All)
        {
            var row = rows.Single(r => r[0] == descriptor.Id);
            Assert.Equal(
                [descriptor.Id, descriptor.Title.ToString(CultureInfo.InvariantCulture), descriptor.DefaultSeverity.ToString(), $"[{descriptor.Id}.md]({descriptor.Id}.md)"],
                row);
        }
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void The_pages_example_gets_the_message_shown_and_its_fix_gets_none(string id)
    {
        var descriptor = DiagnosticDescriptors.Get(id);
        var blocks = FencedBlocks(File.ReadAllLines(PagePath(id)));
        int example = blocks.FindIndex(b => b.Language == "csharp");
        Assert.True(example >= 0, $"{id}.md has no csharp block");
        Assert.True(example + 1 < blocks.Count && blocks[example + 1].Language == "text", $"{id}.md: the first csharp block is not followed by the message, in a text block");
        string message = blocks[example + 1].Text.Trim();

        var (diagnostics, compilerProblems) = Diagnose(id, blocks[example].Text);
        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(descriptor.DefaultSeverity, diagnostic.Severity);
        Assert.Equal(message, diagnostic.GetMessage(CultureInfo.InvariantCulture));
        Assert.True(compilerProblems.IsEmpty, $"{id}.md's example has compiler diagnostics besides {id}:\n{GeneratorRun.Format(compilerProblems)}");

        foreach (var fixedBlock in blocks.Skip(example + 2).Where(b => b.Language == "csharp"))
        {
            var (remaining, problems) = Diagnose(id, fixedBlock.Text);
            Assert.True(remaining.IsEmpty && problems.IsEmpty,
                $"{id}.md line {fixedBlock.Line}: the fixed layout still gets:\n{GeneratorRun.Format([.. remaining, .. problems])}");
        }
    }

    /// <summary>
    /// The generator's and the analyzer's diagnostics for <paramref name="source"/>, and the compiler's errors and
    /// warnings once the generated code is added. A project as the page describes it: without unsafe code for
    /// WALK0008, at C# 12 for WALK0014, else as a net10.0 project with unsafe code.
    /// </summary>
    private static (ImmutableArray<Diagnostic> Walkers, ImmutableArray<Diagnostic> Compiler) Diagnose(string id, string source)
    {
        var parseOptions = new CSharpParseOptions(id == "WALK0014" ? LanguageVersion.CSharp12 : LanguageVersion.Latest);
        var tree = CSharpSyntaxTree.ParseText(SourceText.From(source, Encoding.UTF8), parseOptions, id + ".cs");
        var compilation = CSharpCompilation.Create("Walkers.Generator.HelpPage", [tree], GeneratorHarness.References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: id != "WALK0008", nullableContextOptions: NullableContextOptions.Enable));
        var driver = CSharpGeneratorDriver.Create([new WalkersGenerator().AsSourceGenerator()], parseOptions: parseOptions)
            .RunGeneratorsAndUpdateCompilation(compilation, out var output, out var driverDiagnostics);
        Assert.All(driverDiagnostics, d => Assert.StartsWith("WALK", d.Id, StringComparison.Ordinal)); // no CS8785: the generator did not throw
        var analyzer = compilation.WithAnalyzers([new LayoutAttributeAnalyzer()]).GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult();
        ImmutableArray<Diagnostic> walkers = [.. driver.GetRunResult().Results.Single().Diagnostics, .. analyzer];
        ImmutableArray<Diagnostic> compiler = [.. output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning)];
        return (walkers, compiler);
    }

    private sealed record FencedBlock(string Language, int Line, string Text);

    /// <summary>The fenced code blocks of a Markdown file, in order: info string, line of the opening fence (1-based), text.</summary>
    private static List<FencedBlock> FencedBlocks(string[] lines)
    {
        var blocks = new List<FencedBlock>();
        for (int i = 0; i < lines.Length; i++)
        {
            if (!lines[i].StartsWith("```", StringComparison.Ordinal))
                continue;
            string language = lines[i].Substring(3).Trim();
            int start = i + 1;
            int end = start;
            while (end < lines.Length && lines[end].TrimEnd() != "```")
                end++;
            blocks.Add(new FencedBlock(language, i + 1, string.Join("\n", lines[start..Math.Min(end, lines.Length)]) + "\n"));
            i = end;
        }
        return blocks;
    }

    /// <summary>The folder of Walkers.sln, above the test binaries or (built elsewhere, with --artifacts-path) above this source file.</summary>
    private static string RepositoryRoot { get; } = FindRoot();

    private static string FindRoot([CallerFilePath] string sourceFile = "")
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Path.GetDirectoryName(sourceFile) ?? "" })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "Walkers.sln")))
                    return directory.FullName;
            }
        }
        throw new InvalidOperationException($"No Walkers.sln above {AppContext.BaseDirectory} or {sourceFile}");
    }
}
