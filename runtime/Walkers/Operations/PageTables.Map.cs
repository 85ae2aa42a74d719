using System;
using System.Runtime.CompilerServices;

namespace Walkers;

public static unsafe partial class PageTables<TLayout, TEntry>
{
    /// <summary>Map with plain stores. See <see cref="Map{TMemory, TWriter}"/>.</summary>
    public static PageTableResult Map<TMemory>(TMemory memory, ITableAllocator allocator, ulong root,
        ulong va, ulong pa, ulong size, ulong flags, MapOptions options = MapOptions.None, WalkLimit? limit = null)
        where TMemory : struct, IPhysicalMemory =>
        Map(memory, allocator, root, va, pa, size, flags, options, default(DirectEntryWriter<TEntry>), limit);

    /// <summary>
    /// Maps [va, va + size) to [pa, pa + size) with leaf <paramref name="flags"/> (level-1 form, present bit
    /// included), using for every piece the largest page the layout allows where va, pa and the remaining size
    /// line up (<see cref="MapOptions.SmallestPages"/>: level-1 pages only). Missing tables are allocated
    /// zeroed and linked with their level's prot (mini-os need_pgt / new_pt_frame).
    /// </summary>
    /// <remarks>
    /// All or nothing: a first walk checks the range and builds every table the mapping needs; a conflict
    /// (a present leaf without <see cref="MapOptions.Overwrite"/>), an exhausted allocator or a table outside
    /// memory undoes what it built, so memory is exactly as before, and the result says why. Only then a
    /// second walk writes the leaves, which cannot fail. An existing table where a huge page would fit is kept
    /// and filled with smaller pages. Tables that repeat beyond <paramref name="limit"/>'s rule (or its cancellation)
    /// stop the first walk, which then undoes what it built.
    /// </remarks>
    public static PageTableResult Map<TMemory, TWriter>(TMemory memory, ITableAllocator allocator, ulong root,
        ulong va, ulong pa, ulong size, ulong flags, MapOptions options, TWriter writer, WalkLimit? limit = null)
        where TMemory : struct, IPhysicalMemory
        where TWriter : struct, IEntryWriter<TEntry>
    {
        ArgumentNullException.ThrowIfNull(allocator);
        if (size == 0)
            return PageTableResult.Success;
        ulong last = CheckRange(ref va, size);
        if ((pa & (PageBytes - 1)) != 0 || pa + (size - 1) < pa)
            throw new ArgumentException($"Physical address 0x{pa:x} is not page aligned, or [pa, pa + size) wraps.", nameof(pa));
        ulong lastFrame = pa + (size - PageBytes);
        if (TLayout.EntryAddress(TLayout.MakeEntry(lastFrame, 0)) != lastFrame)
            throw new ArgumentException($"Physical address 0x{lastFrame:x} does not fit the entry's address field 0x{TLayout.AddressMask:x}.", nameof(pa));
        CheckFlags(flags, nameof(flags));
        if (TLayout.Kind(TLayout.MakeEntry(pa, flags), 1) != EntryKind.Leaf)
            throw new ArgumentException($"Flags 0x{flags:x} do not make a valid level-1 page (present bit 0x{TLayout.PresentMask:x}, and the layout's leaf rule).", nameof(flags));
        if (memory.At(root, TLayout.TableBytes(TLayout.Levels)) == null)
            return RootOutside(root);

        var request = new MapRequest(va, last, pa, flags, options);
        var plan = new MapPlan<TMemory, TWriter>(memory, allocator, new ChangeLog(), writer, request);
        var walkLimit = limit?.Fresh() ?? new WalkLimit();
        bool stopped = LimitedWalk.Walk<TLayout, TEntry, TMemory, MapPlan<TMemory, TWriter>>(memory, root, va, last, ref plan, walkLimit) == WalkControl.Limited;
        if (stopped || !plan.Result.Succeeded)
        {
            plan.Log.Undo(allocator, writer);
            return stopped ? LimitFailure(walkLimit, va) : plan.Result;
        }
        var commit = new MapCommit<TWriter>(writer, request);
        TLayout.Walk(memory, root, va, last, ref commit);
        writer.Flush();
        return PageTableResult.Success;
    }

