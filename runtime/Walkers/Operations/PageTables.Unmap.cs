using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;

namespace Walkers;

public static unsafe partial class PageTables<TLayout, TEntry>
{
    /// <summary>Unmap with plain stores. See <see cref="Unmap{TMemory, TWriter}"/>.</summary>
    public static PageTableResult Unmap<TMemory>(TMemory memory, ITableAllocator allocator, ulong root,
        ulong va, ulong size, UnmapOptions options = UnmapOptions.None, WalkLimit? limit = null)
        where TMemory : struct, IPhysicalMemory =>
        Unmap(memory, allocator, root, va, size, options, default(DirectEntryWriter<TEntry>), limit);

    /// <summary>
    /// Clears every present leaf in [va, va + size). A huge page reaching outside the range is split first,
    /// so the part outside stays mapped (this needs a table per split, and fails with
    /// <see cref="PageTableStatus.OutOfTables"/> — changing nothing — when there is none).
    /// With <see cref="UnmapOptions.FreeEmptyTables"/>, tables left all zero are unlinked and given back to the
    /// allocator, bottom-up; only tables the allocator handed out (<see cref="ITableAllocator.Owns"/>) are freed, each
    /// once, the root never.
    /// </summary>
    /// <remarks>
    /// All or nothing: a first walk checks the range (a table outside memory: <see cref="PageTableStatus.TableOutsideMemory"/>;
    /// tables that repeat beyond <paramref name="limit"/>'s rule, or cancellation) and a failure undoes the splits, so
    /// memory is as before. Only then the second walk clears, which cannot fail.
    /// </remarks>
    public static PageTableResult Unmap<TMemory, TWriter>(TMemory memory, ITableAllocator allocator, ulong root,
        ulong va, ulong size, UnmapOptions options, TWriter writer, WalkLimit? limit = null)
        where TMemory : struct, IPhysicalMemory
        where TWriter : struct, IEntryWriter<TEntry>
    {
        ArgumentNullException.ThrowIfNull(allocator);
        if (size == 0)
            return PageTableResult.Success;
        ulong last = CheckRange(ref va, size);
        var log = new ChangeLog();
        var checkedRange = SplitAndCheck(memory, allocator, root, va, last, log, writer, 0, 0, limit);
        if (!checkedRange.Succeeded)
            return checkedRange;
        // The tables Leave has freed (cyclic tables can link a table twice); null: nothing is freed.
        var freed = (options & UnmapOptions.FreeEmptyTables) != 0 ? new HashSet<ulong>() : null;
        var visitor = new UnmapVisitor<TMemory, TWriter>(memory, allocator, writer, root, freed);
        TLayout.WalkTree(memory, root, va, last, ref visitor);
        writer.Flush();
        return PageTableResult.Success;
    }

    /// <summary>Protect with plain stores. See <see cref="Protect{TMemory, TWriter}"/>.</summary>
    public static PageTableResult Protect<TMemory>(TMemory memory, ITableAllocator allocator, ulong root,
        ulong va, ulong size, ulong clear, ulong set, WalkLimit? limit = null)
        where TMemory : struct, IPhysicalMemory =>
        Protect(memory, allocator, root, va, size, clear, set, default(DirectEntryWriter<TEntry>), limit);

    /// <summary>
    /// mini-os change_readonly, for any bits: every page in [va, va + size) becomes <c>(entry &amp; ~clear) | set</c>,
    /// the masks given in level-1 form as for Map (a larger page keeps its own leaf encoding: x86's PS bit, AArch64's
    /// block type). Absent entries and faults stay as they are. A huge page reaching outside the range is split first,
    /// as in Unmap. A change that would make a page read as a table pointer or a fault (RISC-V: clearing R, W and X)
    /// is refused with <see cref="PageTableStatus.NotALeaf"/>.
    /// </summary>
    /// <remarks>All or nothing, as Unmap: a first walk checks, a failure changes nothing, then the second walk writes.</remarks>
    public static PageTableResult Protect<TMemory, TWriter>(TMemory memory, ITableAllocator allocator, ulong root,
        ulong va, ulong size, ulong clear, ulong set, TWriter writer, WalkLimit? limit = null)
        where TMemory : struct, IPhysicalMemory
        where TWriter : struct, IEntryWriter<TEntry>
    {
        ArgumentNullException.ThrowIfNull(allocator);
        CheckFlags(clear, nameof(clear));
        CheckFlags(set, nameof(set));
        if (TLayout.IsPresent(clear))
            throw new ArgumentException($"Clear mask 0x{clear:x} holds the present bit: Protect keeps present leaves present (use Unmap to remove a mapping).", nameof(clear));
        if (size == 0)
            return PageTableResult.Success;
        ulong last = CheckRange(ref va, size);
        var log = new ChangeLog();
        var checkedRange = SplitAndCheck(memory, allocator, root, va, last, log, writer, clear, set, limit);
        if (!checkedRange.Succeeded)
            return checkedRange;
        var visitor = new ProtectVisitor<TWriter>(writer, clear, set);
        TLayout.Walk(memory, root, va, last, ref visitor);
        writer.Flush();
        return PageTableResult.Success;
    }

