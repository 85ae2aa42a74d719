using System;
using System.Collections.Generic;
using System.Linq;
using System.Numerics;
using System.Text;

namespace Walkers.Tests.Support;

/// <summary>One visitor call: a pre-order Visit or a post-order Leave; <c>Entry</c> is the entry's physical address.</summary>
public readonly record struct Call(bool Leave, ulong Va, int Level, bool IsLeaf, ulong Entry)
{
    public override string ToString() =>
        Leave ? $"Leave(0x{Va:x}, L{Level}, @0x{Entry:x})" : $"Visit(0x{Va:x}, L{Level}, {(IsLeaf ? "leaf" : "table")}, @0x{Entry:x})";
}

/// <summary>
/// What a scripted visitor does, decided by the call's ordinal only (so two walkers that agree so far are
/// told the same thing): stop at the k-th Visit or Leave, return SkipSubtree at some calls, rewrite the
/// visited entry at some calls (install a new table on an absent entry, clear it, set or clear the huge
/// bit, point it outside memory or at another table).
/// </summary>
public sealed record VisitorPolicy(
    int StopAt = 0, int StopValue = 0, int LeaveStopAt = 0,
    int SkipModulus = 0, int RewriteModulus = 0, int MaxInstalls = 0, ulong Seed = 0)
{
    public static readonly VisitorPolicy None = new();

    /// <summary>Both walkers stop here with <see cref="CapValue"/>: keeps pathological random images cheap.</summary>
    public const int CallCap = 20_000;
    public const int CapValue = 0x7A11_CA11;
}

/// <summary>Records calls of one walk and applies a <see cref="VisitorPolicy"/>.</summary>
public sealed unsafe class Session<TEntry>(Image image, LevelTable layout, VisitorPolicy policy)
    where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
{
    public List<Call> Calls { get; } = new();
    public int Visits { get; private set; }
    public int Leaves { get; private set; }
    public int Installs { get; private set; }
    public int Rewrites { get; private set; }

    private int _otherWrites;

    public int Visit(ulong va, int level, bool isLeaf, TEntry* entry)
    {
        Calls.Add(new Call(false, va, level, isLeaf, image.PhysicalOf(entry)));
        int n = ++Visits;
        if (Calls.Count > VisitorPolicy.CallCap)
            return VisitorPolicy.CapValue;
        if (n == policy.StopAt)
            return policy.StopValue;
        if (policy.RewriteModulus > 0 && Mix(policy.Seed, (ulong)n) % (ulong)policy.RewriteModulus == 0)
            Rewrite(level, entry, Mix(policy.Seed ^ 0x5EED, (ulong)n));
        if (policy.SkipModulus > 0 && Mix(policy.Seed ^ 0x5C1F, (ulong)n) % (ulong)policy.SkipModulus == 0)
            return WalkControl.SkipSubtree;
        return 0;
    }

    public int Leave(ulong va, int level, TEntry* entry)
    {
        Calls.Add(new Call(true, va, level, false, image.PhysicalOf(entry)));
        int n = ++Leaves;
        if (Calls.Count > VisitorPolicy.CallCap)
            return VisitorPolicy.CapValue;
        return n == policy.LeaveStopAt ? policy.StopValue : 0;
    }

    private void Rewrite(int level, TEntry* entry, ulong r)
    {
        ulong value = ulong.CreateTruncating(*entry);
        ulong mask = layout.AddressMask;
        ulong start = image.Spec.Start;
        ulong next = value;
        if (!layout.IsPresent(value))
        {
            // mini-os need_pgt: hook a fresh zeroed table in; the walk must descend into it.
            if (level > 1 && Installs < policy.MaxInstalls && image.Memory.TryAllocateTable(image.Spec.FrameBytes, out ulong table))
            {
                Installs++;
                next = layout.Encode(table) | (layout[level].Prot & ~mask);
                if ((r & 1) != 0)
                {
                    // Give the new table one entry: a page, or (one level up) a huge page / table at frame 0.
                    int index = (int)((r >> 8) % (ulong)layout[level - 1].Entries);
                    ulong content = layout.Encode(start) | layout.PresentMask;
                    content = (r & 2) != 0 ? layout.LeafShaped(content) : layout.TableShaped(content);
                    byte* slot = image.Memory.Pointer(table + (ulong)(index * sizeof(TEntry)), (uint)sizeof(TEntry));
                    *(TEntry*)slot = TEntry.CreateTruncating(content);
                }
            }
        }
        else
        {
            ulong frames = (ulong)image.Spec.TableFrames;
            next = (r >> 4) % 5 switch
            {
                0 => 0,                                                   // clear
                1 => layout.LeafShaped(value),                            // set the huge bit
                2 => layout.TableShaped(value),                           // clear it: a huge page turns into a table pointer
                3 => (value & ~mask) | layout.Encode(start + image.Spec.Size + image.Spec.FrameBytes * (r >> 40 & 7)), // table outside memory
                _ => (value & ~mask) | layout.Encode(image.Spec.Frame((int)((r >> 16) % frames))),          // another table
            };
        }
        if (next != value)
            Rewrites++;
        *entry = TEntry.CreateTruncating(next);

        if ((r >> 52) % 3 == 0 && _otherWrites < 4)
        {
            // Also rewrite some other entry of some table: ahead of the walk, behind it, or in a table on its path.
            ulong frames = (ulong)image.Spec.TableFrames;
            ulong slot = image.Spec.Frame((int)((r >> 24) % frames)) + (ulong)sizeof(TEntry) * ((r >> 8) % (ulong)(image.Spec.FrameBytes / sizeof(TEntry)));
            ulong other = ((r >> 20) % 3) switch
            {
                0 => 0,
                1 => layout.TableShaped(layout.Encode(image.Spec.Frame((int)((r >> 32) % frames))) | layout.PresentMask),
                _ => layout.LeafShaped(layout.Encode(image.Spec.Frame((int)((r >> 32) % frames))) | layout.PresentMask),
            };
            *(TEntry*)image.Memory.Pointer(slot, (uint)sizeof(TEntry)) = TEntry.CreateTruncating(other);
            Rewrites++;
            _otherWrites++;
        }
    }

    /// <summary>splitmix64 of (seed, n).</summary>
    public static ulong Mix(ulong seed, ulong n)
    {
        ulong z = seed + n * 0x9E37_79B9_7F4A_7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58_476D_1CE4_E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D0_49BB_1331_11EBUL;
        return z ^ (z >> 31);
    }
}

