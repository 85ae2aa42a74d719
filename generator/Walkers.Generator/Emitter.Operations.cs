using System.CodeDom.Compiler;
using Walkers.Generator.Model;

namespace Walkers.Generator;

/// <summary>
/// The static members on the user's type (<c>X86_64.Walk(...)</c>, <c>X86_64.Map(...)</c>), each one line calling the
/// layout struct or the runtime's <c>PageTables&lt;Layout, TEntry&gt;</c> (<c>SplitPageTables</c> for a layout with an
/// upper half, over both roots): the operations live in the runtime once, and the call through the layout struct makes
/// the JIT specialise them for this layout.
/// </summary>
internal static partial class Emitter
{
    private const string Result = "global::Walkers.PageTableResult";
    private const string Allocator = "global::Walkers.ITableAllocator allocator";

    /// <summary>
    /// One entry point: its doc, return type, name, type parameters beyond TMemory, parameters after <c>memory</c> and the
    /// root ("{root}" stands for the root parameter), arguments, extra constraints, options type (last, defaulting to
    /// None), and whether it is an operation of the runtime (else the layout struct's own member).
    /// </summary>
    private sealed record EntryPoint(string Summary, string Returns, string Name, string TypeParameters, string Parameters, string Arguments,
        string Constraint = "", string? OptionsType = null, bool HasWriterOverload = false, bool IsOperation = true, bool HasLimitOverload = false);

    private const string Limit = "global::Walkers.WalkLimit";

    private static readonly EntryPoint[] EntryPoints =
    [
        new("/// <inheritdoc cref=\"global::Walkers.IPageTableLayout{TEntry}.Walk\"/>", "int", "Walk", ", TVisitor",
            "ulong from, ulong to, ref TVisitor visitor", "from, to, ref visitor",
            "where TVisitor : global::Walkers.IPageTableVisitor<{e}>, allows ref struct", IsOperation: false, HasLimitOverload: true),
        new("/// <inheritdoc cref=\"global::Walkers.IPageTableLayout{TEntry}.WalkTree\"/>", "int", "WalkTree", ", TVisitor",
            "ulong from, ulong to, ref TVisitor visitor", "from, to, ref visitor",
            "where TVisitor : global::Walkers.IPageTableTreeVisitor<{e}>, allows ref struct", IsOperation: false),
        new("/// <inheritdoc cref=\"global::Walkers.IPageTableLayout{TEntry}.WalkLeafRuns\"/>", "int", "WalkLeafRuns", ", TVisitor",
            "ulong from, ulong to, ref TVisitor visitor", "from, to, ref visitor",
            "where TVisitor : global::Walkers.IPageTableLeafRunVisitor<{e}>, allows ref struct", IsOperation: false),
        new("/// <inheritdoc cref=\"global::Walkers.IPageTableLayout{TEntry}.GetEntry\"/>", "{e}*", "GetEntry", "",
            "ulong va", "va", IsOperation: false),
        new("/// <inheritdoc cref=\"global::Walkers.IPageTableLayout{TEntry}.TryTranslate\"/>", "bool", "TryTranslate", "",
            "ulong va, out ulong physicalAddress", "va, out physicalAddress", IsOperation: false),
        new("/// <inheritdoc cref=\"global::Walkers.PageTables{TLayout, TEntry}.Map{TMemory}\"/>", Result, "Map", "",
            "ulong va, ulong pa, ulong size, ulong flags", "va, pa, size, flags", OptionsType: "global::Walkers.MapOptions", HasWriterOverload: true),
        new("/// <inheritdoc cref=\"global::Walkers.PageTables{TLayout, TEntry}.Unmap{TMemory}\"/>", Result, "Unmap", "",
            "ulong va, ulong size", "va, size", OptionsType: "global::Walkers.UnmapOptions", HasWriterOverload: true),
        new("/// <inheritdoc cref=\"global::Walkers.PageTables{TLayout, TEntry}.Protect{TMemory}\"/>", Result, "Protect", "",
            "ulong va, ulong size, ulong clear, ulong set", "va, size, clear, set", HasWriterOverload: true),
        new("/// <inheritdoc cref=\"global::Walkers.PageTables{TLayout, TEntry}.Mappings{TMemory}(TMemory, ulong, ulong, ulong, global::Walkers.MappingOptions)\"/>",
            "global::System.Collections.Generic.List<global::Walkers.Mapping>", "Mappings", "",
            "ulong from, ulong to, global::Walkers.MappingOptions options = default", "from, to, options"),
        new("/// <inheritdoc cref=\"global::Walkers.PageTables{TLayout, TEntry}.TranslateMany{TMemory}\"/>", "int", "TranslateMany", "",
            "global::System.ReadOnlySpan<ulong> virtualAddresses, global::System.Span<ulong> physicalAddresses", "virtualAddresses, physicalAddresses"),
    ];

