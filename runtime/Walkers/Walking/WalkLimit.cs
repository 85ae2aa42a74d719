using System;
using System.Collections.Generic;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Threading;

namespace Walkers;

/// <summary>Why a limited walk stopped early.</summary>
public enum WalkStop
{
    /// <summary>It did not: the walk covered its range.</summary>
    None,

    /// <summary>It visited more entries than the rule allows: tables repeat (a cycle, or a subtree shared many times).</summary>
    Repeats,

    /// <summary>Its <see cref="CancellationToken"/> was cancelled.</summary>
    Cancelled,
}

/// <summary>
/// The one rule that bounds work over tables that repeat, the same in the library and the tools
/// (docs/walk-semantics.md, "Tables that repeat"): a walk may visit, in all, <see cref="RepeatsPerTable"/> times as
/// many entries as the distinct tables it has entered hold (the layout's level count by default). A tree never comes
/// near it; a recursive self-map enters each table once per level, which it allows; a table that links back to
/// itself, or a subtree shared by many entries, stops the walk with <see cref="WalkStop.Repeats"/> and a message
/// naming a repeated table. The walk can also be cancelled. One <see cref="WalkLimit"/> serves one walk (or the walks
/// of one operation); it counts as the walk goes.
/// </summary>
public sealed class WalkLimit
{
    private readonly HashSet<ulong> _tables = [];
    private long _allowance;

    /// <param name="cancellation">Checked every few thousand entries.</param>
    /// <param name="repeatsPerTable">How many times, on average, each distinct table's entries may be visited; 0: the layout's level count.</param>
    public WalkLimit(CancellationToken cancellation = default, int repeatsPerTable = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(repeatsPerTable);
        Cancellation = cancellation;
        RepeatsPerTable = repeatsPerTable;
    }

    /// <summary>No bound on repeats (the walk is still finite: it is depth-bounded), only cancellation.</summary>
    public static WalkLimit Unbounded(CancellationToken cancellation = default) => new(cancellation) { IsUnbounded = true };

    public CancellationToken Cancellation { get; }

    /// <summary>A new limit with the same rule and cancellation, for the next walk of an operation.</summary>
    public WalkLimit Fresh() => new(Cancellation, RepeatsPerTable) { IsUnbounded = IsUnbounded };

    public int RepeatsPerTable { get; private set; }

    public bool IsUnbounded { get; private init; }

    /// <summary>Entries visited so far.</summary>
    public long Visited { get; private set; }

    /// <summary>Distinct tables entered so far (by physical address).</summary>
    public int DistinctTables => _tables.Count;

    /// <summary>Times a table already entered was entered again.</summary>
    public long Reentries { get; private set; }

    /// <summary>The last table entered a second time, if any.</summary>
    public ulong? RepeatedTable { get; private set; }

    public WalkStop Stop { get; private set; }

    /// <summary>One line saying why the walk stopped; null when it did not.</summary>
    public string? Message => Stop switch
    {
        WalkStop.Repeats =>
            $"the walk visited {Visited} entries, more than {RepeatsPerTable} times the {DistinctTables} distinct tables it entered hold: tables repeat (cyclic or shared; table 0x{RepeatedTable ?? 0:x} was entered again)",
        WalkStop.Cancelled => $"the walk was cancelled after {Visited} entries",
        _ => null,
    };

    /// <summary>Starts a walk from a root table of <paramref name="entries"/> entries; <paramref name="levels"/> sets the default repeats.</summary>
    internal void Begin(ulong root, int entries, int levels)
    {
        if (RepeatsPerTable == 0)
            RepeatsPerTable = levels;
        // Unbounded: an allowance no walk uses up (visits are counted against it all the same).
        if (IsUnbounded && _allowance < UnboundedAllowance)
            _allowance = UnboundedAllowance;
        Enter(root, entries);
    }

    private const long UnboundedAllowance = long.MaxValue / 4;

    /// <summary>The table at <paramref name="table"/> is being entered: a new one adds to the allowance. Returns the new total.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal long Enter(ulong table, int entries)
    {
        if (_tables.Add(table))
            _allowance += (long)RepeatsPerTable * entries;
        else
        {
            Reentries++;
            RepeatedTable = table;
        }
        return _allowance;
    }

    internal long Allowance => _allowance;

    /// <summary>Whether a table lies in the memory being walked (set by each limited walk): only a table the walk can enter earns allowance.</summary>
    internal TableProbe? Tables;

    /// <summary>Takes the visits from what a limited visitor has left of the allowance.</summary>
    internal void Settle(long left) => Visited = _allowance - left;

    internal int Stopped(WalkStop stop)
    {
        Stop = stop;
        return WalkControl.Limited;
    }
}

/// <summary>Whether a table lies in a memory: the limit's view of the memory a walk runs over.</summary>
internal abstract class TableProbe
{
    public abstract bool Contains(ulong physical, uint bytes);
}

internal sealed unsafe class TableProbe<TMemory>(TMemory memory) : TableProbe
    where TMemory : struct, IPhysicalMemory
{
    public override bool Contains(ulong physical, uint bytes) => memory.At(physical, bytes) != null;
}

