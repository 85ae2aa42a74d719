using System;
using System.Collections.Generic;
using System.Numerics;

namespace Walkers;

/// <summary>
/// The walks, lookups and operations over an address space with two roots (AArch64: TTBR0 for the lower half,
/// TTBR1 for the upper half): each address goes to its half, chosen by bit 55 as the hardware does, and a walk
/// covers the lower half, then the upper one. A half without a root (<see cref="PageTableRoots"/> null) walks
/// nothing and translates nothing. The generator emits one-line entry points over these for a layout with an
/// upper half (<c>Arm64.Walk(memory, roots, ...)</c>).
/// </summary>
public static unsafe class SplitPageTables<TLower, TUpper, TEntry>
    where TLower : struct, IPageTableLayout<TEntry>
    where TUpper : struct, IPageTableLayout<TEntry>
    where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
{
    /// <summary>The half an address belongs to: bit 55 (which TBI leaves in place) picks TTBR1.</summary>
    public static bool IsUpper(ulong va) => (va >> 55 & 1) != 0;

    /// <summary>Walks both halves (lower, then upper) under a <see cref="WalkLimit"/>; <see cref="WalkControl.Limited"/> when it stopped the walk.</summary>
    public static int Walk<TMemory, TVisitor>(TMemory memory, PageTableRoots roots, ulong from, ulong to, ref TVisitor visitor, WalkLimit limit)
        where TMemory : struct, IPhysicalMemory
        where TVisitor : IPageTableVisitor<TEntry>, allows ref struct
    {
        int result = roots.Lower is ulong lower ? LimitedWalk.Walk<TLower, TEntry, TMemory, TVisitor>(memory, lower, from, to, ref visitor, limit) : 0;
        if (result == 0 && roots.Upper is ulong upper)
            result = LimitedWalk.Walk<TUpper, TEntry, TMemory, TVisitor>(memory, upper, from, to, ref visitor, limit);
        return result;
    }

    public static int Walk<TMemory, TVisitor>(TMemory memory, PageTableRoots roots, ulong from, ulong to, ref TVisitor visitor)
        where TMemory : struct, IPhysicalMemory
        where TVisitor : IPageTableVisitor<TEntry>, allows ref struct
    {
        int result = roots.Lower is ulong lower ? TLower.Walk(memory, lower, from, to, ref visitor) : 0;
        if (result == 0 && roots.Upper is ulong upper)
            result = TUpper.Walk(memory, upper, from, to, ref visitor);
        return result;
    }

    public static int WalkTree<TMemory, TVisitor>(TMemory memory, PageTableRoots roots, ulong from, ulong to, ref TVisitor visitor)
        where TMemory : struct, IPhysicalMemory
        where TVisitor : IPageTableTreeVisitor<TEntry>, allows ref struct
    {
        int result = roots.Lower is ulong lower ? TLower.WalkTree(memory, lower, from, to, ref visitor) : 0;
        if (result == 0 && roots.Upper is ulong upper)
            result = TUpper.WalkTree(memory, upper, from, to, ref visitor);
        return result;
    }

    public static int WalkLeafRuns<TMemory, TVisitor>(TMemory memory, PageTableRoots roots, ulong from, ulong to, ref TVisitor visitor)
        where TMemory : struct, IPhysicalMemory
        where TVisitor : IPageTableLeafRunVisitor<TEntry>, allows ref struct
    {
        int result = roots.Lower is ulong lower ? TLower.WalkLeafRuns(memory, lower, from, to, ref visitor) : 0;
        if (result == 0 && roots.Upper is ulong upper)
            result = TUpper.WalkLeafRuns(memory, upper, from, to, ref visitor);
        return result;
    }

    public static TEntry* GetEntry<TMemory>(TMemory memory, PageTableRoots roots, ulong va)
        where TMemory : struct, IPhysicalMemory =>
        IsUpper(va)
            ? roots.Upper is ulong upper ? TUpper.GetEntry(memory, upper, va) : null
            : roots.Lower is ulong lower ? TLower.GetEntry(memory, lower, va) : null;

    public static bool TryTranslate<TMemory>(TMemory memory, PageTableRoots roots, ulong va, out ulong physicalAddress)
        where TMemory : struct, IPhysicalMemory
    {
        physicalAddress = 0;
        return IsUpper(va)
            ? roots.Upper is ulong upper && TUpper.TryTranslate(memory, upper, va, out physicalAddress)
            : roots.Lower is ulong lower && TLower.TryTranslate(memory, lower, va, out physicalAddress);
    }

    /// <inheritdoc cref="PageTables{TLayout, TEntry}.Map{TMemory}"/>
    public static PageTableResult Map<TMemory>(TMemory memory, ITableAllocator allocator, PageTableRoots roots,
        ulong va, ulong pa, ulong size, ulong flags, MapOptions options = MapOptions.None, WalkLimit? limit = null)
        where TMemory : struct, IPhysicalMemory =>
        Map(memory, allocator, roots, va, pa, size, flags, options, default(DirectEntryWriter<TEntry>), limit);

    /// <inheritdoc cref="PageTables{TLayout, TEntry}.Map{TMemory, TWriter}"/>
    public static PageTableResult Map<TMemory, TWriter>(TMemory memory, ITableAllocator allocator, PageTableRoots roots,
        ulong va, ulong pa, ulong size, ulong flags, MapOptions options, TWriter writer, WalkLimit? limit = null)
        where TMemory : struct, IPhysicalMemory
        where TWriter : struct, IEntryWriter<TEntry> =>
        IsUpper(va)
            ? roots.Upper is ulong upper ? PageTables<TUpper, TEntry>.Map(memory, allocator, upper, va, pa, size, flags, options, writer, limit) : NoRoot(va)
            : roots.Lower is ulong lower ? PageTables<TLower, TEntry>.Map(memory, allocator, lower, va, pa, size, flags, options, writer, limit) : NoRoot(va);

    /// <inheritdoc cref="PageTables{TLayout, TEntry}.Unmap{TMemory}"/>
    public static PageTableResult Unmap<TMemory>(TMemory memory, ITableAllocator allocator, PageTableRoots roots,
        ulong va, ulong size, UnmapOptions options = UnmapOptions.None, WalkLimit? limit = null)
        where TMemory : struct, IPhysicalMemory =>
        Unmap(memory, allocator, roots, va, size, options, default(DirectEntryWriter<TEntry>), limit);

    /// <inheritdoc cref="PageTables{TLayout, TEntry}.Unmap{TMemory, TWriter}"/>
    public static PageTableResult Unmap<TMemory, TWriter>(TMemory memory, ITableAllocator allocator, PageTableRoots roots,
        ulong va, ulong size, UnmapOptions options, TWriter writer, WalkLimit? limit = null)
        where TMemory : struct, IPhysicalMemory
        where TWriter : struct, IEntryWriter<TEntry> =>
        IsUpper(va)
            ? roots.Upper is ulong upper ? PageTables<TUpper, TEntry>.Unmap(memory, allocator, upper, va, size, options, writer, limit) : NoRoot(va)
            : roots.Lower is ulong lower ? PageTables<TLower, TEntry>.Unmap(memory, allocator, lower, va, size, options, writer, limit) : NoRoot(va);

    /// <inheritdoc cref="PageTables{TLayout, TEntry}.Protect{TMemory}"/>
    public static PageTableResult Protect<TMemory>(TMemory memory, ITableAllocator allocator, PageTableRoots roots,
        ulong va, ulong size, ulong clear, ulong set, WalkLimit? limit = null)
        where TMemory : struct, IPhysicalMemory =>
        Protect(memory, allocator, roots, va, size, clear, set, default(DirectEntryWriter<TEntry>), limit);

    /// <inheritdoc cref="PageTables{TLayout, TEntry}.Protect{TMemory, TWriter}"/>
    public static PageTableResult Protect<TMemory, TWriter>(TMemory memory, ITableAllocator allocator, PageTableRoots roots,
        ulong va, ulong size, ulong clear, ulong set, TWriter writer, WalkLimit? limit = null)
        where TMemory : struct, IPhysicalMemory
        where TWriter : struct, IEntryWriter<TEntry> =>
        IsUpper(va)
            ? roots.Upper is ulong upper ? PageTables<TUpper, TEntry>.Protect(memory, allocator, upper, va, size, clear, set, writer, limit) : NoRoot(va)
            : roots.Lower is ulong lower ? PageTables<TLower, TEntry>.Protect(memory, allocator, lower, va, size, clear, set, writer, limit) : NoRoot(va);

    /// <inheritdoc cref="PageTables{TLayout, TEntry}.Mappings{TMemory}(TMemory, ulong, ulong, ulong, MappingOptions)"/>
    public static List<Mapping> Mappings<TMemory>(TMemory memory, PageTableRoots roots, ulong from, ulong to, MappingOptions options = default)
        where TMemory : struct, IPhysicalMemory
    {
        var runs = new List<Mapping>();
        Mappings(memory, roots, from, to, runs, options).ThrowIfFailed();
        return runs;
    }

    /// <inheritdoc cref="PageTables{TLayout, TEntry}.Mappings{TMemory}(TMemory, ulong, ulong, ulong, List{Mapping}, MappingOptions)"/>
    public static PageTableResult Mappings<TMemory>(TMemory memory, PageTableRoots roots, ulong from, ulong to, List<Mapping> output, MappingOptions options)
        where TMemory : struct, IPhysicalMemory
    {
        var result = roots.Lower is ulong lower ? PageTables<TLower, TEntry>.Mappings(memory, lower, from, to, output, options) : PageTableResult.Success;
        if (result.Succeeded && roots.Upper is ulong upper)
            result = PageTables<TUpper, TEntry>.Mappings(memory, upper, from, to, output, options);
        return result;
    }

    /// <inheritdoc cref="PageTables{TLayout, TEntry}.TranslateMany{TMemory}"/>
    public static int TranslateMany<TMemory>(TMemory memory, PageTableRoots roots, ReadOnlySpan<ulong> virtualAddresses, Span<ulong> physicalAddresses)
        where TMemory : struct, IPhysicalMemory
    {
        if (physicalAddresses.Length < virtualAddresses.Length)
            throw new ArgumentException("The output span is shorter than the input span.", nameof(physicalAddresses));
        int mapped = 0;
        // Runs of addresses in one half go to that half's batch in one call, so neighbours still share tables.
        for (int start = 0; start < virtualAddresses.Length;)
        {
            bool upperHalf = IsUpper(virtualAddresses[start]);
            int end = start + 1;
            while (end < virtualAddresses.Length && IsUpper(virtualAddresses[end]) == upperHalf)
                end++;
            var input = virtualAddresses[start..end];
            var output = physicalAddresses[start..end];
            ulong? root = upperHalf ? roots.Upper : roots.Lower;
            if (root is not ulong r)
                output.Fill(PageTables<TLower, TEntry>.NotMapped);
            else
                mapped += upperHalf
                    ? PageTables<TUpper, TEntry>.TranslateMany(memory, r, input, output)
                    : PageTables<TLower, TEntry>.TranslateMany(memory, r, input, output);
            start = end;
        }
        return mapped;
    }

    private static PageTableResult NoRoot(ulong va) =>
        PageTableResult.Failure(PageTableStatus.NoRoot, va, 0,
            $"0x{va:x} is in the {(IsUpper(va) ? "upper" : "lower")} half, which has no root (translation disabled for it, as TCR.EPD{(IsUpper(va) ? 1 : 0)} = 1 does).");
}