    /// <summary>What to map, and where a leaf goes.</summary>
    private readonly struct MapRequest(ulong first, ulong last, ulong pa, ulong flags, MapOptions options)
    {
        public readonly ulong First = first;
        public readonly ulong Last = last;
        public readonly ulong Pa = pa;
        public readonly ulong Flags = flags;
        public readonly bool Overwrite = (options & MapOptions.Overwrite) != 0;
        private readonly bool _smallest = (options & MapOptions.SmallestPages) != 0;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public ulong PhysicalFor(ulong va) => Pa + (va - First);

        /// <summary>A leaf goes at this entry: level 1, or a level allowing pages that the range covers whole with an aligned frame.</summary>
        public bool LeafHere(ulong va, int level)
        {
            if (level == 1)
                return true;
            if (_smallest || !TLayout.LeafAllowed(level))
                return false;
            ulong size = TLayout.PageSize(level);
            return va >= First && va + (size - 1) <= Last && (PhysicalFor(va) & (size - 1)) == 0
                && TLayout.Kind(TLayout.MakeEntry(PhysicalFor(va), TLayout.LeafFlags(Flags, level)), level) == EntryKind.Leaf;
        }
    }

    /// <summary>First pass: conflicts and tables. Writes only table links, each logged for undo.</summary>
    private struct MapPlan<TMemory, TWriter>(TMemory memory, ITableAllocator allocator, ChangeLog log, TWriter writer, MapRequest request)
        : IPageTableVisitor<TEntry>
        where TMemory : struct, IPhysicalMemory
        where TWriter : struct, IEntryWriter<TEntry>
    {
        public readonly ChangeLog Log = log;
        public PageTableResult Result;

        public int Visit(ulong va, int level, bool isLeaf, TEntry* entry)
        {
            // An existing table: go on inside it (where a huge page fits, smaller pages go in it).
            if (!isLeaf)
                return CheckTable(memory, va, level, entry, ref Result);
            ulong value = Read(entry);
            bool present = TLayout.IsPresent(value);
            if (present && !request.Overwrite)
                return Fail(PageTableResult.Failure(PageTableStatus.AlreadyMapped, va, level,
                    $"0x{va:x} is already mapped by a level-{level} entry (0x{value:x}); pass MapOptions.Overwrite to replace it."));
            if (request.LeafHere(va, level))
                return 0; // the second pass writes the leaf
            // A table is needed here: split the huge page being overwritten, or build a new table (over an absent entry or a fault).
            bool built = present && TLayout.Kind(value, level) == EntryKind.Leaf
                ? TrySplit(memory, allocator, Log, writer, entry, va, level, out Result)
                : TryLinkNewTable(memory, allocator, Log, writer, entry, va, level, out Result);
            if (!built)
                return 1;
            // Under a level-2 entry there are only leaves: nothing more to check or build.
            return level == 2 ? WalkControl.SkipSubtree : 0;
        }

        private int Fail(PageTableResult failure)
        {
            Result = failure;
            return 1;
        }
    }

    /// <summary>Second pass: the leaves. Every table it needs exists, so it cannot fail.</summary>
    private struct MapCommit<TWriter>(TWriter writer, MapRequest request) : IPageTableVisitor<TEntry>
        where TWriter : struct, IEntryWriter<TEntry>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Visit(ulong va, int level, bool isLeaf, TEntry* entry)
        {
            // A table (one the plan built, or one that already held smaller pages) is descended into.
            if (isLeaf && (level == 1 || request.LeafHere(va, level)))
                writer.Write(entry, Entry(TLayout.MakeEntry(request.PhysicalFor(va), TLayout.LeafFlags(request.Flags, level))));
            return 0;
        }
    }
}
