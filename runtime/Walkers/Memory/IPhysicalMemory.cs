namespace Walkers;

/// <summary>
/// Where the walker finds tables: physical address -> pointer, or "outside". Implemented by structs so that
/// a walker specialised for one memory inlines the lookup.
/// </summary>
public unsafe interface IPhysicalMemory
{
    /// <summary>
    /// A pointer to the <paramref name="length"/> bytes at <paramref name="physicalAddress"/>, or null when
    /// any of them lies outside this memory. Never a wild pointer.
    /// </summary>
    void* At(ulong physicalAddress, uint length);
}