/// <summary>A struct visitor (tree-capable) that forwards to a <see cref="Session{TEntry}"/>.</summary>
public readonly unsafe struct SessionVisitor<TEntry>(Session<TEntry> session) : IPageTableTreeVisitor<TEntry>
    where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
{
    public int Visit(ulong va, int level, bool isLeaf, TEntry* entry) => session.Visit(va, level, isLeaf, entry);

    public int Leave(ulong va, int level, TEntry* entry) => session.Leave(va, level, entry);
}

/// <summary>
/// The session as a bulk leaf visitor: each run is taken apart into the per-entry calls the walk would have made
/// (stopping where a call stops the walk), so a run walk and a tree walk can be compared call for call.
/// </summary>
public readonly unsafe struct RunSessionVisitor<TEntry>(Session<TEntry> session, ulong pageSize) : IPageTableLeafRunVisitor<TEntry>
    where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
{
    public int Visit(ulong va, int level, bool isLeaf, TEntry* entry)
    {
        Assert.True(level > 1, "level-1 entries come in runs");
        return session.Visit(va, level, isLeaf, entry);
    }

    public int Leave(ulong va, int level, TEntry* entry) => session.Leave(va, level, entry);

    public int VisitLeafRun(ulong va, TEntry* entries, int count)
    {
        Assert.InRange(count, 1, 1 << 16);
        for (int i = 0; i < count; i++)
        {
            int result = session.Visit(va + (ulong)i * pageSize, 1, true, entries + i);
            if (result != 0 && result != WalkControl.SkipSubtree)
                return result;
        }
        return 0;
    }
}

/// <summary>The outcome of one walk: return value, calls, and the memory it left behind.</summary>
public sealed record WalkOutcome(int Result, List<Call> Calls, byte[] MemoryAfter, int Rewrites, int Installs);

