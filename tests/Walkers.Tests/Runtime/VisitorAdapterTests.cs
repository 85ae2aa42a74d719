using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Walkers.Layouts;
using Walkers.Tests.Support;
using static Walkers.Tests.Semantics.HandBuilt;

namespace Walkers.Tests.Runtime;

/// <summary>The delegate and function-pointer adapters, and struct visitors' state, through both walkers.</summary>
public sealed unsafe class VisitorAdapterTests
{
    // L4[0] -> L3 (1) -> L2 (2); L2[0] -> L1 (3) with two pages; L2[1] = 2 MiB page.
    private static readonly ImageSpec Tables = Spec(4,
        Root(0, 0x1000 | 0x67), At(1, 0, 0x2000 | 0x67), At(2, 0, 0x3000 | 0x67),
        At(3, 0, 0x10_0000 | 0x23), At(3, 1, 0x10_1000 | 0x23), At(2, 1, 0x40_0000 | PS | 0x63));

    private static List<Call> Expected() =>
        WalkRunner.Reference<ulong, X86_64.Layout>(Tables, new WalkRange(0, 0x3F_FFFF, "adapters"), VisitorPolicy.None, false).Calls;

    [Fact]
    public void DelegateVisitor_passes_every_call_through_in_both_walkers()
    {
        using var image = new Image(Tables, X86_64.LevelTable);
        foreach (bool generated in new[] { true, false })
        {
            var calls = new List<Call>();
            var visitor = new DelegateVisitor<ulong>((va, level, isLeaf, entry) =>
            {
                calls.Add(new Call(false, va, level, isLeaf, image.PhysicalOf(entry)));
                return 0;
            });
            int result = generated
                ? X86_64.Walk(image.View, 0, 0, 0x3F_FFFF, ref visitor)
                : ReferenceWalker.Walk<ulong, FlatMemory, DelegateVisitor<ulong>>(X86_64.LevelTable, image.View, 0, 0, 0x3F_FFFF, ref visitor);
            Assert.Equal(0, result);
            Assert.Equal(Expected(), calls);
            Assert.Equal(3 + 512 + 1, calls.Count); // L4, L3, L2[0], 512 level-1 entries, L2[1]
        }
    }

    [Fact]
    public void DelegateVisitor_non_zero_return_stops_the_walk_with_that_value()
    {
        using var image = new Image(Tables, X86_64.LevelTable);
        int count = 0;
        var visitor = new DelegateVisitor<ulong>((_, level, _, _) => ++count == 5 ? -42 : 0);
        Assert.Equal(-42, X86_64.Walk(image.View, 0, 0, ulong.MaxValue, ref visitor));
        Assert.Equal(5, count);
    }

    [Fact]
    public void DelegateVisitor_rejects_a_null_delegate() =>
        Assert.Throws<ArgumentNullException>(() => new DelegateVisitor<ulong>(null!));

    /// <summary>What the C callback writes through its <c>par</c> argument.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Log
    {
        public int Count;
        public int StopAt;
        public fixed ulong Va[600];
        public fixed int Level[600];
        public fixed int Leaf[600];
        public fixed ulong Entry[600];
    }

    [UnmanagedCallersOnly]
    private static int LogCall(ulong va, int level, int isLeaf, void* pte, void* par)
    {
        var log = (Log*)par;
        int i = log->Count++;
        log->Va[i] = va;
        log->Level[i] = level;
        log->Leaf[i] = isLeaf;
        log->Entry[i] = (ulong)pte;
        return log->Count == log->StopAt ? 7 : 0;
    }

    [Fact]
    public void FunctionPointerVisitor_calls_an_UnmanagedCallersOnly_method_with_the_seed_signature()
    {
        using var image = new Image(Tables, X86_64.LevelTable);
        var expected = Expected();
        foreach (bool generated in new[] { true, false })
        {
            var log = new Log();
            var visitor = new FunctionPointerVisitor<ulong>(&LogCall, &log);
            int result = generated
                ? X86_64.Walk(image.View, 0, 0, 0x3F_FFFF, ref visitor)
                : ReferenceWalker.Walk<ulong, FlatMemory, FunctionPointerVisitor<ulong>>(X86_64.LevelTable, image.View, 0, 0, 0x3F_FFFF, ref visitor);
            Assert.Equal(0, result);
            Assert.Equal(expected.Count, log.Count);
            for (int i = 0; i < log.Count; i++)
            {
                var call = new Call(false, log.Va[i], log.Level[i], log.Leaf[i] == 1, image.PhysicalOf((void*)log.Entry[i]));
                Assert.Equal(expected[i], call);
                Assert.True(log.Leaf[i] is 0 or 1);
            }
        }
    }

