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
    private const string WriterConstraint = "where TWriter : struct, global::Walkers.IEntryWriter<{0}>";

    private static void EmitOperationEntryPoints(IndentedTextWriter writer, LayoutSpec layout)
    {
        string e = layout.EntryType;
        string ops = $"global::Walkers.PageTables<Layout, {e}>";
        string writerConstraint = string.Format(System.Globalization.CultureInfo.InvariantCulture, WriterConstraint, e);
        const string Result = "global::Walkers.PageTableResult";
        const string Allocator = "global::Walkers.ITableAllocator allocator";

        writer.WriteLineNoTabs("");
        writer.WriteLine("/// <summary>Maps [va, va + size) to pa with the largest pages that fit; all or nothing (PageTables.Map).</summary>");
        writer.WriteLine(GeneratedCode);
        writer.WriteLine($"public static {Result} Map<TMemory>(TMemory memory, {Allocator}, ulong root, ulong va, ulong pa, ulong size, ulong flags, global::Walkers.MapOptions options = global::Walkers.MapOptions.None)");
        writer.WriteLine($"    {MemoryConstraint}");
        writer.WriteLine($"    => {ops}.Map(memory, allocator, root, va, pa, size, flags, options);");
        writer.WriteLineNoTabs("");
        writer.WriteLine("/// <summary>Map, writing entries through <paramref name=\"writer\"/> (e.g. an update queue).</summary>");
        writer.WriteLine(GeneratedCode);
        writer.WriteLine($"public static {Result} Map<TMemory, TWriter>(TMemory memory, {Allocator}, ulong root, ulong va, ulong pa, ulong size, ulong flags, global::Walkers.MapOptions options, TWriter writer)");
        writer.WriteLine($"    {MemoryConstraint}");
        writer.WriteLine($"    {writerConstraint}");
        writer.WriteLine($"    => {ops}.Map(memory, allocator, root, va, pa, size, flags, options, writer);");
        writer.WriteLineNoTabs("");
        writer.WriteLine("/// <summary>Clears the leaves in [va, va + size), splitting huge pages at the ends (PageTables.Unmap).</summary>");
        writer.WriteLine(GeneratedCode);
        writer.WriteLine($"public static {Result} Unmap<TMemory>(TMemory memory, {Allocator}, ulong root, ulong va, ulong size, global::Walkers.UnmapOptions options = global::Walkers.UnmapOptions.None)");
        writer.WriteLine($"    {MemoryConstraint}");
        writer.WriteLine($"    => {ops}.Unmap(memory, allocator, root, va, size, options);");
        writer.WriteLineNoTabs("");
        writer.WriteLine("/// <summary>Unmap, writing entries through <paramref name=\"writer\"/>.</summary>");
        writer.WriteLine(GeneratedCode);
        writer.WriteLine($"public static {Result} Unmap<TMemory, TWriter>(TMemory memory, {Allocator}, ulong root, ulong va, ulong size, global::Walkers.UnmapOptions options, TWriter writer)");
        writer.WriteLine($"    {MemoryConstraint}");
        writer.WriteLine($"    {writerConstraint}");
        writer.WriteLine($"    => {ops}.Unmap(memory, allocator, root, va, size, options, writer);");
        writer.WriteLineNoTabs("");
        writer.WriteLine("/// <summary>Sets (entry &amp; ~clear) | set on the present leaves in [va, va + size) (PageTables.Protect; mini-os change_readonly).</summary>");
        writer.WriteLine(GeneratedCode);
        writer.WriteLine($"public static {Result} Protect<TMemory>(TMemory memory, {Allocator}, ulong root, ulong va, ulong size, ulong clear, ulong set)");
        writer.WriteLine($"    {MemoryConstraint}");
        writer.WriteLine($"    => {ops}.Protect(memory, allocator, root, va, size, clear, set);");
        writer.WriteLineNoTabs("");
        writer.WriteLine("/// <summary>Protect, writing entries through <paramref name=\"writer\"/>.</summary>");
        writer.WriteLine(GeneratedCode);
        writer.WriteLine($"public static {Result} Protect<TMemory, TWriter>(TMemory memory, {Allocator}, ulong root, ulong va, ulong size, ulong clear, ulong set, TWriter writer)");
        writer.WriteLine($"    {MemoryConstraint}");
        writer.WriteLine($"    {writerConstraint}");
        writer.WriteLine($"    => {ops}.Protect(memory, allocator, root, va, size, clear, set, writer);");
        writer.WriteLineNoTabs("");
        writer.WriteLine("/// <summary>The present leaves in [from, to] as merged runs; by effective protection when a rule is given (PageTables.Mappings).</summary>");
        writer.WriteLine(GeneratedCode);
        writer.WriteLine("public static global::System.Collections.Generic.List<global::Walkers.Mapping> Mappings<TMemory>(TMemory memory, ulong root, ulong from, ulong to, global::Walkers.ProtectionRule? byProtection = null)");
        writer.WriteLine($"    {MemoryConstraint}");
        writer.WriteLine($"    => {ops}.Mappings(memory, root, from, to, byProtection);");
        writer.WriteLineNoTabs("");
        writer.WriteLine("/// <summary>Translates a span of addresses, reusing the tables found for the previous one (PageTables.TranslateMany).</summary>");
        writer.WriteLine(GeneratedCode);
        writer.WriteLine("public static int TranslateMany<TMemory>(TMemory memory, ulong root, global::System.ReadOnlySpan<ulong> virtualAddresses, global::System.Span<ulong> physicalAddresses)");
        writer.WriteLine($"    {MemoryConstraint}");
        writer.WriteLine($"    => {ops}.TranslateMany(memory, root, virtualAddresses, physicalAddresses);");
    }
}
