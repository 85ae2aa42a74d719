using System;
using System.Collections.Generic;
using System.Linq;

namespace Walkers.Tests.Runtime;

public sealed unsafe class SimulatedMemoryTests
{
    [Fact]
    public void New_memory_is_zeroed_page_aligned_and_rounded_up_to_whole_frames()
    {
        using var memory = new SimulatedMemory(3 * 4096 + 1, start: 0x10_0000);
        Assert.Equal(4UL * 4096, memory.Size);
        Assert.Equal(4UL, memory.FrameCount);
        Assert.Equal(0x10_0000UL, memory.View.Start);
        Assert.Equal(0UL, (ulong)memory.View.Base % 4096);
        Assert.True(new ReadOnlySpan<byte>(memory.View.Base, (int)memory.Size).IndexOfAnyExcept((byte)0) < 0);
        Assert.Equal(0, memory.TablesInUse);
    }

    [Theory]
    [InlineData(0UL, 0UL)]
    [InlineData((1UL << 40) + 1, 0UL)]
    public void Constructor_rejects_a_size_of_zero_or_above_1_TiB(ulong size, ulong start) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new SimulatedMemory(size, start));

    [Fact]
    public void Constructor_rejects_a_start_that_is_not_frame_aligned() =>
        Assert.Throws<ArgumentException>(() => new SimulatedMemory(4096, start: 0x800));

    [Fact]
    public void Allocation_hands_out_every_frame_once_then_reports_exhaustion()
    {
        using var memory = new SimulatedMemory(8 * 4096, start: 0x4000_0000);
        var frames = new List<ulong>();
        while (memory.TryAllocateTable(out ulong pa))
            frames.Add(pa);
        Assert.Equal(8, frames.Count);
        Assert.Equal(8, memory.TablesInUse);
        Assert.Equal(frames.Count, frames.Distinct().Count());
        Assert.All(frames, pa => Assert.True(pa % 4096 == 0 && pa >= 0x4000_0000 && pa < 0x4000_0000 + 8 * 4096));
        Assert.False(memory.TryAllocateTable(out ulong none));
        Assert.Equal(0UL, none);
        Assert.Throws<OutOfMemoryException>(() => memory.AllocateTable());
        Assert.Equal(8, memory.TablesInUse);
    }

    [Fact]
    public void A_freed_frame_is_reused_and_comes_back_zeroed()
    {
        using var memory = new SimulatedMemory(2 * 4096);
        ulong a = memory.AllocateTable();
        ulong b = memory.AllocateTable();
        new Span<byte>(memory.Pointer(a, 4096), 4096).Fill(0xAB);
        memory.FreeTable(a);
        Assert.Equal(1, memory.TablesInUse);
        ulong again = memory.AllocateTable();
        Assert.Equal(a, again);
        Assert.True(new ReadOnlySpan<byte>(memory.Pointer(again, 4096), 4096).IndexOfAnyExcept((byte)0) < 0);
        Assert.Equal(2, memory.TablesInUse);
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void Double_free_throws_and_leaves_the_count_alone()
    {
        using var memory = new SimulatedMemory(2 * 4096);
        ulong a = memory.AllocateTable();
        memory.FreeTable(a);
        Assert.Throws<InvalidOperationException>(() => memory.FreeTable(a));
        Assert.Equal(0, memory.TablesInUse);
    }

    [Theory]
    [InlineData(0x1000UL)]  // never allocated
    [InlineData(0x0800UL)]  // not a frame boundary
    [InlineData(0x2000UL)]  // past the end
    [InlineData(ulong.MaxValue)]
    public void Freeing_something_that_is_not_an_allocated_frame_throws(ulong address)
    {
        using var memory = new SimulatedMemory(2 * 4096);
        memory.AllocateTable();
        Assert.ThrowsAny<Exception>(() => memory.FreeTable(address));
        Assert.Equal(1, memory.TablesInUse);
    }

    [Fact]
    public void Pointer_throws_outside_memory_and_for_a_range_running_past_the_end()
    {
        using var memory = new SimulatedMemory(4096, start: 0x1000);
        Assert.True(memory.Pointer(0x1FFF) == memory.View.Base + 0xFFF);
        Assert.Throws<ArgumentOutOfRangeException>(() => memory.Pointer(0x0FFF));
        Assert.Throws<ArgumentOutOfRangeException>(() => memory.Pointer(0x2000));
        Assert.Throws<ArgumentOutOfRangeException>(() => memory.Pointer(0x1FFF, 2));
    }

    [Fact]
    public void After_dispose_the_view_and_the_allocator_throw_and_dispose_is_idempotent()
    {
        var memory = new SimulatedMemory(4096);
        memory.Dispose();
        Assert.Throws<ObjectDisposedException>(() => memory.View);
        Assert.Throws<ObjectDisposedException>(() => memory.TryAllocateTable(out _));
        memory.Dispose();
    }
}