    private static void EmitEntryPoints(IndentedTextWriter writer, LayoutSpec layout)
    {
        string e = layout.EntryType;
        bool split = layout.Shape == AddressShape.Split;
        writer.WriteLine($"/// <summary>This layout as a run-time table, for the reference walker and for display{(split ? " (the lower half; <c>UpperLayout.LevelTable</c> is the upper one)" : "")}.</summary>");
        writer.WriteLine(GeneratedCode);
        writer.WriteLine($"public static global::Walkers.LevelTable LevelTable => Layout.LevelTable;");
        writer.WriteLineNoTabs("");
        writer.WriteLine("/// <inheritdoc cref=\"global::Walkers.IPageTableLayout{TEntry}.RootFromRegister\"/>");
        writer.WriteLine(GeneratedCode);
        writer.WriteLine("public static ulong RootFromRegister(ulong register) => Layout.RootFromRegister(register);");
        if (split)
        {
            writer.WriteLineNoTabs("");
            writer.WriteLine("/// <summary>Both roots from the two root registers (AArch64: TTBR0_EL1 and TTBR1_EL1, as read from the CPU).</summary>");
            writer.WriteLine(GeneratedCode);
            writer.WriteLine("public static global::Walkers.PageTableRoots RootsFromRegisters(ulong lowerRegister, ulong upperRegister) =>");
            writer.WriteLine("\tnew(Layout.RootFromRegister(lowerRegister), Layout.RootFromRegister(upperRegister));");
        }

        string root = split ? "global::Walkers.PageTableRoots roots" : "ulong root";
        string rootArgument = split ? "roots" : "root";
        string operations = split ? $"global::Walkers.SplitPageTables<Layout, UpperLayout, {e}>" : $"global::Walkers.PageTables<Layout, {e}>";
        foreach (var entry in EntryPoints)
        {
            string target = split || entry.IsOperation ? operations : "Layout";
            bool allocates = entry.HasWriterOverload;
            string parameters = $"TMemory memory, {(allocates ? Allocator + ", " : "")}{root}, {entry.Parameters}";
            string arguments = $"memory, {(allocates ? "allocator, " : "")}{rootArgument}, {entry.Arguments}";
            string options = (entry.OptionsType is null ? "" : $", {entry.OptionsType} options = {entry.OptionsType}.None")
                + (entry.HasWriterOverload ? $", {Limit}? limit = null" : "");
            string optionsArgument = entry.OptionsType is null ? "" : ", options";
            string returns = entry.Returns.Replace("{e}", e);
            writer.WriteLineNoTabs("");
            writer.WriteLine(entry.Summary);
            writer.WriteLine(GeneratedCode);
            writer.WriteLine($"public static {returns} {entry.Name}<TMemory{entry.TypeParameters}>({parameters}{options})");
            writer.WriteLine($"\t{MemoryConstraint}");
            if (entry.Constraint.Length > 0)
                writer.WriteLine($"\t{entry.Constraint.Replace("{e}", e)}");
            writer.WriteLine($"\t=> {target}.{entry.Name}({arguments}{optionsArgument}{(entry.HasWriterOverload ? ", limit" : "")});");
            if (entry.HasLimitOverload)
            {
                // The walk under the one rule for tables that repeat (and cancellation).
                string limited = split ? $"{operations}.{entry.Name}" : $"global::Walkers.LimitedWalk.{entry.Name}<Layout, {e}, TMemory{entry.TypeParameters}>";
                writer.WriteLineNoTabs("");
                writer.WriteLine($"/// <summary>{entry.Name} under <paramref name=\"limit\"/>: stops with <see cref=\"global::Walkers.WalkControl.Limited\"/> when tables repeat beyond its rule or it is cancelled.</summary>");
                writer.WriteLine(GeneratedCode);
                writer.WriteLine($"public static {returns} {entry.Name}<TMemory{entry.TypeParameters}>({parameters}, {Limit} limit)");
                writer.WriteLine($"\t{MemoryConstraint}");
                writer.WriteLine($"\t{entry.Constraint.Replace("{e}", e)}");
                writer.WriteLine($"\t=> {limited}({arguments}, limit);");
            }
            if (!entry.HasWriterOverload)
                continue;

            writer.WriteLineNoTabs("");
            writer.WriteLine($"/// <summary>{entry.Name}, writing entries through <paramref name=\"writer\"/> (e.g. an update queue).</summary>");
            writer.WriteLine(GeneratedCode);
            string writerOptions = entry.OptionsType is null ? "" : $", {entry.OptionsType} options";
            writer.WriteLine($"public static {returns} {entry.Name}<TMemory, TWriter>({parameters}{writerOptions}, TWriter writer, {Limit}? limit = null)");
            writer.WriteLine($"\t{MemoryConstraint}");
            writer.WriteLine($"\twhere TWriter : struct, global::Walkers.IEntryWriter<{e}>");
            writer.WriteLine($"\t=> {operations}.{entry.Name}({arguments}{optionsArgument}, writer, limit);");
        }
    }
}
