using System.Collections.Generic;
using Xunit.Sdk;

namespace Walkers.Tests.Support;

/// <summary>Checks on one walk's calls that do not need a second walker (so a bug shared by both is caught too).</summary>
public static class WalkInvariants
{
    /// <summary>
    /// Visits go in ascending (linear) address order, every visited region meets the range, and the entries the
    /// walk did not descend through tile the page-aligned range exactly: nothing skipped, nothing twice.
    /// For a walk whose visitor always returns 0.
    /// </summary>
    public static void AssertAscendingInsideRange(LevelTable layout, WalkRange range, List<Call> calls)
    {
        ulong from = range.From, to = range.To;
        if (!VirtualRange.TryClip(layout.VirtualAddressBits, layout.Half, ref from, ref to))
        {
            if (calls.Count != 0)
                throw new XunitException($"{range}: nothing of the range exists, yet the walk made {calls.Count} calls");
            return;
        }
        if (calls.Count == 0)
            throw new XunitException($"{range}: the range exists but the walk made no call");
        if (calls.Count > VisitorPolicy.CallCap)
            return;
        ulong linearMask = layout.VirtualAddressBits >= 64 ? ulong.MaxValue : (1UL << layout.VirtualAddressBits) - 1;
        ulong pageFrom = from & ~((1UL << layout.PageShift) - 1);
        ulong previous = 0;
        ulong expectedNext = pageFrom;
        bool reachedEnd = false;
        for (int i = 0; i < calls.Count; i++)
        {
            var call = calls[i];
            if (call.Va != layout.Canonical(call.Va & linearMask))
                throw new XunitException($"{range}: call #{i} {call} has a non-canonical va");
            ulong linear = call.Va & linearMask;
            ulong size = layout[call.Level].PageSize;
            if (linear < previous)
                throw new XunitException($"{range}: call #{i} {call} goes backwards");
            previous = linear;
            if ((linear & (size - 1)) != 0)
                throw new XunitException($"{range}: call #{i} {call} is not aligned to its level");
            if (linear + size - 1 < from || linear > to)
                throw new XunitException($"{range}: call #{i} {call} lies outside the range");
            bool descended = i + 1 < calls.Count && calls[i + 1].Level == call.Level - 1;
            if (descended)
                continue;
            if (reachedEnd)
                throw new XunitException($"{range}: call #{i} {call} comes after the range was covered");
            if (!(linear <= expectedNext && expectedNext - linear < size))
                throw new XunitException($"{range}: call #{i} {call} does not continue at 0x{expectedNext:x}: a gap or an overlap");
            ulong next = linear + size;
            if (next - 1 >= to)
                reachedEnd = true;
            expectedNext = next;
        }
        if (!reachedEnd)
            throw new XunitException($"{range}: the walk stopped at 0x{expectedNext:x}, before the end of the range");
    }

    /// <summary>Every Leave closes the most recent table entry the walk descended through, and all are closed.</summary>
    public static void AssertLeavesNest(List<Call> calls)
    {
        var open = new Stack<Call>();
        for (int i = 0; i < calls.Count; i++)
        {
            var call = calls[i];
            if (call.Leave)
            {
                if (open.Count == 0)
                    throw new XunitException($"call #{i} {call} closes nothing");
                var top = open.Pop();
                if (top.Va != call.Va || top.Level != call.Level || top.Entry != call.Entry)
                    throw new XunitException($"call #{i} {call} does not close {top}");
                continue;
            }
            if (open.Count > 0 && open.Peek().Level != call.Level + 1)
                throw new XunitException($"call #{i} {call} is not a child of {open.Peek()}");
            bool descends = i + 1 < calls.Count && !calls[i + 1].Leave && calls[i + 1].Level == call.Level - 1;
            if (descends)
                open.Push(call);
        }
        if (open.Count != 0 && calls.Count <= VisitorPolicy.CallCap)
            throw new XunitException($"{open.Count} tables entered and never left, innermost {open.Peek()}");
    }
}
