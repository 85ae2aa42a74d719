using Walkers.Layouts;

namespace Walkers.Tests.Semantics;

/// <summary>What a post-order Leave may return: SkipSubtree means "go on" (there is nothing left to skip).</summary>
public sealed unsafe class LeaveControlTests
{
    private unsafe struct LeaveReturns(int leaveResult) : IPageTableTreeVisitor<ulong>
    {
        public int Visits;
        public int Leaves;

        public int Visit(ulong va, int level, bool isLeaf, ulong* entry)
        {
            Visits++;
            return 0;
        }

        public int Leave(ulong va, int level, ulong* entry)
        {
            Leaves++;
            return leaveResult;
        }
    }

    private static (SimulatedMemory Memory, ulong Root) TwoPages()
    {
        var memory = new SimulatedMemory(1 << 20);
        ulong root = memory.AllocateTable();
        Assert.True(X86_64.Map(memory.View, memory, root, 0x40_0000, 0x1000, 0x1000, 0x3).Succeeded);
        Assert.True(X86_64.Map(memory.View, memory, root, 0x8000_0000, 0x2000, 0x1000, 0x3).Succeeded);
        return (memory, root);
    }

    [Fact]
    public void Leave_returning_SkipSubtree_goes_on_in_the_generated_and_the_reference_walker()
    {
        var (memory, root) = TwoPages();
        using var _ = memory;
        var generated = new LeaveReturns(WalkControl.SkipSubtree);
        var reference = new LeaveReturns(WalkControl.SkipSubtree);
        Assert.Equal(0, X86_64.WalkTree(memory.View, root, 0, 0xFFFF_FFFF, ref generated));
        Assert.Equal(0, ReferenceWalker.WalkTree<ulong, FlatMemory, LeaveReturns>(X86_64.LevelTable, memory.View, root, 0, 0xFFFF_FFFF, ref reference));
        Assert.Equal(reference.Visits, generated.Visits);
        Assert.Equal(reference.Leaves, generated.Leaves);
        Assert.True(generated.Leaves >= 4, "both level-1 tables, their level-2 tables and the level-3 table are left");
    }

    [Fact]
    public void Leave_returning_another_value_stops_both_walkers_with_it()
    {
        var (memory, root) = TwoPages();
        using var _ = memory;
        var generated = new LeaveReturns(7);
        var reference = new LeaveReturns(7);
        Assert.Equal(7, X86_64.WalkTree(memory.View, root, 0, 0xFFFF_FFFF, ref generated));
        Assert.Equal(7, ReferenceWalker.WalkTree<ulong, FlatMemory, LeaveReturns>(X86_64.LevelTable, memory.View, root, 0, 0xFFFF_FFFF, ref reference));
        Assert.Equal(1, generated.Leaves);
        Assert.Equal(reference.Visits, generated.Visits);
    }

    [Fact]
    public void FlatMemory_that_would_wrap_past_the_top_of_the_physical_space_is_refused()
    {
        Assert.Throws<System.ArgumentOutOfRangeException>(() => new FlatMemory(null, ulong.MaxValue - 0xFFF, 0x2000));
        var top = new FlatMemory((byte*)0x1000, ulong.MaxValue - 0xFFF, 0x1000); // ends exactly at 2^64: fine
        Assert.True(top.At(0, 1) == null);
        Assert.True(top.At(ulong.MaxValue, 1) != null);
    }
}
