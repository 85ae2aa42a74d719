using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using Walkers.CodeFixes;
using Walkers.Generator.Tests.Infrastructure;
using static Walkers.Generator.Tests.Infrastructure.Markup;

namespace Walkers.Generator.Tests;

/// <summary>
/// The code fixes (generator/Walkers.CodeFixes), applied in an AdhocWorkspace to the diagnostic the generator
/// reports: the new source is what a person would write, and the diagnostic is gone.
/// </summary>
public class CodeFixTests
{
    [Fact]
    public Task WALK0001_make_partial_adds_partial_after_the_other_modifiers() =>
        AssertFix(new MakePartialCodeFix(), "WALK0001",
            Replace(Layouts.X86_64, "public static partial class X86_64;", "public static class X86_64;"),
            Layouts.X86_64, "Make 'X86_64' partial");

    [Fact]
    public Task WALK0001_make_partial_on_a_type_without_modifiers_keeps_its_line() =>
        AssertFix(new MakePartialCodeFix(), "WALK0001",
            Replace(Layouts.X86_64, "public static partial class X86_64;", "class X86_64 { }"),
            Replace(Layouts.X86_64, "public static partial class X86_64;", "partial class X86_64 { }"), "Make 'X86_64' partial");

    [Fact]
    public Task WALK0001_make_partial_also_fixes_the_containing_types() =>
        AssertFix(new MakePartialCodeFix(), "WALK0001", """
            using Walkers;
            namespace N;
            public class Outer
            {
                internal struct Middle
                {
                    [PageTable(VirtualAddressBits = 32, EntryBits = 32, PresentMask = 0x1, AddressMask = 0xFFFF_F000, TableMask = 0x80)]
                    [PageLevel(2, Shift = 22, Entries = 1024, Leaf = true)]
                    [PageLevel(1, Shift = 12, Entries = 1024)]
                    public static class Inner;
                }
            }
            """, """
            using Walkers;
            namespace N;
            public partial class Outer
            {
                internal partial struct Middle
                {
                    [PageTable(VirtualAddressBits = 32, EntryBits = 32, PresentMask = 0x1, AddressMask = 0xFFFF_F000, TableMask = 0x80)]
                    [PageLevel(2, Shift = 22, Entries = 1024, Leaf = true)]
                    [PageLevel(1, Shift = 12, Entries = 1024)]
                    public static partial class Inner;
                }
            }
            """, "Make 'Inner' partial");

    [Fact]
    public async Task WALK0001_for_a_generic_type_offers_no_fix()
    {
        var actions = await FixesFor(new MakePartialCodeFix(), "WALK0001", """
            using Walkers;
            [PageTable(VirtualAddressBits = 32, EntryBits = 32, PresentMask = 0x1, AddressMask = 0xFFFF_F000, TableMask = 0x80)]
            [PageLevel(2, Shift = 22, Entries = 1024, Leaf = true)]
            [PageLevel(1, Shift = 12, Entries = 1024)]
            public partial class Paging<T>;
            """);
        Assert.Empty(actions.Actions);
    }

    [Fact]
    public Task WALK0005_sets_the_shift_the_chain_needs() =>
        AssertFix(new SetLevelArgumentCodeFix(), "WALK0005", Replace(Layouts.X86_64, "Shift = 21", "Shift = 20"), Layouts.X86_64, "Set Shift to 21");

    [Theory]
    [InlineData("500")]
    [InlineData("511")]
    [InlineData("1000")]
    [InlineData("-512")]
    public Task WALK0004_sets_the_entries_the_chain_needs(string entries) =>
        AssertFix(new SetLevelArgumentCodeFix(), "WALK0004", Replace(Layouts.X86_64, "Shift = 12, Entries = 512", $"Shift = 12, Entries = {entries}"),
            Layouts.X86_64, "Set Entries to 512");

    [Fact]
    public Task WALK0004_at_the_top_level_sets_the_entries_VirtualAddressBits_needs() =>
        AssertFix(new SetLevelArgumentCodeFix(), "WALK0004", Replace(Layouts.X86Pae, "Entries = 4,", "Entries = 3,"), Layouts.X86Pae, "Set Entries to 4");

    [Fact]
    public Task WALK0004_adds_missing_entries_after_the_shift() =>
        AssertFix(new SetLevelArgumentCodeFix(), "WALK0004", Replace(Layouts.X86_64, "Shift = 12, Entries = 512,", "Shift = 12,"), Layouts.X86_64, "Set Entries to 512");

    [Fact]
    public Task WALK0004_without_a_chain_to_follow_rounds_to_the_nearest_power_of_two() =>
        AssertFix(new SetLevelArgumentCodeFix(), "WALK0004",
            Replace(Replace(Layouts.X86Legacy, "Shift = 22, Entries = 1024", "Shift = 0, Entries = 1024"), "Entries = 1024, Prot = 0x23", "Entries = 700, Prot = 0x23"),
            Replace(Replace(Layouts.X86Legacy, "Shift = 22, Entries = 1024", "Shift = 0, Entries = 1024"), "Entries = 1024, Prot = 0x23", "Entries = 512, Prot = 0x23"),
            "Set Entries to 512", ignoreOthers: true);

    private static async Task AssertFix(CodeFixProvider provider, string id, string source, string expected, string title, bool ignoreOthers = false)
    {
        var (document, actions) = await FixesFor(provider, id, source);
        var action = Assert.Single(actions);
        Assert.Equal(title, action.Title);

        var operations = await action.GetOperationsAsync(CancellationToken.None);
        var solution = operations.OfType<ApplyChangesOperation>().Single().ChangedSolution;
        var fixedDocument = solution.GetDocument(document.Id)!;
        string text = (await fixedDocument.GetTextAsync()).ToString();
        Assert.Equal(expected, text);

        var run = GeneratorHarness.Run((await fixedDocument.Project.GetCompilationAsync())!);
        if (ignoreOthers)
            Assert.DoesNotContain(run.Diagnostics, d => d.Id == id);
        else
            Assert.Empty(run.Diagnostics);
    }

    private static async Task<(Document Document, List<CodeAction> Actions)> FixesFor(CodeFixProvider provider, string id, string source)
    {
        var workspace = new AdhocWorkspace();
        var project = workspace.AddProject(ProjectInfo.Create(ProjectId.CreateNewId(), VersionStamp.Create(), "Test", "Test", LanguageNames.CSharp,
            compilationOptions: new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true, nullableContextOptions: NullableContextOptions.Enable),
            parseOptions: GeneratorHarness.ParseOptions,
            metadataReferences: GeneratorHarness.References));
        var document = workspace.AddDocument(project.Id, "Layout.cs", SourceText.From(source));
        var compilation = (await document.Project.GetCompilationAsync())!;
        var diagnostic = GeneratorHarness.Run(compilation).Diagnostics.Single(d => d.Id == id);
        Assert.Contains(id, provider.FixableDiagnosticIds);

        var actions = new List<CodeAction>();
        var context = new CodeFixContext(document, diagnostic, (action, _) => actions.Add(action), CancellationToken.None);
        await provider.RegisterCodeFixesAsync(context);
        return (document, actions);
    }
}
