namespace Walkers;

/// <summary>Where new tables come from (mini-os <c>alloc_page</c> for page-table frames).</summary>
public interface ITableAllocator
{
    /// <summary>Allocates one zeroed table frame; false when memory is exhausted.</summary>
    bool TryAllocateTable(out ulong physicalAddress);

    /// <summary>Gives a frame from <see cref="TryAllocateTable"/> back.</summary>
    void FreeTable(ulong physicalAddress);

    /// <summary>Frames handed out and not yet freed.</summary>
    int TablesInUse { get; }
}
