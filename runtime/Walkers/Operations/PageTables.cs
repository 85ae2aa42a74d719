using System;
using System.Collections.Generic;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Walkers;

/// <summary>
/// The ready operations — map, unmap, protect, list mappings, translate many — for any layout. Each is a
/// visitor driven by the layout's own generated walker; the generator emits one-line entry points
/// (<c>X86_64.Map(...)</c>) that call these with the layout's <c>Layout</c> struct, so the JIT specialises
/// the whole path per layout, memory and writer.
/// </summary>
/// <remarks>
/// <para>Addresses: <c>va</c> is canonical (a tag in the top byte is dropped where the layout ignores it), page
/// aligned, and [va, va + size) stays inside one half of a sign-extended space; <c>pa</c> and <c>size</c> are page
/// aligned. Violations throw <see cref="ArgumentException"/>; expected failures come back as a <see cref="PageTableResult"/>.</para>
/// <para>Leaf flags are given as for a level-1 page, present bit included. Where a larger page is written, the
/// layout turns them into that level's leaf encoding (<see cref="IPageTableLayout{TEntry}.LeafFlags"/>: x86 sets
/// the PS bit, AArch64 writes a block descriptor).</para>
/// <para>Partial huge pages: Unmap and Protect split a huge page that the range covers only in part
/// (a table of the next smaller pages takes its place, the part outside the range stays mapped as before),
/// as Linux does. Splitting allocates, so both can fail with <see cref="PageTableStatus.OutOfTables"/>, and
/// then change nothing. Map over a partly covered huge page fails as a conflict, or splits it with
/// <see cref="MapOptions.Overwrite"/>.</para>
/// <para>Every table an operation allocates comes from the <see cref="ITableAllocator"/>, zeroed, of its level's
/// size, and must be reachable through the memory given.</para>
/// <para>Entries the layout calls faults (<see cref="EntryKind.Fault"/>) map nothing: listings and translations skip
/// them, Protect leaves them alone, Unmap clears them, Map counts them as taken.</para>
/// </remarks>
public static unsafe partial class PageTables<TLayout, TEntry>
    where TLayout : struct, IPageTableLayout<TEntry>
    where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
{
    /// <summary>What <see cref="TranslateMany{TMemory}"/> writes for an address that is not mapped.</summary>
    public const ulong NotMapped = ulong.MaxValue;

    private static ulong PageBytes => 1UL << TLayout.PageShift;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Read(TEntry* entry) => ulong.CreateTruncating(*entry);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TEntry Entry(ulong value) => TEntry.CreateTruncating(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Index(ulong va, int level) => (uint)(va >> TLayout.Shift(level)) & (uint)(TLayout.Entries(level) - 1);

    // ----- Argument checks (bugs in the caller: exceptions) -----

    /// <summary>Checks [va, va + size) (<paramref name="va"/> untagged first) and returns its last byte.</summary>
    private static ulong CheckRange(ref ulong va, ulong size)
    {
        va = TLayout.Untag(va);
        if ((va & (PageBytes - 1)) != 0)
            throw new ArgumentException($"Virtual address 0x{va:x} is not aligned to the {PageBytes}-byte page.", nameof(va));
        if ((size & (PageBytes - 1)) != 0)
            throw new ArgumentException($"Size 0x{size:x} is not a multiple of the {PageBytes}-byte page.", nameof(size));
        ulong last = va + (size - 1);
        if (last < va)
            throw new ArgumentException($"[0x{va:x}, +0x{size:x}) wraps around the top of the address space.", nameof(size));
        if (!TLayout.IsCanonical(va) || !TLayout.IsCanonical(last) || (TLayout.Half == AddressHalf.SignExtended && (va ^ last) >> 63 != 0))
            throw new ArgumentException($"[0x{va:x}, 0x{last:x}] is not inside the layout's {TLayout.VirtualAddressBits}-bit address space{(TLayout.Half == AddressHalf.SignExtended ? " (or crosses its non-canonical hole)" : TLayout.Half == AddressHalf.High ? " (its upper half)" : "")}.", nameof(va));
        return last;
    }

    private static void CheckFlags(ulong flags, string name)
    {
        if ((flags & TLayout.AddressMask) != 0)
            throw new ArgumentException($"Flags 0x{flags:x} overlap the address field 0x{TLayout.AddressMask:x}.", name);
        if (typeof(TEntry) == typeof(uint) && flags >> 32 != 0)
            throw new ArgumentException($"Flags 0x{flags:x} do not fit a 32-bit entry.", name);
    }

    /// <summary>The failure a limited walk that stopped early stands for.</summary>
    private static PageTableResult LimitFailure(WalkLimit limit, ulong va) =>
        PageTableResult.Failure(limit.Stop == WalkStop.Cancelled ? PageTableStatus.Cancelled : PageTableStatus.TablesRepeat, va, 0, limit.Message!);

    private static PageTableResult RootOutside(ulong root) =>
        PageTableResult.Failure(PageTableStatus.TableOutsideMemory, 0, TLayout.Levels,
            $"The root table at physical 0x{root:x} is outside memory.");

    // ----- Shared steps: new tables, splits, and their undo -----

    /// <summary>Entries changed and tables allocated by an operation, so a failure can put everything back.</summary>
    private sealed class ChangeLog
    {
        private readonly List<(nint Entry, ulong Old)> _entries = [];
        private readonly List<(ulong Physical, nint Pointer, uint Bytes)> _tables = [];

        public void Changed(TEntry* entry) => _entries.Add(((nint)entry, Read(entry)));

        public void Allocated(ulong physical, void* pointer, uint bytes) => _tables.Add((physical, (nint)pointer, bytes));

        /// <summary>Restores the entries (newest first, so links are undone before what they link) and returns the tables zeroed, as they came.</summary>
        public void Undo<TWriter>(ITableAllocator allocator, TWriter writer)
            where TWriter : struct, IEntryWriter<TEntry>
        {
            for (int i = _entries.Count - 1; i >= 0; i--)
                writer.WriteNow((TEntry*)_entries[i].Entry, Entry(_entries[i].Old));
            writer.Flush();
            foreach (var (physical, pointer, bytes) in _tables)
            {
                NativeMemory.Clear((void*)pointer, bytes);
                allocator.FreeTable(physical);
            }
            _entries.Clear();
            _tables.Clear();
        }
    }

    /// <summary>Allocates a zeroed table for the level below <paramref name="level"/>; null with <paramref name="failure"/> set when there is none.</summary>
    private static TEntry* AllocateTable<TMemory>(TMemory memory, ITableAllocator allocator, ChangeLog log, ulong va, int level,
        out ulong physical, out PageTableResult failure)
        where TMemory : struct, IPhysicalMemory
    {
        failure = default;
        uint bytes = TLayout.TableBytes(level - 1);
        if (!allocator.TryAllocateTable(bytes, out physical))
        {
            failure = PageTableResult.Failure(PageTableStatus.OutOfTables, va, level,
                $"No free frame for the level-{level - 1} table under the level-{level} entry at 0x{va:x}: the table allocator is exhausted.");
            return null;
        }
        var table = (TEntry*)memory.At(physical, bytes);
        if (table == null)
        {
            allocator.FreeTable(physical);
            failure = PageTableResult.Failure(PageTableStatus.TableOutsideMemory, va, level,
                $"The allocator gave frame 0x{physical:x}, which is outside the memory the tables are walked in.");
            return null;
        }
        log.Allocated(physical, table, bytes);
        return table;
    }

    /// <summary>need_pgt's step: an empty table below the absent <paramref name="entry"/>, linked with the level's prot.</summary>
    private static bool TryLinkNewTable<TMemory, TWriter>(TMemory memory, ITableAllocator allocator, ChangeLog log, TWriter writer,
        TEntry* entry, ulong va, int level, out PageTableResult failure)
        where TMemory : struct, IPhysicalMemory
        where TWriter : struct, IEntryWriter<TEntry>
    {
        if (AllocateTable(memory, allocator, log, va, level, out ulong physical, out failure) == null)
            return false;
        log.Changed(entry);
        writer.WriteNow(entry, Entry(TLayout.MakeEntry(physical, TLayout.Prot(level))));
        return true;
    }

    /// <summary>
    /// Replaces the huge leaf at <paramref name="entry"/> by a table of the next smaller pages mapping the same
    /// frames with the same flags. The new table is filled before it is linked, so nothing sees it half done.
    /// </summary>
    private static bool TrySplit<TMemory, TWriter>(TMemory memory, ITableAllocator allocator, ChangeLog log, TWriter writer,
        TEntry* entry, ulong va, int level, out PageTableResult failure)
        where TMemory : struct, IPhysicalMemory
        where TWriter : struct, IEntryWriter<TEntry>
    {
        TEntry* table = AllocateTable(memory, allocator, log, va, level, out ulong physical, out failure);
        if (table == null)
            return false;
        ulong value = Read(entry);
        ulong frame = TLayout.EntryAddress(value) & ~(TLayout.PageSize(level) - 1);
        ulong flags = value & ~TLayout.AddressMask;
        int below = level - 1;
        ulong childFlags = TLayout.LeafFlags(TLayout.PageFlags(flags, level), below);
        ulong childSize = TLayout.PageSize(below);
        int count = TLayout.Entries(below);
        for (int i = 0; i < count; i++)
            table[i] = Entry(TLayout.MakeEntry(frame + (ulong)i * childSize, childFlags));
        log.Changed(entry);
        writer.WriteNow(entry, Entry(TLayout.MakeEntry(physical, TLayout.Prot(level))));
        return true;
    }

    /// <summary>
    /// A visitor's check at a table entry: 0 when the walk can follow it, else 1 with the failure in
    /// <paramref name="result"/>. Out of line, so the visitors' leaf path stays small enough to inline.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int CheckTable<TMemory>(TMemory memory, ulong va, int level, TEntry* entry, ref PageTableResult result)
        where TMemory : struct, IPhysicalMemory
    {
        ulong value = Read(entry);
        if (memory.At(TLayout.EntryAddress(value), TLayout.TableBytes(level - 1)) != null)
            return 0;
        result = TableOutside(va, level, value);
        return 1;
    }

    private static PageTableResult TableOutside(ulong va, int level, ulong value) =>
        PageTableResult.Failure(PageTableStatus.TableOutsideMemory, va, level,
            $"The level-{level} entry at 0x{va:x} (0x{value:x}) points to a table outside memory.");

    /// <summary>The entry a lookup of <paramref name="va"/> stops at (a leaf or an absent entry) and its level; null when a table on the way is outside memory.</summary>
    private static TEntry* Find<TMemory>(TMemory memory, ulong root, ulong va, out int level)
        where TMemory : struct, IPhysicalMemory
    {
        level = TLayout.Levels;
        var table = (TEntry*)memory.At(root, TLayout.TableBytes(level));
        while (table != null)
        {
            TEntry* entry = table + Index(va, level);
            ulong value = Read(entry);
            if (TLayout.IsLeaf(value, level))
                return entry;
            table = (TEntry*)memory.At(TLayout.EntryAddress(value), TLayout.TableBytes(level - 1));
            if (table == null)
                return null;
            level--;
        }
        return null;
    }

    /// <summary>
    /// Unmap's and Protect's first step: checks the root, then splits the huge pages that hold the first or the
    /// last page of [first, last] but reach outside it, down to pages that lie wholly inside or outside.
    /// Afterwards every present leaf in the range is wholly in it. On failure the splits are undone.
    /// </summary>
    private static PageTableResult SplitAtEnds<TMemory, TWriter>(TMemory memory, ITableAllocator allocator, ulong root,
        ulong first, ulong last, ChangeLog log, TWriter writer)
        where TMemory : struct, IPhysicalMemory
        where TWriter : struct, IEntryWriter<TEntry>
    {
        if (memory.At(root, TLayout.TableBytes(TLayout.Levels)) == null)
            return RootOutside(root);
        foreach (ulong va in (ReadOnlySpan<ulong>)[first, last])
        {
            while (true)
            {
                TEntry* entry = Find(memory, root, va, out int level);
                if (entry == null || level == 1 || TLayout.Kind(Read(entry), level) != EntryKind.Leaf)
                    break; // nothing to split (a table outside memory is reported by the walk; a fault is not a page)
                ulong size = TLayout.PageSize(level);
                ulong start = va & ~(size - 1);
                if (start >= first && start + (size - 1) <= last)
                    break;
                if (!TrySplit(memory, allocator, log, writer, entry, start, level, out var failure))
                {
                    log.Undo(allocator, writer);
                    return failure;
                }
            }
        }
        return PageTableResult.Success;
    }
}
