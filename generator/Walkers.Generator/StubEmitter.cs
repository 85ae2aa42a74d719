using System.CodeDom.Compiler;
using System.Globalization;
using System.IO;
using System.Linq;
using Walkers.Generator.Model;

namespace Walkers.Generator;

/// <summary>
/// The stand-in for a walker that could not be generated (the layout has WALK errors, or the project cannot compile
/// walkers): the same public members as the generated code, each throwing <see cref="System.NotSupportedException"/>,
/// so that uses of the type compile and the WALK diagnostic is the only error (no CS0117 at every call), as
/// Regex's generator does. The member lists below are the one place to extend when the emitter adds a member;
/// StubTests compares them with the emitter's output, signature by signature.
/// </summary>
internal static class StubEmitter
{
    /// <summary>The first line after the header of every stub: tests and readers tell a stub from a walker by it.</summary>
    public const string Marker = "// Walkers: placeholder, not a walker.";

    // Placeholders in the lists: {E} the entry type (uint or ulong); {Root} the root parameter ("ulong root", or
    // "global::Walkers.PageTableRoots roots" for a layout with an upper half); {AllowsRefStruct} ", allows ref struct"
    // when the project can compile it; {Nullable} "?" on a reference type where the project's C# has nullable annotations (8 and later).
    private const string MemoryConstraint = "where TMemory : struct, global::Walkers.IPhysicalMemory";
    private const string WriterConstraint = "where TWriter : struct, global::Walkers.IEntryWriter<{E}>";
    private const string VisitorConstraint = "where TVisitor : global::Walkers.IPageTableVisitor<{E}>{AllowsRefStruct}";
    private const string TreeVisitorConstraint = "where TVisitor : global::Walkers.IPageTableTreeVisitor<{E}>{AllowsRefStruct}";
    private const string LeafRunVisitorConstraint = "where TVisitor : global::Walkers.IPageTableLeafRunVisitor<{E}>{AllowsRefStruct}";

    /// <summary>The entry points the generator adds to the user's type (Emitter.EmitEntryPoints).</summary>
    internal static readonly StubMember[] EntryPoints =
    [
        StubMember.Property("static global::Walkers.LevelTable LevelTable"),
        StubMember.Method("static ulong RootFromRegister(ulong register)"),
        StubMember.Method("static global::Walkers.PageTableRoots RootsFromRegisters(ulong lowerRegister, ulong upperRegister)", when: StubCondition.UpperHalf),
        StubMember.Method("static int Walk<TMemory, TVisitor>(TMemory memory, {Root}, ulong from, ulong to, ref TVisitor visitor)", MemoryConstraint, VisitorConstraint),
        StubMember.Method("static int Walk<TMemory, TVisitor>(TMemory memory, {Root}, ulong from, ulong to, ref TVisitor visitor, global::Walkers.WalkLimit limit)", MemoryConstraint, VisitorConstraint),
        StubMember.Method("static int WalkTree<TMemory, TVisitor>(TMemory memory, {Root}, ulong from, ulong to, ref TVisitor visitor)", MemoryConstraint, TreeVisitorConstraint),
        StubMember.Method("static int WalkLeafRuns<TMemory, TVisitor>(TMemory memory, {Root}, ulong from, ulong to, ref TVisitor visitor)", MemoryConstraint, LeafRunVisitorConstraint),
        StubMember.Method("static {E}* GetEntry<TMemory>(TMemory memory, {Root}, ulong va)", [MemoryConstraint], StubCondition.Unsafe),
        StubMember.Method("static bool TryTranslate<TMemory>(TMemory memory, {Root}, ulong va, out ulong physicalAddress)", MemoryConstraint),
        StubMember.Method("static global::Walkers.PageTableResult Map<TMemory>(TMemory memory, global::Walkers.ITableAllocator allocator, {Root}, ulong va, ulong pa, ulong size, ulong flags, global::Walkers.MapOptions options = global::Walkers.MapOptions.None, global::Walkers.WalkLimit{Nullable} limit = null)", MemoryConstraint),
        StubMember.Method("static global::Walkers.PageTableResult Map<TMemory, TWriter>(TMemory memory, global::Walkers.ITableAllocator allocator, {Root}, ulong va, ulong pa, ulong size, ulong flags, global::Walkers.MapOptions options, TWriter writer, global::Walkers.WalkLimit{Nullable} limit = null)", MemoryConstraint, WriterConstraint),
        StubMember.Method("static global::Walkers.PageTableResult Unmap<TMemory>(TMemory memory, global::Walkers.ITableAllocator allocator, {Root}, ulong va, ulong size, global::Walkers.UnmapOptions options = global::Walkers.UnmapOptions.None, global::Walkers.WalkLimit{Nullable} limit = null)", MemoryConstraint),
        StubMember.Method("static global::Walkers.PageTableResult Unmap<TMemory, TWriter>(TMemory memory, global::Walkers.ITableAllocator allocator, {Root}, ulong va, ulong size, global::Walkers.UnmapOptions options, TWriter writer, global::Walkers.WalkLimit{Nullable} limit = null)", MemoryConstraint, WriterConstraint),
        StubMember.Method("static global::Walkers.PageTableResult Protect<TMemory>(TMemory memory, global::Walkers.ITableAllocator allocator, {Root}, ulong va, ulong size, ulong clear, ulong set, global::Walkers.WalkLimit{Nullable} limit = null)", MemoryConstraint),
        StubMember.Method("static global::Walkers.PageTableResult Protect<TMemory, TWriter>(TMemory memory, global::Walkers.ITableAllocator allocator, {Root}, ulong va, ulong size, ulong clear, ulong set, TWriter writer, global::Walkers.WalkLimit{Nullable} limit = null)", MemoryConstraint, WriterConstraint),
        StubMember.Method("static global::System.Collections.Generic.List<global::Walkers.Mapping> Mappings<TMemory>(TMemory memory, {Root}, ulong from, ulong to, global::Walkers.MappingOptions options = default)", MemoryConstraint),
        StubMember.Method("static int TranslateMany<TMemory>(TMemory memory, {Root}, global::System.ReadOnlySpan<ulong> virtualAddresses, global::System.Span<ulong> physicalAddresses)", MemoryConstraint),
    ];

