using System.Runtime.CompilerServices;

namespace Walkers;

/// <summary>
/// A memory read as tables of one size, for the generated descents. Over a <see cref="FlatMemory"/> (the JIT folds the
/// type test per instantiation) the bounds are computed once, so finding a table costs one compare and no null test;
/// over any other memory it is <see cref="IPhysicalMemory.At"/>.
/// </summary>
public readonly unsafe struct TableReader<TMemory>
    where TMemory : struct, IPhysicalMemory
{
    private readonly TMemory _memory;
    private readonly byte* _base;
    private readonly ulong _start;
    private readonly ulong _end;   // tables start at offsets below this: Length - bytes + 1, or 0 when none fits
    private readonly uint _bytes;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TableReader(TMemory memory, uint tableBytes)
    {
        _bytes = tableBytes;
        if (typeof(TMemory) == typeof(FlatMemory))
        {
            var flat = Unsafe.As<TMemory, FlatMemory>(ref memory);
            _base = flat.Base;
            _start = flat.Start;
            _end = flat.Length >= tableBytes ? flat.Length - tableBytes + 1 : 0;
            _memory = default;
        }
        else
        {
            _memory = memory;
        }
    }

    /// <summary>The table at <paramref name="physicalAddress"/>, when all of it lies in the memory.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryAt<TEntry>(ulong physicalAddress, out TEntry* table)
        where TEntry : unmanaged
    {
        if (typeof(TMemory) == typeof(FlatMemory))
        {
            // Below the start the subtraction wraps past the end: one unsigned compare covers both sides.
            ulong offset = physicalAddress - _start;
            table = (TEntry*)(_base + offset);
            return offset < _end;
        }
        table = (TEntry*)_memory.At(physicalAddress, _bytes);
        return table != null;
    }
}
