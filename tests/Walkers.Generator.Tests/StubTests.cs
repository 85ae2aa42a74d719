using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Walkers.Generator.Model;
using Walkers.Generator.Tests.Infrastructure;
using static Walkers.Generator.Tests.Infrastructure.Markup;

namespace Walkers.Generator.Tests;

/// <summary>
/// A layout with errors gets a stub (StubEmitter) with the walker's members, so the WALK diagnostic is the only error
/// at uses of the type: no CS0117 for X.Walk, no CS0426 for X.Layout, no CS0315 for PageTables&lt;X.Layout, ulong&gt;.
/// The stub's member lists are compared with the emitter's output, so a member added to one must be added to the other.
/// </summary>
public class StubTests
{
    /// <summary>User code that calls what a walker has: entry points, the Layout struct, the layout as a type argument.</summary>
    private const string Uses = """

        public static unsafe class User
        {
            public static ulong Use<TMemory>(TMemory memory) where TMemory : struct, IPhysicalMemory
            {
                var visitor = new Counter();
                int walked = X86_64.Walk(memory, 0x1000, 0, ulong.MaxValue, ref visitor);
                bool mapped = X86_64.TryTranslate(memory, 0x1000, 0x2000, out ulong physical);
                int levels = X86_64.Layout.Levels + X86_64.Layout.Shift(1);
                ulong* entry = X86_64.GetEntry(memory, 0x1000, 0x2000);
                var mappings = PageTables<X86_64.Layout, ulong>.Mappings(memory, 0x1000, 0, ulong.MaxValue);
                LevelTable table = X86_64.LevelTable;
                return (ulong)(walked + levels + mappings.Count) + physical + (mapped ? 1UL : 0) + X86_64.RootFromRegister(0);
            }

            private struct Counter : IPageTableVisitor<ulong>
            {
                public int Count;
                public int Visit(ulong va, int level, bool isLeaf, ulong* entry) { Count++; return 0; }
            }
        }
        """;

    [Theory]
    [InlineData("Shift = 21", "Shift = 20", "WALK0005")]
    [InlineData("Entries = 512, Prot = 0x23", "Entries = 500, Prot = 0x23", "WALK0004")]
    [InlineData("PresentMask = 0x1", "PresentMask = 0", "WALK0007")]
    [InlineData("VirtualAddressBits = 48", "VirtualAddressBits = 47", "WALK0006")]
    public void A_layout_with_an_error_used_from_user_code_gives_only_the_WALK_diagnostic(string original, string broken, string id)
    {
        var run = GeneratorHarness.Run(Replace(Layouts.X86_64, original, broken) + Uses);

        Assert.Equal([id], run.Diagnostics.Select(d => d.Id));
        Assert.Empty(run.Walkers);
        Assert.Single(run.Stubs);
        Assert.True(run.OutputProblems.IsEmpty, "The stub leaves errors at the uses of the type:\n" + GeneratorRun.Format(run.OutputProblems));
    }