    /// <summary>Layout.Translator: a translator that keeps the tables of the last walk.</summary>
    internal static readonly StubType Translator = new("struct Translator<TMemory>", null, [MemoryConstraint], StubCondition.Always,
    [
        StubMember.Method("Translator(TMemory memory, ulong root)"),
        StubMember.Property("ulong Root"),
        StubMember.Method("void Flush()"),
        StubMember.Method("bool TryTranslate(ulong va, out ulong physicalAddress)"),
    ], []);

    /// <summary>
    /// The members of the nested <c>Layout</c> (and <c>UpperLayout</c>) struct: global::Walkers.IPageTableLayout's,
    /// plus the layout's own constants, predicates and helpers. With the interface implemented, every interface member must be here.
    /// </summary>
    internal static readonly StubMember[] LayoutMembers =
    [
        StubMember.Property("static int Levels"),
        StubMember.Property("static int VirtualAddressBits"),
        StubMember.Property("static global::Walkers.AddressHalf Half"),
        StubMember.Property("static int PageShift"),
        StubMember.Property("static ulong PresentMask"),
        StubMember.Property("static ulong AddressMask"),
        StubMember.Property("static ulong TableMask"),
        StubMember.Property("static ulong TableValue"),
        StubMember.Property("static global::Walkers.LevelTable LevelTable"),
        StubMember.Method("static bool IsPresent(ulong entry)"),
        StubMember.Method("static bool IsTableShaped(ulong entry)"),
        StubMember.Method("static global::Walkers.EntryKind Kind(ulong entry, int level)"),
        StubMember.Method("static bool IsLeaf(ulong entry, int level)"),
        StubMember.Method("static ulong EntryAddress(ulong entry)"),
        StubMember.Method("static ulong MakeEntry(ulong physicalAddress, ulong flags)"),
        StubMember.Method("static ulong RootFromRegister(ulong register)"),
        StubMember.Method("static ulong LeafFlags(ulong pageFlags, int level)"),
        StubMember.Method("static ulong PageFlags(ulong leafFlags, int level)"),
        StubMember.Method("static global::Walkers.InheritedFlags Inherit(global::Walkers.InheritedFlags above, ulong tableEntry, int level)"),
        StubMember.Method("static int Shift(int level)"),
        StubMember.Method("static int Entries(int level)"),
        StubMember.Method("static ulong Prot(int level)"),
        StubMember.Method("static bool LeafAllowed(int level)"),
        StubMember.Method("static ulong PageSize(int level)"),
        StubMember.Method("static uint TableBytes(int level)"),
        StubMember.Method("static ulong Canonical(ulong va)"),
        StubMember.Method("static bool IsCanonical(ulong va)"),
        StubMember.Method("static ulong Untag(ulong va)"),
        StubMember.Method("static int Walk<TMemory, TVisitor>(TMemory memory, ulong root, ulong from, ulong to, ref TVisitor visitor)", MemoryConstraint, VisitorConstraint),
        StubMember.Method("static int WalkTree<TMemory, TVisitor>(TMemory memory, ulong root, ulong from, ulong to, ref TVisitor visitor)", MemoryConstraint, TreeVisitorConstraint),
        StubMember.Method("static int WalkLeafRuns<TMemory, TVisitor>(TMemory memory, ulong root, ulong from, ulong to, ref TVisitor visitor)", MemoryConstraint, LeafRunVisitorConstraint),
        StubMember.Method("static {E}* GetEntry<TMemory>(TMemory memory, ulong root, ulong va)", [MemoryConstraint], StubCondition.Unsafe),
        StubMember.Method("static bool TryTranslate<TMemory>(TMemory memory, ulong root, ulong va, out ulong physicalAddress)", MemoryConstraint),
        StubMember.Method("static Translator<TMemory> CreateTranslator<TMemory>(TMemory memory, ulong root)", MemoryConstraint),
        StubMember.Method("static int TranslateMany<TMemory>(TMemory memory, ulong root, global::System.ReadOnlySpan<ulong> virtualAddresses, global::System.Span<ulong> physicalAddresses)", MemoryConstraint),
    ];