    /// <summary>
    /// Unmap's and Protect's first walk, after the ends are split: every table in the range lies inside memory, the
    /// walk stays within the limit, and (Protect, masks touching the bits that decide what an entry is) every page
    /// stays a page. On failure the splits are undone.
    /// </summary>
    private static PageTableResult SplitAndCheck<TMemory, TWriter>(TMemory memory, ITableAllocator allocator, ulong root,
        ulong first, ulong last, ChangeLog log, TWriter writer, ulong clear, ulong set, WalkLimit? limit)
        where TMemory : struct, IPhysicalMemory
        where TWriter : struct, IEntryWriter<TEntry>
    {
        var split = SplitAtEnds(memory, allocator, root, first, last, log, writer);
        if (!split.Succeeded)
            return split;
        var walkLimit = limit?.Fresh() ?? new WalkLimit();
        var check = new RangeCheck<TMemory>(memory, clear, set, ((clear | set) & s_kindBits) != 0);
        int stopped = LimitedWalk.Walk<TLayout, TEntry, TMemory, RangeCheck<TMemory>>(memory, root, first, last, ref check, walkLimit);
        var result = stopped == WalkControl.Limited ? LimitFailure(walkLimit, first) : check.Result;
        if (!result.Succeeded)
            log.Undo(allocator, writer);
        return result;
    }

    /// <summary>Clears leaves; with <paramref name="freed"/> (FreeEmptyTables) also frees the tables left empty, each once, the root never.</summary>
    private struct UnmapVisitor<TMemory, TWriter>(TMemory memory, ITableAllocator allocator, TWriter writer, ulong root, HashSet<ulong>? freed)
        : IPageTableTreeVisitor<TEntry>
        where TMemory : struct, IPhysicalMemory
        where TWriter : struct, IEntryWriter<TEntry>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Visit(ulong va, int level, bool isLeaf, TEntry* entry)
        {
            if (isLeaf && TLayout.IsPresent(Read(entry)))
                writer.Write(entry, TEntry.Zero); // wholly inside the range: the ends were split
            return 0;
        }

        public int Leave(ulong va, int level, TEntry* entry)
        {
            if (freed is null)
                return 0;
            writer.Flush(); // the table's cleared entries must be in memory before it is looked at
            ulong value = Read(entry);
            if (TLayout.IsLeaf(value, level))
                return 0; // no longer a table link (corrupt, cyclic tables had the walk clear it as a leaf): nothing to free
            ulong physical = TLayout.EntryAddress(value);
            uint bytes = TLayout.TableBytes(level - 1);
            var table = (byte*)memory.At(physical, bytes);
            if (table == null || new ReadOnlySpan<byte>(table, (int)bytes).ContainsAnyExcept((byte)0))
                return 0;
            if (freed.Contains(physical))
            {
                writer.WriteNow(entry, TEntry.Zero); // a second link to a table freed already
                return 0;
            }
            // The root stays; a table that was in memory before (an image's own) is not the allocator's to take back.
            if (physical == root || !allocator.Owns(physical))
                return 0;
            writer.WriteNow(entry, TEntry.Zero);
            allocator.FreeTable(physical);
            freed.Add(physical);
            return 0;
        }
    }

    /// <summary>The bits that decide what an entry is (present, table, fault and leaf rules).</summary>
    private static readonly ulong s_kindBits = KindBits();

    private static ulong KindBits()
    {
        var table = TLayout.LevelTable;
        ulong bits = table.PresentMask | table.TableMask | table.Format.FaultMask;
        foreach (var row in table.Rows)
            bits |= row.LeafMask;
        return bits;
    }

    /// <summary>A page's entry after Protect: the masks apply to its level-1 form, which is then written back in its level's form.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Protected(ulong value, int level, ulong clear, ulong set)
    {
        ulong address = value & TLayout.AddressMask;
        ulong page = TLayout.PageFlags(value & ~TLayout.AddressMask, level);
        return address | TLayout.LeafFlags((page & ~clear) | set, level);
    }

    /// <summary>The first walk of Unmap and Protect: tables inside memory, and (when <paramref name="checkKinds"/>) pages that stay pages.</summary>
    /// <remarks>The per-entry path is small enough to inline into the walk's loops; the checks that can fail are out of line.</remarks>
    private struct RangeCheck<TMemory>(TMemory memory, ulong clear, ulong set, bool checkKinds) : IPageTableVisitor<TEntry>
        where TMemory : struct, IPhysicalMemory
    {
        public PageTableResult Result;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Visit(ulong va, int level, bool isLeaf, TEntry* entry)
        {
            if (!isLeaf)
                return CheckTable(memory, va, level, entry, ref Result);
            return checkKinds ? CheckPage(va, level, entry, clear, set, ref Result) : 0;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int CheckPage(ulong va, int level, TEntry* entry, ulong clear, ulong set, ref PageTableResult result)
    {
        ulong value = Read(entry);
        if (TLayout.Kind(value, level) != EntryKind.Leaf)
            return 0;
        ulong updated = Protected(value, level, clear, set);
        var kind = TLayout.Kind(updated, level);
        if (kind == EntryKind.Leaf)
            return 0;
        result = PageTableResult.Failure(PageTableStatus.NotALeaf, va, level,
            $"Protect would turn the level-{level} page at 0x{va:x} (0x{value:x} -> 0x{updated:x}) into {(kind == EntryKind.Table ? "a table pointer" : "an entry the hardware faults on")}; keep the bits that make it a page.");
        return 1;
    }

    private struct ProtectVisitor<TWriter>(TWriter writer, ulong clear, ulong set) : IPageTableVisitor<TEntry>
        where TWriter : struct, IEntryWriter<TEntry>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Visit(ulong va, int level, bool isLeaf, TEntry* entry)
        {
            if (!isLeaf)
                return 0;
            ulong value = Read(entry);
            if (TLayout.Kind(value, level) != EntryKind.Leaf)
                return 0;
            ulong updated = Protected(value, level, clear, set);
            if (updated != value)
                writer.Write(entry, Entry(updated));
            return 0;
        }
    }
}
