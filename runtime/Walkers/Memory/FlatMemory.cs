using System.Runtime.CompilerServices;

namespace Walkers;

/// <summary>
/// One contiguous block of physical memory, <c>[Start, Start + Length)</c>, seen at <c>Base</c>. A zero-length
/// request at <c>End</c> gets the one-past-the-end pointer, which must not be read.
/// </summary>
public readonly unsafe struct FlatMemory : IPhysicalMemory
{
    public FlatMemory(byte* @base, ulong start, ulong length)
    {
        // A block that wrapped past 2^64 would make low addresses look inside it.
        if (length != 0 && start + (length - 1) < start)
            throw new System.ArgumentOutOfRangeException(nameof(length), $"[0x{start:x}, +0x{length:x}) runs past the top of the physical address space.");
        Base = @base;
        Start = start;
        Length = length;
    }

    public byte* Base { get; }
    public ulong Start { get; }
    public ulong Length { get; }

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
