namespace Walkers;

/// <summary>Where new tables come from (mini-os <c>alloc_page</c> for page-table frames).</summary>
public interface ITableAllocator
{
    /// <summary>
    /// Allocates one zeroed table of <paramref name="bytes"/> (a power of two: a level's table size, 16 bytes to
    /// 64 KiB and more), aligned to its size; false when memory is exhausted. An allocator that cannot serve the
    /// size throws <see cref="System.ArgumentException"/> rather than hand out a smaller block.
    /// </summary>
    bool TryAllocateTable(uint bytes, out ulong physicalAddress);

    /// <summary>Gives a table from <see cref="TryAllocateTable"/> back.</summary>
    void FreeTable(ulong physicalAddress);

    /// <summary>True when <paramref name="physicalAddress"/> is a table this allocator handed out and that is not yet freed.</summary>
    bool Owns(ulong physicalAddress);

    /// <summary>Tables handed out and not yet freed.</summary>
    int TablesInUse { get; }
}
