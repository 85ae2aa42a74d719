using System;
using System.Collections.Generic;
using System.Linq;

namespace Walkers;

/// <summary>
/// Several blocks of physical memory (an ELF core's PT_LOAD segments, RAM plus ROM...). A read that is not
/// wholly inside one block is outside.
/// </summary>
public readonly unsafe struct SegmentedMemory : IPhysicalMemory
{
    private readonly FlatMemory[] _segments; // sorted by Start, not overlapping

    public SegmentedMemory(IEnumerable<FlatMemory> segments)
    {
        _segments = segments.OrderBy(s => s.Start).ToArray();
        for (int i = 1; i < _segments.Length; i++)
        {
            // Start - previous Start cannot wrap (sorted), unlike End, which is 0 for a block ending at 2^64.
            if (_segments[i].Start - _segments[i - 1].Start < _segments[i - 1].Length)
                throw new ArgumentException($"Physical ranges overlap at 0x{_segments[i].Start:x}.", nameof(segments));
        }
    }

    public ReadOnlySpan<FlatMemory> Segments => _segments;

    public void* At(ulong physicalAddress, uint length)
    {
        var segments = _segments;
        if (segments is null)
            return null;
        // The last segment starting at or below the address is the only one that can hold it.
        int low = 0, high = segments.Length - 1, found = -1;
        while (low <= high)
        {
            int middle = (low + high) >>> 1;
            if (segments[middle].Start <= physicalAddress) { found = middle; low = middle + 1; }
            else high = middle - 1;
        }
        return found < 0 ? null : segments[found].At(physicalAddress, length);
    }
}
