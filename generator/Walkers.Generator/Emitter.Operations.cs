using System.CodeDom.Compiler;
using Walkers.Generator.Model;

namespace Walkers.Generator;

/// <summary>
/// The ready operations as one-line entry points on the user's type (<c>X86_64.Map(...)</c>), each calling
/// the runtime's <c>PageTables&lt;Layout, TEntry&gt;</c>: the operation lives in the runtime once, and the call
/// through the layout struct makes the JIT specialise it for this layout.
/// </summary>
internal static partial class Emitter
{
    private const string Result = "global::Walkers.PageTableResult";
    private const string Allocator = "global::Walkers.ITableAllocator allocator";

    /// <summary>One operation: its doc, return type, parameters (after <c>memory</c>), arguments, and options type (last, defaulting to None).</summary>
    private sealed record Operation(string Summary, string Returns, string Name, string Parameters, string Arguments,
        string? OptionsType = null, bool HasWriterOverload = true);

    private static readonly Operation[] Operations =
    [
        new("Maps [va, va + size) to pa with the largest pages that fit; all or nothing (PageTables.Map).",
            Result, "Map", $"{Allocator}, ulong root, ulong va, ulong pa, ulong size, ulong flags", "allocator, root, va, pa, size, flags",
            "global::Walkers.MapOptions"),
        new("Clears the leaves in [va, va + size), splitting huge pages at the ends (PageTables.Unmap).",
            Result, "Unmap", $"{Allocator}, ulong root, ulong va, ulong size", "allocator, root, va, size",
            "global::Walkers.UnmapOptions"),
        new("Sets (entry &amp; ~clear) | set on the present leaves in [va, va + size) (PageTables.Protect; mini-os change_readonly).",
            Result, "Protect", $"{Allocator}, ulong root, ulong va, ulong size, ulong clear, ulong set", "allocator, root, va, size, clear, set"),
        new("The present leaves in [from, to] as merged runs; by effective protection when a rule is given (PageTables.Mappings).",
            "global::System.Collections.Generic.List<global::Walkers.Mapping>", "Mappings",
            "ulong root, ulong from, ulong to, global::Walkers.ProtectionRule? byProtection = null", "root, from, to, byProtection",
            HasWriterOverload: false),
        new("Translates a span of addresses, reusing the tables found for the previous one (PageTables.TranslateMany).",
            "int", "TranslateMany", "ulong root, global::System.ReadOnlySpan<ulong> virtualAddresses, global::System.Span<ulong> physicalAddresses",
            "root, virtualAddresses, physicalAddresses", HasWriterOverload: false),
    ];

    private static void EmitOperationEntryPoints(IndentedTextWriter writer, LayoutSpec layout)
    {
        string e = layout.EntryType;
        string operations = $"global::Walkers.PageTables<Layout, {e}>";
        foreach (var operation in Operations)
        {
            string options = operation.OptionsType is null ? "" : $", {operation.OptionsType} options = {operation.OptionsType}.None";
            string optionsArgument = operation.OptionsType is null ? "" : ", options";
            writer.WriteLineNoTabs("");
            writer.WriteLine($"/// <summary>{operation.Summary}</summary>");
            writer.WriteLine(GeneratedCode);
            writer.WriteLine($"public static {operation.Returns} {operation.Name}<TMemory>(TMemory memory, {operation.Parameters}{options})");
            writer.WriteLine($"    {MemoryConstraint}");
            writer.WriteLine($"    => {operations}.{operation.Name}(memory, {operation.Arguments}{optionsArgument});");
            if (!operation.HasWriterOverload)
                continue;

            writer.WriteLineNoTabs("");
            writer.WriteLine($"/// <summary>{operation.Name}, writing entries through <paramref name=\"writer\"/> (e.g. an update queue).</summary>");
            writer.WriteLine(GeneratedCode);
            string writerOptions = operation.OptionsType is null ? "" : $", {operation.OptionsType} options";
            writer.WriteLine($"public static {operation.Returns} {operation.Name}<TMemory, TWriter>(TMemory memory, {operation.Parameters}{writerOptions}, TWriter writer)");
            writer.WriteLine($"    {MemoryConstraint}");
            writer.WriteLine($"    where TWriter : struct, global::Walkers.IEntryWriter<{e}>");
            writer.WriteLine($"    => {operations}.{operation.Name}(memory, {operation.Arguments}{optionsArgument}, writer);");
        }
    }
}
