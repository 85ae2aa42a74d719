namespace Walkers;

/// <summary>
/// All physical memory mapped at a fixed virtual offset (a kernel's direct map): code that runs where its
/// page tables live. Physical addresses at or above <c>Limit</c> are outside.
/// </summary>
public readonly unsafe struct OffsetMemory(nuint offset, ulong limit) : IPhysicalMemory
{
    public nuint Offset { get; } = offset;
    public ulong Limit { get; } = limit;

    public void* At(ulong physicalAddress, uint length) =>
        physicalAddress <= Limit && Limit - physicalAddress >= length ? (void*)(Offset + (nuint)physicalAddress) : null;
}
