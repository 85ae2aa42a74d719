using System;
using System.Collections.Generic;
using System.Numerics;
using System.Runtime.InteropServices;

namespace Walkers;

/// <summary>
/// Simulated physical memory: native, page-aligned, zeroed, of fixed size, with a table allocator that serves
/// every table size a layout has (16 bytes to 1 MiB: a whole frame for tables up to 4 KiB, runs of frames aligned
/// to their size above). Physical addresses start at <see cref="Start"/>. The memory is a <see cref="FencedBuffer"/>:
/// a walker or visitor that reads or writes outside it faults at once. Not thread-safe.
/// </summary>
public sealed unsafe class SimulatedMemory : ITableAllocator, IDisposable
{
    public const int FrameSize = 4096;

    /// <summary>The largest table the allocator serves (256 frames).</summary>
    public const uint MaxTableBytes = 1 << 20;

    private FencedBuffer? _buffer;
    private byte* _base;
    private readonly ulong[] _used;                               // one bit per frame
    private readonly Dictionary<ulong, int> _tables = new();      // first frame of each table handed out -> its frames
    private ulong _lowestFree;                                    // no frame below this is free

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
        _buffer = new FencedBuffer((nuint)Size);
        _base = _buffer.Pointer;
        _used = new ulong[(FrameCount + 63) / 64];
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

    public int TablesInUse => _tables.Count;

    /// <summary>A pointer to a frame (or any bytes) inside this memory; throws when outside.</summary>
    public byte* Pointer(ulong physicalAddress, uint length = 1)
    {
        var pointer = (byte*)View.At(physicalAddress, length);
        if (pointer is null)
            throw new ArgumentOutOfRangeException(nameof(physicalAddress), $"0x{physicalAddress:x} is outside simulated memory.");
        return pointer;
    }

    /// <summary>Allocates one zeroed 4 KiB frame.</summary>
    public bool TryAllocateTable(out ulong physicalAddress) => TryAllocateTable(FrameSize, out physicalAddress);

    public bool TryAllocateTable(uint bytes, out ulong physicalAddress)
    {
        ObjectDisposedException.ThrowIf(_base is null, this);
        if (bytes == 0 || !BitOperations.IsPow2(bytes) || bytes > MaxTableBytes)
            throw new ArgumentException($"A table of {bytes} bytes: simulated memory serves powers of two up to {MaxTableBytes}.", nameof(bytes));
        ulong frames = Math.Max(1, bytes / FrameSize);
        // Tables are aligned to their size in physical addresses; Start is only frame aligned.
        ulong alignFrames = frames;
        ulong first = FindFree(frames, alignFrames);
        if (first == ulong.MaxValue)
        {
            physicalAddress = 0;
            return false;
        }
        for (ulong f = first; f < first + frames; f++)
            _used[f / 64] |= 1UL << (int)(f % 64);
        _tables.Add(first, (int)frames);
        if (first == _lowestFree)
            _lowestFree = first + frames;
        NativeMemory.Clear(_base + first * FrameSize, (nuint)(frames * FrameSize));
        physicalAddress = Start + first * FrameSize;
        return true;
    }

    /// <summary>Allocates a zeroed table of <paramref name="bytes"/> or throws <see cref="OutOfMemoryException"/>.</summary>
    public ulong AllocateTable(uint bytes = FrameSize) =>
        TryAllocateTable(bytes, out ulong physicalAddress)
            ? physicalAddress
            : throw new OutOfMemoryException($"Simulated memory of {Size} bytes has no free {bytes}-byte table.");

    public void FreeTable(ulong physicalAddress)
    {
        ObjectDisposedException.ThrowIf(_base is null, this);
        ulong offset = physicalAddress - Start;
        if (offset >= Size || offset % FrameSize != 0)
            throw new ArgumentException($"0x{physicalAddress:x} is not a frame of this memory.", nameof(physicalAddress));
        ulong first = offset / FrameSize;
        if (!_tables.Remove(first, out int frames))
            throw new InvalidOperationException($"0x{physicalAddress:x} is not a table this memory handed out (double free?).");
        for (ulong f = first; f < first + (ulong)frames; f++)
            _used[f / 64] &= ~(1UL << (int)(f % 64));
        if (first < _lowestFree)
            _lowestFree = first;
    }

    public bool Owns(ulong physicalAddress)
    {
        ulong offset = physicalAddress - Start;
        return offset < Size && offset % FrameSize == 0 && _tables.ContainsKey(offset / FrameSize);
    }

    /// <summary>The lowest run of <paramref name="frames"/> free frames whose physical address is aligned to <paramref name="alignFrames"/> frames; MaxValue when none.</summary>
    private ulong FindFree(ulong frames, ulong alignFrames)
    {
        ulong startFrame = Start / FrameSize;
        ulong f = NextFree(_lowestFree);
        while (f != ulong.MaxValue)
        {
            ulong misalign = (startFrame + f) % alignFrames;
            if (misalign != 0)
                f += alignFrames - misalign;
            if (f + frames > FrameCount)
                return ulong.MaxValue;
            ulong busy = FirstUsed(f, frames);
            if (busy == ulong.MaxValue)
                return f;
            f = NextFree(busy + 1);
        }
        return ulong.MaxValue;
    }

    /// <summary>The first free frame at or after <paramref name="from"/>, or MaxValue.</summary>
    private ulong NextFree(ulong from)
    {
        for (ulong f = from; f < FrameCount;)
        {
            ulong free = ~_used[f / 64] >> (int)(f % 64);
            if (free != 0)
            {
                ulong hit = f + (ulong)BitOperations.TrailingZeroCount(free);
                return hit < FrameCount ? hit : ulong.MaxValue;
            }
            f = (f / 64 + 1) * 64;
        }
        return ulong.MaxValue;
    }

    /// <summary>The first used frame in [first, first + count), or MaxValue.</summary>
    private ulong FirstUsed(ulong first, ulong count)
    {
        ulong end = first + count;
        for (ulong f = first; f < end;)
        {
            ulong word = _used[f / 64] >> (int)(f % 64);
            if (word != 0)
            {
                ulong hit = f + (ulong)BitOperations.TrailingZeroCount(word);
                return hit < end ? hit : ulong.MaxValue;
            }
            f = (f / 64 + 1) * 64;
        }
        return ulong.MaxValue;
    }

    public void Dispose()
    {
        _buffer?.Dispose();
        _buffer = null;
        _base = null;
    }
}
