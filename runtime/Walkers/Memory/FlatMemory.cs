using System.Runtime.CompilerServices;

namespace Walkers;

/// <summary>One contiguous block of physical memory, <c>[Start, Start + Length)</c>, seen at <c>Base</c>.</summary>
public readonly unsafe struct FlatMemory(byte* @base, ulong start, ulong length) : IPhysicalMemory
{
    public byte* Base { get; } = @base;
    public ulong Start { get; } = start;
    public ulong Length { get; } = length;

    /// <summary>One past the last physical address.</summary>
    public ulong End => Start + Length;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void* At(ulong physicalAddress, uint length)
    {
        // One unsigned compare covers "below Start" (the subtraction wraps) and "past the end".
        ulong offset = physicalAddress - Start;
        return offset <= Length && Length - offset >= length ? Base + offset : null;
    }

    public bool Contains(ulong physicalAddress, ulong length) =>
        physicalAddress - Start <= Length && Length - (physicalAddress - Start) >= length;
}