    [Fact]
    public void FunctionPointerVisitor_non_zero_return_stops_the_walk_with_that_value()
    {
        using var image = new Image(Tables, X86_64.LevelTable);
        var log = new Log { StopAt = 4 };
        var visitor = new FunctionPointerVisitor<ulong>(&LogCall, &log);
        Assert.Equal(7, X86_64.Walk(image.View, 0, 0, ulong.MaxValue, ref visitor));
        Assert.Equal(4, log.Count);
        Assert.Equal(1, log.Level[3]); // the 4th call is the first level-1 entry
    }

    /// <summary>A plain struct visitor with state in its fields.</summary>
    private struct Counter : IPageTableTreeVisitor<ulong>
    {
        public int Visits, Leaves, Level1;
        public ulong LastVa;

        public int Visit(ulong va, int level, bool isLeaf, ulong* entry)
        {
            Visits++;
            if (level == 1) Level1++;
            LastVa = va;
            return 0;
        }

        public int Leave(ulong va, int level, ulong* entry)
        {
            Leaves++;
            return 0;
        }
    }

    [Fact]
    public void A_struct_visitors_state_comes_back_through_ref_from_every_walk()
    {
        using var image = new Image(Tables, X86_64.LevelTable);
        var g = new Counter();
        X86_64.Walk(image.View, 0, 0, 0x3F_FFFF, ref g);
        var r = new Counter();
        ReferenceWalker.Walk<ulong, FlatMemory, Counter>(X86_64.LevelTable, image.View, 0, 0, 0x3F_FFFF, ref r);
        var gt = new Counter();
        X86_64.WalkTree(image.View, 0, 0, 0x3F_FFFF, ref gt);
        var rt = new Counter();
        ReferenceWalker.WalkTree<ulong, FlatMemory, Counter>(X86_64.LevelTable, image.View, 0, 0, 0x3F_FFFF, ref rt);
        foreach (var c in new[] { g, r, gt, rt })
        {
            Assert.Equal(516, c.Visits);
            Assert.Equal(512, c.Level1);
            Assert.Equal(0x20_0000UL, c.LastVa);
        }
        Assert.Equal(0, g.Leaves);
        Assert.Equal(3, gt.Leaves);
        Assert.Equal(3, rt.Leaves);
    }

    [Fact]
    public void ReferenceWalker_rejects_a_visitor_whose_entry_size_does_not_match_the_layout()
    {
        using var image = new Image(Tables, X86_64.LevelTable);
        var visitor = new DelegateVisitor<uint>((_, _, _, _) => 0);
        Assert.Throws<ArgumentException>(() =>
            ReferenceWalker.Walk<uint, FlatMemory, DelegateVisitor<uint>>(X86_64.LevelTable, image.View, 0, 0, ulong.MaxValue, ref visitor));
    }

    [Fact]
    public void A_root_outside_memory_makes_no_call_and_returns_0()
    {
        using var image = new Image(Tables, X86_64.LevelTable);
        var g = new Counter();
        Assert.Equal(0, X86_64.Walk(image.View, 0x10_0000, 0, ulong.MaxValue, ref g));
        var r = new Counter();
        Assert.Equal(0, ReferenceWalker.Walk<ulong, FlatMemory, Counter>(X86_64.LevelTable, image.View, 0x10_0000, 0, ulong.MaxValue, ref r));
        Assert.Equal(0, g.Visits + r.Visits);
        Assert.True(X86_64.GetEntry(image.View, 0x10_0000, 0) == null);
        Assert.False(X86_64.TryTranslate(image.View, 0x10_0000, 0, out _));
    }
}
