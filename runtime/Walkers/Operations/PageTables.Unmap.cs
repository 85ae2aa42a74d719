using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;

namespace Walkers;

public static unsafe partial class PageTables<TLayout, TEntry>
{
    /// <summary>Unmap with plain stores. See <see cref="Unmap{TMemory, TWriter}"/>.</summary>
    public static PageTableResult Unmap<TMemory>(TMemory memory, ITableAllocator allocator, ulong root,
        ulong va, ulong size, UnmapOptions options = UnmapOptions.None)
        where TMemory : struct, IPhysicalMemory =>
        Unmap(memory, allocator, root, va, size, options, default(DirectEntryWriter<TEntry>));

    /// <summary>
    /// Clears every present leaf in [va, va + size). A huge page reaching outside the range is split first,
    /// so the part outside stays mapped (this needs a table per split, and fails with
    /// <see cref="PageTableStatus.OutOfTables"/> — changing nothing — when there is none).
    /// With <see cref="UnmapOptions.FreeEmptyTables"/>, tables left all zero are unlinked and freed bottom-up.
    /// </summary>
    /// <remarks>A table outside memory stops the walk with <see cref="PageTableStatus.TableOutsideMemory"/>; entries before it are already cleared.</remarks>
    public static PageTableResult Unmap<TMemory, TWriter>(TMemory memory, ITableAllocator allocator, ulong root,
        ulong va, ulong size, UnmapOptions options, TWriter writer)
        where TMemory : struct, IPhysicalMemory
        where TWriter : struct, IEntryWriter<TEntry>
    {
        ArgumentNullException.ThrowIfNull(allocator);
        if (size == 0)
            return PageTableResult.Success;
        ulong last = CheckRange(ref va, size);
        var log = new ChangeLog();
        var split = SplitAtEnds(memory, allocator, root, va, last, log, writer);
        if (!split.Succeeded)
            return split;
        // The tables Leave must not free: the root, and each one it freed (cyclic tables can link a table twice).
        var keep = (options & UnmapOptions.FreeEmptyTables) != 0 ? new HashSet<ulong> { root } : null;
        var visitor = new UnmapVisitor<TMemory, TWriter>(memory, allocator, writer, keep);
        TLayout.WalkTree(memory, root, va, last, ref visitor);
        writer.Flush();
        return visitor.Result;
    }

    /// <summary>Protect with plain stores. See <see cref="Protect{TMemory, TWriter}"/>.</summary>
    public static PageTableResult Protect<TMemory>(TMemory memory, ITableAllocator allocator, ulong root,
        ulong va, ulong size, ulong clear, ulong set)
        where TMemory : struct, IPhysicalMemory =>
        Protect(memory, allocator, root, va, size, clear, set, default(DirectEntryWriter<TEntry>));

    /// <summary>
    /// mini-os change_readonly, for any bits: every page in [va, va + size) becomes <c>(entry &amp; ~clear) | set</c>,
    /// the masks given in level-1 form as for Map (a larger page keeps its own leaf encoding: x86's PS bit, AArch64's
    /// block type). Absent entries and faults stay as they are. A huge page reaching outside the range is split first,
    /// as in Unmap. A change that would make a page read as a table pointer or a fault (RISC-V: clearing R, W and X)
    /// is refused with <see cref="PageTableStatus.NotALeaf"/>, changing nothing.
    /// </summary>
    /// <remarks>A table outside memory stops the walk with <see cref="PageTableStatus.TableOutsideMemory"/>; entries before it are already changed (and the ends split), as in Unmap.</remarks>
    public static PageTableResult Protect<TMemory, TWriter>(TMemory memory, ITableAllocator allocator, ulong root,
        ulong va, ulong size, ulong clear, ulong set, TWriter writer)
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
        var split = SplitAtEnds(memory, allocator, root, va, last, log, writer);
        if (!split.Succeeded)
            return split;
        // Where the masks touch bits that decide what an entry is (RISC-V R/W/X), a page could turn into a table
        // pointer or a fault: look first, so that Protect then changes nothing.
        if (((clear | set) & s_kindBits) != 0)
        {
            var check = new ProtectCheck(clear, set);
            TLayout.Walk(memory, root, va, last, ref check);
            if (!check.Result.Succeeded)
            {
                log.Undo(allocator, writer);
                return check.Result;
            }
        }
        var visitor = new ProtectVisitor<TMemory, TWriter>(memory, writer, clear, set);
        TLayout.Walk(memory, root, va, last, ref visitor);
        writer.Flush();
        return visitor.Result;
    }

    /// <summary>Clears leaves; with <paramref name="notToFree"/> (FreeEmptyTables) also frees the tables left empty, each once.</summary>
    private struct UnmapVisitor<TMemory, TWriter>(TMemory memory, ITableAllocator allocator, TWriter writer, HashSet<ulong>? notToFree)
        : IPageTableTreeVisitor<TEntry>
        where TMemory : struct, IPhysicalMemory
        where TWriter : struct, IEntryWriter<TEntry>
    {
        public PageTableResult Result;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Visit(ulong va, int level, bool isLeaf, TEntry* entry)
        {
            if (!isLeaf)
                return CheckTable(memory, va, level, entry, ref Result);
            ulong value = Read(entry);
            if (TLayout.IsPresent(value))
                writer.Write(entry, TEntry.Zero); // wholly inside the range: the ends were split
            return 0;
        }

        public int Leave(ulong va, int level, TEntry* entry)
        {
            if (notToFree is null)
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
            writer.WriteNow(entry, TEntry.Zero);
            if (notToFree.Add(physical))
                allocator.FreeTable(physical);
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

    private struct ProtectCheck(ulong clear, ulong set) : IPageTableVisitor<TEntry>
    {
        public PageTableResult Result;

        public int Visit(ulong va, int level, bool isLeaf, TEntry* entry)
        {
            if (!isLeaf)
                return 0;
            ulong value = Read(entry);
            if (TLayout.Kind(value, level) != EntryKind.Leaf)
                return 0;
            ulong updated = Protected(value, level, clear, set);
            var kind = TLayout.Kind(updated, level);
            if (kind == EntryKind.Leaf)
                return 0;
            Result = PageTableResult.Failure(PageTableStatus.NotALeaf, va, level,
                $"Protect would turn the level-{level} page at 0x{va:x} (0x{value:x} -> 0x{updated:x}) into {(kind == EntryKind.Table ? "a table pointer" : "an entry the hardware faults on")}; keep the bits that make it a page.");
            return 1;
        }
    }

    private struct ProtectVisitor<TMemory, TWriter>(TMemory memory, TWriter writer, ulong clear, ulong set) : IPageTableVisitor<TEntry>
        where TMemory : struct, IPhysicalMemory
        where TWriter : struct, IEntryWriter<TEntry>
    {
        public PageTableResult Result;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Visit(ulong va, int level, bool isLeaf, TEntry* entry)
        {
            if (!isLeaf)
                return CheckTable(memory, va, level, entry, ref Result);
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
