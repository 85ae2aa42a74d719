using System;
using System.Linq;
using System.Runtime.InteropServices;

namespace Walkers.Tests.Runtime;

/// <summary><c>At</c> of the memory implementations: a pointer only when every requested byte is inside.</summary>
public sealed unsafe class PhysicalMemoryTests : IDisposable
{
    private readonly byte* _buffer = (byte*)NativeMemory.AllocZeroed(0x6000);

    public void Dispose() => NativeMemory.Free(_buffer);

    [Fact]
    public void FlatMemory_At_returns_a_pointer_for_ranges_wholly_inside()
    {
        var memory = new FlatMemory(_buffer, 0x1000, 0x3000);
        Assert.True(memory.At(0x1000, 0x3000) == _buffer);
        Assert.True(memory.At(0x1000, 1) == _buffer);
        Assert.True(memory.At(0x3FFF, 1) == _buffer + 0x2FFF);
        Assert.True(memory.At(0x2000, 0x1000) == _buffer + 0x1000);
        Assert.Equal(0x4000UL, memory.End);
    }

    [Theory]
    [InlineData(0x0FFFUL, 1u)]                     // just below Start
    [InlineData(0x0FFFUL, 2u)]                     // straddles Start
    [InlineData(0x3FFFUL, 2u)]                     // straddles the end
    [InlineData(0x1000UL, 0x3001u)]                // one byte too long
    [InlineData(0x4000UL, 1u)]                     // at the end
    [InlineData(0UL, 0x1000u)]                     // the block below
    [InlineData(ulong.MaxValue, 1u)]               // offset wraps around
    [InlineData(ulong.MaxValue - 0xFFE, 0x1000u)]  // address + length wraps around
    [InlineData(0x2000UL, uint.MaxValue)]          // length larger than memory
    public void FlatMemory_At_returns_null_for_ranges_not_wholly_inside(ulong address, uint length)
    {
        var memory = new FlatMemory(_buffer, 0x1000, 0x3000);
        Assert.True(memory.At(address, length) == null);
        Assert.False(memory.Contains(address, length));
    }

    [Fact]
    public void FlatMemory_at_the_top_of_the_physical_space_does_not_wrap()
    {
        var memory = new FlatMemory(_buffer, ulong.MaxValue - 0xFFF, 0x1000);
        Assert.True(memory.At(ulong.MaxValue - 0xFFF, 0x1000) == _buffer);
        Assert.True(memory.At(ulong.MaxValue, 1) == _buffer + 0xFFF);
        Assert.True(memory.At(ulong.MaxValue, 2) == null);
        Assert.True(memory.At(0, 1) == null);
    }

    [Fact]
    public void OffsetMemory_At_maps_physical_to_offset_plus_physical_below_the_limit()
    {
        var memory = new OffsetMemory((nuint)_buffer, 0x6000);
        Assert.True(memory.At(0, 0x6000) == _buffer);
        Assert.True(memory.At(0x5FFF, 1) == _buffer + 0x5FFF);
        Assert.True(memory.At(0x5000, 0x1000) == _buffer + 0x5000);
    }

    [Theory]
    [InlineData(0x6000UL, 1u)]
    [InlineData(0x5FFFUL, 2u)]
    [InlineData(0x5001UL, 0x1000u)]
    [InlineData(ulong.MaxValue, 1u)]
    [InlineData(ulong.MaxValue - 0xFFE, 0x1000u)]
    [InlineData(0UL, 0x6001u)]
    public void OffsetMemory_At_returns_null_at_or_above_the_limit_and_for_partly_inside_ranges(ulong address, uint length) =>
        Assert.True(new OffsetMemory((nuint)_buffer, 0x6000).At(address, length) == null);

    private SegmentedMemory Segments() => new(new[]
    {
        new FlatMemory(_buffer + 0x3000, 0x5000, 0x1000), // given out of order: sorted by the constructor
        new FlatMemory(_buffer, 0x1000, 0x2000),
        new FlatMemory(_buffer + 0x2000, 0x4000, 0x1000), // adjacent to the next one
    });

    [Fact]
    public void SegmentedMemory_At_finds_the_segment_holding_the_range()
    {
        var memory = Segments();
        Assert.Equal(new ulong[] { 0x1000, 0x4000, 0x5000 }, memory.Segments.ToArray().Select(s => s.Start));
        Assert.True(memory.At(0x1000, 0x2000) == _buffer);
        Assert.True(memory.At(0x2FFF, 1) == _buffer + 0x1FFF);
        Assert.True(memory.At(0x4000, 0x1000) == _buffer + 0x2000);
        Assert.True(memory.At(0x5000, 0x1000) == _buffer + 0x3000);
        Assert.True(memory.At(0x5FFF, 1) == _buffer + 0x3FFF);
    }

    [Theory]
    [InlineData(0x0UL, 1u)]        // below the first segment
    [InlineData(0x0FFFUL, 2u)]     // straddles the first segment's start
    [InlineData(0x2FFFUL, 2u)]     // runs into the gap
    [InlineData(0x3000UL, 1u)]     // in the gap
    [InlineData(0x3FFFUL, 2u)]     // from the gap into a segment
    [InlineData(0x4FFFUL, 2u)]     // across two adjacent segments: not one block
    [InlineData(0x4800UL, 0x1000u)]
    [InlineData(0x6000UL, 1u)]     // past the last segment
    [InlineData(ulong.MaxValue, 1u)]
    public void SegmentedMemory_At_returns_null_unless_one_segment_holds_the_whole_range(ulong address, uint length) =>
        Assert.True(Segments().At(address, length) == null);

    [Fact]
    public void SegmentedMemory_rejects_overlapping_segments() =>
        Assert.Throws<ArgumentException>(() => new SegmentedMemory(new[]
        {
            new FlatMemory(_buffer, 0x1000, 0x2000), new FlatMemory(_buffer, 0x2FFF, 0x1000),
        }));

    [Fact]
    public void SegmentedMemory_rejects_overlapping_segments_at_the_top_of_the_physical_space() =>
        Assert.Throws<ArgumentException>(() => new SegmentedMemory(new[]
        {
            new FlatMemory(_buffer, ulong.MaxValue - 0xFFF, 0x1000), new FlatMemory(_buffer + 0x1000, ulong.MaxValue - 0x7FF, 0x100),
        }));

    [Fact]
    public void SegmentedMemory_accepts_adjacent_segments_and_one_ending_exactly_at_the_top()
    {
        var memory = new SegmentedMemory(new[]
        {
            new FlatMemory(_buffer, ulong.MaxValue - 0x1FFF, 0x1000), new FlatMemory(_buffer + 0x1000, ulong.MaxValue - 0xFFF, 0x1000),
        });
        Assert.True(memory.At(ulong.MaxValue, 1) == _buffer + 0x1FFF);
        Assert.True(memory.At(ulong.MaxValue - 0x1000, 2) == null); // across the two
    }

    [Fact]
    public void SegmentedMemory_without_segments_or_default_holds_nothing()
    {
        Assert.True(new SegmentedMemory(Array.Empty<FlatMemory>()).At(0, 1) == null);
        Assert.True(default(SegmentedMemory).At(0, 1) == null);
    }
}