    /// <summary>
    /// The nested layout structs: <c>Layout</c> always, <c>UpperLayout</c> for a layout with an upper half. They
    /// implement the layout interface where the project can compile it (ImplementsInterfaces, unsafe code allowed).
    /// </summary>
    internal static readonly StubType[] LayoutTypes =
    [
        new("readonly struct Layout", "global::Walkers.IPageTableLayout<{E}>", [], StubCondition.Always, LayoutMembers, [Translator]),
        new("readonly struct UpperLayout", "global::Walkers.IPageTableLayout<{E}>", [], StubCondition.UpperHalf, LayoutMembers, [Translator]),
    ];

    public static (string HintName, string Source) Emit(StubSpec stub)
    {
        using var text = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        using var writer = new IndentedTextWriter(text, "    ") { NewLine = "\n" };
        // Nothing newer than C# 7.2 (and #nullable only from C# 8): the stub also stands in when the project's C# is too old for walkers.
        writer.WriteLine("// <auto-generated/>");
        writer.WriteLine(Marker);
        writer.WriteLine($"// No walker was generated for '{stub.Type.Name}': see the WALK diagnostics (or the compiler's errors) on its [PageTable] and [PageLevel] attributes.");
        writer.WriteLine("// Every member below throws System.NotSupportedException; it is here so that uses of the type report no further errors.");
        if (stub.NullableAnnotations)
            writer.WriteLine("#nullable enable");
        writer.WriteLineNoTabs("");
        Emitter.OpenScopes(writer, stub.Namespace, stub.ContainingTypes);

        string message = Literal($"No walker was generated for '{stub.Type.Name}': its layout has errors, or the project cannot compile walkers. See the WALK diagnostics on its [PageTable] attribute.");
        writer.WriteLine($"{(stub.AllowUnsafe ? "unsafe " : "")}partial {stub.Type.Keyword} {stub.Type.Name}");
        writer.WriteLine("{");
        writer.Indent++;
        EmitMembers(writer, stub, EntryPoints, stub.UpperHalf ? "global::Walkers.PageTableRoots roots" : "ulong root", message);
        foreach (var type in LayoutTypes)
            EmitType(writer, stub, type, message);
        writer.Indent--;
        writer.WriteLine("}");

        Emitter.CloseScopes(writer, stub.Namespace, stub.ContainingTypes);
        writer.Flush();
        return (HintName(stub), text.ToString());
    }

    /// <summary>The walker's file name (Emitter.HintName), so a stub and a walker replace each other as the layout is edited.</summary>
    internal static string HintName(StubSpec stub) => Emitter.HintName(stub.Namespace, stub.ContainingTypes, stub.Type.Name);

    private static void EmitType(IndentedTextWriter writer, StubSpec stub, StubType type, string message)
    {
        if (!Applies(type.When, stub))
            return;
        writer.WriteLineNoTabs("");
        writer.WriteLine($"/// <summary>Placeholder: no walker was generated for {stub.Type.Name}; every member throws.</summary>");
        bool implements = type.Interfaces is not null && stub.ImplementsInterfaces && stub.AllowUnsafe; // the interface has a pointer member
        writer.WriteLine($"public {type.Declaration}{(implements ? " : " + Fill(type.Interfaces!, stub, "ulong root") : "")}");
        writer.Indent++;
        foreach (var constraint in type.Constraints)
            writer.WriteLine(Fill(constraint, stub, "ulong root"));
        writer.Indent--;
        writer.WriteLine("{");
        writer.Indent++;
        EmitMembers(writer, stub, type.Members, "ulong root", message);
        foreach (var nested in type.Nested)
            EmitType(writer, stub, nested, message);
        writer.Indent--;
        writer.WriteLine("}");
    }