/// <summary>
/// A visitor under a <see cref="WalkLimit"/>: it counts every entry against the allowance, adds to it for every
/// new table the walk is about to enter, and stops the walk with <see cref="WalkControl.Limited"/> when it runs out or
/// the walk is cancelled. The inner visitor sees nothing of this.
/// </summary>
/// <remarks>
/// Three fields, so the JIT keeps the struct in registers in the walk's loops: the visits are what the allowance lost
/// (<see cref="WalkLimit.Settle"/>), and cancellation is looked at when the count left crosses a multiple of 4096.
/// A table entry earns its table's allowance only when the table lies in memory (a table outside memory is never
/// entered).
/// </remarks>
public unsafe ref struct LimitedVisitor<TLayout, TEntry, TVisitor> : IPageTableTreeVisitor<TEntry>
    where TLayout : struct, IPageTableLayout<TEntry>
    where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
    where TVisitor : IPageTableTreeVisitor<TEntry>, allows ref struct
{
    private const int CancellationStride = 4096;

    public TVisitor Inner;
    private readonly WalkLimit _limit;
    private long _left; // allowance left

    public LimitedVisitor(TVisitor inner, WalkLimit limit)
    {
        Inner = inner;
        _limit = limit;
        _left = limit.Allowance - limit.Visited;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Visit(ulong va, int level, bool isLeaf, TEntry* entry)
    {
        if (_left <= 0)
            return Stop(_limit, _left, WalkStop.Repeats);
        if ((--_left & (CancellationStride - 1)) == 0 && _limit.Cancellation.IsCancellationRequested)
            return Stop(_limit, _left, WalkStop.Cancelled);
        int result = Inner.Visit(va, level, isLeaf, entry);
        if (!isLeaf && result == 0)
        {
            // The walk follows what the entry holds after the visit.
            ulong value = ulong.CreateTruncating(*entry);
            if (!TLayout.IsLeaf(value, level))
                _left += Entering(_limit, TLayout.EntryAddress(value), level);
        }
        return result;
    }

    public int Leave(ulong va, int level, TEntry* entry) => Inner.Leave(va, level, entry);

    // The slow paths are static and take values: an instance call would take the struct's address and keep it out
    // of registers in every loop of the walk.

    /// <summary>The walk is about to enter <paramref name="table"/> (below a level-<paramref name="level"/> entry): returns the allowance it adds.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static long Entering(WalkLimit limit, ulong table, int level)
    {
        if (limit.Tables is { } tables && !tables.Contains(table, TLayout.TableBytes(level - 1)))
            return 0;
        long before = limit.Allowance;
        return limit.Enter(table, TLayout.Entries(level - 1)) - before;
    }

    /// <summary>Hands the count back to the limit; call once after the walk.</summary>
    public void Finish() => _limit.Settle(_left);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Stop(WalkLimit limit, long left, WalkStop stop)
    {
        limit.Settle(left);
        return limit.Stopped(stop);
    }
}

/// <summary>Walks under a <see cref="WalkLimit"/> (the generated <c>Walk(..., limit)</c> entry points call these).</summary>
public static class LimitedWalk
{
    /// <summary>Like the layout's <c>WalkTree</c>; returns <see cref="WalkControl.Limited"/> when the limit stopped it (<see cref="WalkLimit.Stop"/> says why).</summary>
    public static int WalkTree<TLayout, TEntry, TMemory, TVisitor>(TMemory memory, ulong root, ulong from, ulong to, ref TVisitor visitor, WalkLimit limit)
        where TLayout : struct, IPageTableLayout<TEntry>
        where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
        where TMemory : struct, IPhysicalMemory
        where TVisitor : IPageTableTreeVisitor<TEntry>, allows ref struct
    {
        ArgumentNullException.ThrowIfNull(limit);
        limit.Tables = new TableProbe<TMemory>(memory);
        limit.Begin(root, TLayout.Entries(TLayout.Levels), TLayout.Levels);
        var limited = new LimitedVisitor<TLayout, TEntry, TVisitor>(visitor, limit);
        int result = TLayout.WalkTree(memory, root, from, to, ref limited);
        limited.Finish();
        visitor = limited.Inner;
        return result;
    }

    /// <summary>Like the layout's <c>Walk</c>, under <paramref name="limit"/>.</summary>
    public static int Walk<TLayout, TEntry, TMemory, TVisitor>(TMemory memory, ulong root, ulong from, ulong to, ref TVisitor visitor, WalkLimit limit)
        where TLayout : struct, IPageTableLayout<TEntry>
        where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
        where TMemory : struct, IPhysicalMemory
        where TVisitor : IPageTableVisitor<TEntry>, allows ref struct
    {
        var tree = new WithoutLeave<TEntry, TVisitor>(visitor);
        int result = WalkTree<TLayout, TEntry, TMemory, WithoutLeave<TEntry, TVisitor>>(memory, root, from, to, ref tree, limit);
        visitor = tree.Inner;
        return result;
    }
}