    [Fact]
    public void Without_a_stub_the_same_uses_would_cascade_into_CS0117_and_CS0426()
    {
        // What the stub prevents: the broken layout's uses, compiled without running the generator.
        var compilation = GeneratorHarness.Compilation(Replace(Layouts.X86_64, "Shift = 21", "Shift = 20") + Uses);
        var ids = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.Id).ToHashSet();
        Assert.Contains("CS0117", ids);
        Assert.Contains("CS0426", ids);
    }

    [Fact]
    public void A_split_layout_with_an_error_gets_the_two_root_entry_points_and_UpperLayout()
    {
        string source = """
            using Walkers;
            namespace N;
            [PageTable(VirtualAddressBits = 48, UpperHalf = true, PresentMask = 0x1, AddressMask = 0x0000_FFFF_FFFF_F000, TableMask = 0x2, TableValue = 0x2, Strict = true)]
            [PageLevel(4, Shift = 39, Entries = 512, Prot = 0x3)]
            [PageLevel(3, Shift = 30, Entries = 512, Prot = 0x3, Leaf = true)]
            [PageLevel(2, Shift = 21, Entries = 500, Prot = 0x3, Leaf = true)]
            [PageLevel(1, Shift = 12, Entries = 512, Prot = 0x403)]
            public static partial class Split;

            public static class User
            {
                public static bool Use<TMemory>(TMemory memory) where TMemory : struct, IPhysicalMemory =>
                    Split.TryTranslate(memory, Split.RootsFromRegisters(0x1000, 0x2000), 0xFFFF_0000_0000_1000, out _)
                    && Split.UpperLayout.Levels == Split.Layout.Levels;
            }
            """;
        var run = GeneratorHarness.Run(source);

        Assert.Equal(["WALK0004"], run.Diagnostics.Select(d => d.Id));
        Assert.Single(run.Stubs);
        Assert.True(run.OutputProblems.IsEmpty, GeneratorRun.Format(run.OutputProblems));
    }

    [Fact]
    public void Without_unsafe_code_the_stub_has_no_pointers_and_safe_uses_compile()
    {
        var run = GeneratorHarness.Run(Layouts.X86_64 + """

            public static class User
            {
                public static bool Use<TMemory>(TMemory memory) where TMemory : struct, IPhysicalMemory =>
                    X86_64.TryTranslate(memory, 0x1000, 0x2000, out _) && X86_64.Layout.Levels == 4;
            }
            """, allowUnsafe: false);

        Assert.Equal(["WALK0008"], run.Diagnostics.Select(d => d.Id));
        string stub = Assert.Single(run.Stubs).SourceText.ToString();
        Assert.DoesNotContain("unsafe", stub);
        Assert.DoesNotContain("GetEntry", stub);
        Assert.True(run.OutputProblems.IsEmpty, GeneratorRun.Format(run.OutputProblems));
    }

    [Fact]
    public void A_stub_has_the_walkers_file_name_so_one_replaces_the_other()
    {
        var walker = GeneratorHarness.Run(GeneratedSourceSnapshotTestsNested);
        var stub = GeneratorHarness.Run(GeneratedSourceSnapshotTestsNested.Replace("Entries = 1024, Prot = 0x3)", "Entries = 1000, Prot = 0x3)"));
        Assert.Equal(Assert.Single(walker.Walkers).HintName, Assert.Single(stub.Stubs).HintName);
        Assert.True(stub.OutputProblems.IsEmpty, GeneratorRun.Format(stub.OutputProblems));
    }

    private const string GeneratedSourceSnapshotTestsNested = """
        using Walkers;

        partial class Machine
        {
            internal partial struct Mmu
            {
                [PageTable(VirtualAddressBits = 32, EntryBits = 32, PresentMask = 0x1, AddressMask = 0xFFFF_F000, TableMask = 0x80)]
                [PageLevel(2, Shift = 22, Entries = 1024, Prot = 0x3, Leaf = true)]
                [PageLevel(1, Shift = 12, Entries = 1024, Prot = 0x3)]
                public partial record struct Paging;
            }
        }
        """;

    [Fact]
    public void A_type_that_cannot_take_members_gets_no_stub()
    {
        var run = GeneratorHarness.Run(Replace(Layouts.X86_64, "public static partial class X86_64;", "public static class X86_64;"));
        Assert.Equal(["WALK0001"], run.Diagnostics.Select(d => d.Id));
        Assert.Empty(run.Sources);
    }

    /// <summary>
    /// The stub declares what the walker declares, signature for signature (constraints included): for the user's
    /// type, for Layout and for UpperLayout; 64- and 32-bit entries; one root and two. When this fails after an
    /// emitter change, extend StubEmitter.EntryPoints or StubEmitter.LayoutMembers.
    /// </summary>
    [Theory]
    [InlineData("X86.cs", "X86_64")]
    [InlineData("X86.cs", "X86Legacy")]
    [InlineData("Arm64.cs", "Arm64_4K_48")]
    [InlineData("RiscV.cs", "Sv39")]
    public void The_stub_declares_every_public_member_the_walker_declares(string file, string type)
    {
        string source = ReadyLayout(file);
        var walker = GeneratorHarness.Run(source).Walkers.Single(s => s.HintName == $"Walkers.Layouts.{type}.Walkers.g.cs");
        var spec = (LayoutSpecFor(source, type) ?? throw new System.InvalidOperationException($"No layout {type}"));
        var (_, stubText) = StubEmitter.Emit(StubSpec.From(spec));

        var expected = PublicMembers(walker.SourceText.ToString(), type);
        var actual = PublicMembers(stubText, type);
        var missing = expected.Except(actual).ToList();
        Assert.True(missing.Count == 0, "StubEmitter lacks these members of the generated walker:\n" + string.Join("\n", missing));
        var extra = actual.Except(expected).Where(m => !m.StartsWith("UpperLayout.", System.StringComparison.Ordinal)).ToList();
        Assert.True(extra.Count == 0, "StubEmitter has members the generated walker does not:\n" + string.Join("\n", extra));
    }

    [Fact]
    public void Every_member_of_the_layout_interface_is_in_the_stub()
    {
        // The stub's Layout implements IPageTableLayout<TEntry>: a member missing from StubEmitter.LayoutMembers is CS0535.
        var names = typeof(IPageTableLayout<ulong>).GetMembers().Select(m => m.Name.Replace("get_", "")).Distinct();
        var stubNames = StubEmitter.LayoutMembers.Select(m => m.Name).ToHashSet();
        Assert.All(names, name => Assert.Contains(name, stubNames));
    }

    private static LayoutSpec? LayoutSpecFor(string source, string type)
    {
        var compilation = GeneratorHarness.Compilation(source);
        var driver = GeneratorHarness.CreateDriver(trackSteps: true).RunGenerators(compilation);
        return driver.GetRunResult().Results.Single().TrackedSteps[TrackingNames.Layout]
            .SelectMany(step => step.Outputs).Select(o => o.Value).OfType<LayoutSpec>().FirstOrDefault(l => l.Type.Name == type);
    }

    private static string ReadyLayout(string file)
    {
        var assembly = typeof(StubTests).Assembly;
        using var reader = new System.IO.StreamReader(assembly.GetManifestResourceStream("ReadyLayouts/" + file)!);
        return reader.ReadToEnd();
    }

    /// <summary>"Walk&lt;TMemory, TVisitor&gt;(TMemory memory, ...) where ...", one per public member, prefixed by its struct's name for nested ones.</summary>
    private static HashSet<string> PublicMembers(string source, string type)
    {
        var root = CSharpSyntaxTree.ParseText(source).GetRoot();
        var userType = root.DescendantNodes().OfType<TypeDeclarationSyntax>().First(t => t.Identifier.Text == type);
        var members = new HashSet<string>();
        void Add(TypeDeclarationSyntax owner, string prefix)
        {
            foreach (var member in owner.Members.Where(m => m.Modifiers.Any(SyntaxKind.PublicKeyword)))
            {
                string @static = member.Modifiers.Any(SyntaxKind.StaticKeyword) ? "static " : "";
                switch (member)
                {
                    case MethodDeclarationSyntax method:
                        members.Add(prefix + Normalize($"{@static}{method.ReturnType} {method.Identifier}{method.TypeParameterList}{method.ParameterList} {string.Join(" ", method.ConstraintClauses)}"));
                        break;
                    case ConstructorDeclarationSyntax constructor:
                        members.Add(prefix + Normalize($"{constructor.Identifier}{constructor.ParameterList}"));
                        break;
                    case PropertyDeclarationSyntax property:
                        members.Add(prefix + Normalize($"{@static}{property.Type} {property.Identifier}"));
                        break;
                    case TypeDeclarationSyntax nested:
                        members.Add(prefix + Normalize($"struct {nested.Identifier}{nested.TypeParameterList} {string.Join(" ", nested.ConstraintClauses)}"));
                        Add(nested, prefix + nested.Identifier.Text + ".");
                        break;
                }
            }
        }
        Add(userType, "");
        return members;
    }

    /// <summary>One space between tokens, and the emitter's runtime alias (__Walkers) spelled out.</summary>
    private static string Normalize(string text) =>
        System.Text.RegularExpressions.Regex.Replace(text, @"\s+", " ").Trim().Replace("__Walkers.", "global::Walkers.");
}