    private static void EmitMembers(IndentedTextWriter writer, StubSpec stub, StubMember[] members, string root, string message)
    {
        bool first = true;
        foreach (var member in members)
        {
            if (!Applies(member.When, stub))
                continue;
            if (!first)
                writer.WriteLineNoTabs("");
            first = false;
            writer.WriteLine("/// <summary>Placeholder: throws <see cref=\"global::System.NotSupportedException\"/>.</summary>");
            string declaration = Fill(member.Declaration, stub, root);
            string body = $"=> throw new global::System.NotSupportedException({message});";
            if (member.Constraints.Length == 0)
            {
                writer.WriteLine($"public {declaration} {body}");
                continue;
            }
            writer.WriteLine($"public {declaration}");
            writer.Indent++;
            foreach (var constraint in member.Constraints)
                writer.WriteLine(Fill(constraint, stub, root));
            writer.WriteLine(body);
            writer.Indent--;
        }
    }

    private static bool Applies(StubCondition when, StubSpec stub) => when switch
    {
        StubCondition.UpperHalf => stub.UpperHalf,
        StubCondition.Unsafe => stub.AllowUnsafe,
        _ => true,
    };

    private static string Fill(string text, StubSpec stub, string root) => text
        .Replace("{E}", stub.EntryType)
        .Replace("{Root}", root)
        .Replace("{AllowsRefStruct}", stub.ImplementsInterfaces ? ", allows ref struct" : "")
        .Replace("{Nullable}", stub.NullableAnnotations ? "?" : "");

    private static string Literal(string value) => "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}

/// <summary>When a stub member is there: always, only for a layout with an upper half, only where unsafe code is allowed.</summary>
internal enum StubCondition
{
    Always,
    UpperHalf,
    Unsafe,
}

/// <summary>A nested type of a stub: its declaration after <c>public</c>, the interfaces it implements where it can, its constraints, members and nested types.</summary>
internal sealed class StubType(string declaration, string? interfaces, string[] constraints, StubCondition when, StubMember[] members, StubType[] nested)
{
    public string Declaration { get; } = declaration;

    public string? Interfaces { get; } = interfaces;

    public string[] Constraints { get; } = constraints;

    public StubCondition When { get; } = when;

    public StubMember[] Members { get; } = members;

    public StubType[] Nested { get; } = nested;

    /// <summary>The type's name: "Layout" for "readonly struct Layout", "Translator" for "struct Translator&lt;TMemory&gt;".</summary>
    public string Name => StubMember.NameOf(Declaration);
}

/// <summary>One member of a stub: its declaration after <c>public</c> (placeholders {E}, {Root}), its constraints, and when it is there.</summary>
internal sealed class StubMember(string declaration, string[] constraints, StubCondition when)
{
    public string Declaration { get; } = declaration;

    public string[] Constraints { get; } = constraints;

    public StubCondition When { get; } = when;

    /// <summary>The member's name: "Walk" for "static int Walk&lt;TMemory, TVisitor&gt;(...)".</summary>
    public string Name => NameOf(Declaration);

    internal static string NameOf(string declaration)
    {
        int paren = declaration.IndexOf('(');
        string head = (paren < 0 ? declaration : declaration.Substring(0, paren)).TrimEnd();
        if (head.EndsWith(">", System.StringComparison.Ordinal)) // the member's type parameters, not its return type's
        {
            int depth = 0, at = head.Length - 1;
            for (; at >= 0; at--)
            {
                depth += head[at] == '>' ? 1 : head[at] == '<' ? -1 : 0;
                if (depth == 0)
                    break;
            }
            head = head.Substring(0, System.Math.Max(at, 0)).TrimEnd();
        }
        return head.Substring(head.LastIndexOf(' ') + 1);
    }

    public static StubMember Property(string declaration) => new(declaration, [], StubCondition.Always);

    public static StubMember Method(string declaration, params string[] constraints) => new(declaration, constraints, StubCondition.Always);

    public static StubMember Method(string declaration, string[] constraints, StubCondition when) => new(declaration, constraints, when);

    public static StubMember Method(string declaration, StubCondition when) => new(declaration, [], when);
}
