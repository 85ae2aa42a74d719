using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

namespace Walkers;

/// <summary>
/// Simulated physical memory: native, page-aligned, zeroed, of fixed size, with a frame allocator for
/// tables. Physical addresses start at <see cref="Start"/>. Not thread-safe.
/// </summary>
public sealed unsafe class SimulatedMemory : ITableAllocator, IDisposable
{
    public const int FrameSize = 4096;

    private byte* _base;
    private readonly ulong[] _allocated; // one bit per frame
    private readonly Stack<ulong> _freed = new();
    private ulong _nextUntouched;

    /// <param name="size">Bytes of physical memory; rounded up to whole frames.</param>
    /// <param name="start">Physical address of the first byte (frame aligned).</param>
    public SimulatedMemory(ulong size, ulong start = 0)
    {
        if (size == 0 || size > 1UL << 40)
            throw new ArgumentOutOfRangeException(nameof(size), "Simulated memory is 1 byte to 1 TiB.");
        if (start % FrameSize != 0)
            throw new ArgumentException("The start must be frame aligned.", nameof(start));
        Size = (size + FrameSize - 1) & ~(ulong)(FrameSize - 1);
        Start = start;
        _base = (byte*)NativeMemory.AlignedAlloc((nuint)Size, FrameSize);
        NativeMemory.Clear(_base, (nuint)Size);
        _allocated = new ulong[(FrameCount + 63) / 64];
    }

    public ulong Start { get; }
    public ulong Size { get; }
    public ulong FrameCount => Size / FrameSize;

    /// <summary>The memory as the walker sees it. Invalid after <see cref="Dispose"/>.</summary>
    public FlatMemory View
    {
        get
        {
            ObjectDisposedException.ThrowIf(_base is null, this);
            return new FlatMemory(_base, Start, Size);
        }
    }

    public int TablesInUse { get; private set; }

    /// <summary>A pointer to a frame (or any bytes) inside this memory; throws when outside.</summary>
    public byte* Pointer(ulong physicalAddress, uint length = 1)
    {
        var pointer = (byte*)View.At(physicalAddress, length);
        if (pointer is null)
            throw new ArgumentOutOfRangeException(nameof(physicalAddress), $"0x{physicalAddress:x} is outside simulated memory.");
        return pointer;
    }

    public bool TryAllocateTable(out ulong physicalAddress)
    {
        ObjectDisposedException.ThrowIf(_base is null, this);
        ulong frame;
        if (_freed.Count > 0)
            frame = _freed.Pop();
        else if (_nextUntouched < FrameCount)
            frame = _nextUntouched++;
        else
        {
            physicalAddress = 0;
            return false;
        }
        _allocated[frame / 64] |= 1UL << (int)(frame % 64);
        TablesInUse++;
        NativeMemory.Clear(_base + frame * FrameSize, FrameSize);
        physicalAddress = Start + frame * FrameSize;
        return true;
    }

    /// <summary>Allocates a zeroed frame or throws <see cref="OutOfMemoryException"/>.</summary>
    public ulong AllocateTable() =>
        TryAllocateTable(out ulong physicalAddress)
            ? physicalAddress
            : throw new OutOfMemoryException($"Simulated memory of {Size} bytes has no free frame.");

    public void FreeTable(ulong physicalAddress)
    {
        ObjectDisposedException.ThrowIf(_base is null, this);
        ulong offset = physicalAddress - Start;
        if (offset >= Size || offset % FrameSize != 0)
            throw new ArgumentException($"0x{physicalAddress:x} is not a frame of this memory.", nameof(physicalAddress));
        ulong frame = offset / FrameSize;
        ulong bit = 1UL << (int)(frame % 64);
        if ((_allocated[frame / 64] & bit) == 0)
            throw new InvalidOperationException($"Frame 0x{physicalAddress:x} is not allocated (double free?).");
        _allocated[frame / 64] &= ~bit;
        TablesInUse--;
        _freed.Push(frame);
    }

    public void Dispose()
    {
        if (_base is not null)
        {
            NativeMemory.AlignedFree(_base);
            _base = null;
        }
    }
}