public static class WalkRunner
{
    /// <summary>Runs the generated walker (<c>TLayout.Walk</c> or <c>WalkTree</c>) on a fresh copy of the image.</summary>
    public static unsafe WalkOutcome Generated<TEntry, TLayout>(ImageSpec spec, WalkRange range, VisitorPolicy policy, bool tree)
        where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
        where TLayout : struct, IPageTableLayout<TEntry>
    {
        using var image = new Image(spec, TLayout.LevelTable);
        var session = new Session<TEntry>(image, TLayout.LevelTable, policy);
        var visitor = new SessionVisitor<TEntry>(session);
        int result = tree
            ? TLayout.WalkTree(image.View, image.Root, range.From, range.To, ref visitor)
            : TLayout.Walk(image.View, image.Root, range.From, range.To, ref visitor);
        return new WalkOutcome(result, session.Calls, image.Bytes.ToArray(), session.Rewrites, session.Installs);
    }

    /// <summary>Runs the generated bulk leaf walk (<c>TLayout.WalkLeafRuns</c>), its runs taken apart into calls.</summary>
    public static unsafe WalkOutcome GeneratedRuns<TEntry, TLayout>(ImageSpec spec, WalkRange range, VisitorPolicy policy)
        where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
        where TLayout : struct, IPageTableLayout<TEntry>
    {
        using var image = new Image(spec, TLayout.LevelTable);
        var session = new Session<TEntry>(image, TLayout.LevelTable, policy);
        var visitor = new RunSessionVisitor<TEntry>(session, 1UL << TLayout.PageShift);
        int result = TLayout.WalkLeafRuns(image.View, image.Root, range.From, range.To, ref visitor);
        return new WalkOutcome(result, session.Calls, image.Bytes.ToArray(), session.Rewrites, session.Installs);
    }

    /// <summary>Runs <see cref="ReferenceWalker"/> over the layout's <see cref="LevelTable"/> on a fresh copy of the image.</summary>
    public static unsafe WalkOutcome Reference<TEntry, TLayout>(ImageSpec spec, WalkRange range, VisitorPolicy policy, bool tree)
        where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
        where TLayout : struct, IPageTableLayout<TEntry>
    {
        var layout = TLayout.LevelTable;
        using var image = new Image(spec, layout);
        var session = new Session<TEntry>(image, layout, policy);
        var visitor = new SessionVisitor<TEntry>(session);
        int result = tree
            ? ReferenceWalker.WalkTree<TEntry, FlatMemory, SessionVisitor<TEntry>>(layout, image.View, image.Root, range.From, range.To, ref visitor)
            : ReferenceWalker.Walk<TEntry, FlatMemory, SessionVisitor<TEntry>>(layout, image.View, image.Root, range.From, range.To, ref visitor);
        return new WalkOutcome(result, session.Calls, image.Bytes.ToArray(), session.Rewrites, session.Installs);
    }

    /// <summary>Fails with the first differing call (and some context) when the two outcomes differ.</summary>
    public static void AssertSame(WalkOutcome reference, WalkOutcome generated, string context)
    {
        int common = Math.Min(reference.Calls.Count, generated.Calls.Count);
        int first = 0;
        while (first < common && reference.Calls[first] == generated.Calls[first])
            first++;
        if (first < common || reference.Calls.Count != generated.Calls.Count)
        {
            var text = new StringBuilder();
            text.AppendLine($"Calls differ at #{first} (reference made {reference.Calls.Count}, generated {generated.Calls.Count}); {context}");
            for (int i = Math.Max(0, first - 3); i < first + 3; i++)
            {
                string r = i < reference.Calls.Count ? reference.Calls[i].ToString() : "-";
                string g = i < generated.Calls.Count ? generated.Calls[i].ToString() : "-";
                text.AppendLine($"  #{i}: reference {r} | generated {g}");
            }
            throw new Xunit.Sdk.XunitException(text.ToString());
        }
        if (reference.Result != generated.Result)
            throw new Xunit.Sdk.XunitException($"Return values differ: reference {reference.Result}, generated {generated.Result}; {context}");
        if (!reference.MemoryAfter.AsSpan().SequenceEqual(generated.MemoryAfter))
            throw new Xunit.Sdk.XunitException($"Memory after the walks differs; {context}");
    }

    public static string Describe(params object[] parts) => string.Join("; ", parts.Select(p => p.ToString()));
}
