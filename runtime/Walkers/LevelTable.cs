using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Numerics;
using System.Text;

namespace Walkers;

/// <summary>One row of a <see cref="LevelTable"/>: what one level of a layout looks like.</summary>
public readonly record struct LevelInfo(int Level, int Shift, int Entries, ulong Prot, bool LeafAllowed)
{
    /// <summary>Bytes of virtual address space one entry at this level covers.</summary>
    public ulong PageSize => 1UL << Shift;

    /// <summary>log2 of <see cref="Entries"/>.</summary>
    public int IndexBits => BitOperations.Log2((uint)Entries);
}

/// <summary>
/// A page-table layout known at run time: the entry format plus the per-level data. The generator emits
/// one per annotated layout; the reference walker and display code read it.
/// </summary>
public sealed class LevelTable
{
    private readonly ImmutableArray<LevelInfo> _levels; // index 0 = level 1

    public LevelTable(int virtualAddressBits, bool signExtend, int entryBits, ulong presentMask, ulong addressMask,
        int addressShift, ulong tableMask, ulong tableValue, IEnumerable<LevelInfo> levels)
    {
        VirtualAddressBits = virtualAddressBits;
        SignExtend = signExtend;
        EntryBits = entryBits;
        PresentMask = presentMask;
        AddressMask = addressMask;
        AddressShift = addressShift;
        TableMask = tableMask;
        TableValue = tableValue;
        var sorted = ImmutableArray.CreateRange(levels).Sort((a, b) => a.Level.CompareTo(b.Level));
        if (sorted.Length is < 2 or > 5)
            throw new ArgumentException("A layout has 2 to 5 levels.", nameof(levels));
        for (int i = 0; i < sorted.Length; i++)
        {
            if (sorted[i].Level != i + 1)
                throw new ArgumentException("Levels must be numbered 1..N without gaps.", nameof(levels));
            if (!BitOperations.IsPow2(sorted[i].Entries))
                throw new ArgumentException($"Level {i + 1}: entries must be a power of two.", nameof(levels));
            int expectedShift = i == 0 ? sorted[0].Shift : sorted[i - 1].Shift + sorted[i - 1].IndexBits;
            if (sorted[i].Shift != expectedShift)
                throw new ArgumentException($"Level {i + 1}: shift {sorted[i].Shift} does not chain (expected {expectedShift}).", nameof(levels));
        }
        if (sorted[^1].Shift + sorted[^1].IndexBits != virtualAddressBits)
            throw new ArgumentException("Virtual address bits must equal the top level's shift plus its index bits.", nameof(virtualAddressBits));
        if (entryBits is not (32 or 64))
            throw new ArgumentException("Entries are 32 or 64 bits.", nameof(entryBits));
        _levels = sorted;
    }

    public int VirtualAddressBits { get; }
    public bool SignExtend { get; }
    public int EntryBits { get; }
    public int EntryBytes => EntryBits / 8;
    public ulong PresentMask { get; }
    public ulong AddressMask { get; }
    public int AddressShift { get; }
    public ulong TableMask { get; }
    public ulong TableValue { get; }

    /// <summary>Number of levels (N: the root table's level).</summary>
    public int Levels => _levels.Length;

    /// <summary>The row for <paramref name="level"/> (1..N).</summary>
    public LevelInfo this[int level] => _levels[level - 1];

    /// <summary>The rows, level 1 first.</summary>
    public ImmutableArray<LevelInfo> Rows => _levels;

    public int PageShift => _levels[0].Shift;

    /// <summary>Bytes of one table at <paramref name="level"/>.</summary>
    public uint TableBytes(int level) => (uint)(this[level].Entries * EntryBytes);

    public bool IsPresent(ulong entry) => (entry & PresentMask) != 0;

    /// <summary>A present entry shaped like a table pointer (the level is not considered).</summary>
    public bool IsTable(ulong entry) => IsPresent(entry) && (entry & TableMask) == TableValue;

    /// <summary>The walker's leaf rule: level 1, not present, or a leaf-capable level whose entry is not a table.</summary>
    public bool IsLeaf(ulong entry, int level) =>
        level == 1 || !IsPresent(entry) || (this[level].LeafAllowed && !IsTable(entry));

    /// <summary>The physical address an entry holds (next table or frame).</summary>
    public ulong EntryAddress(ulong entry) => (entry & AddressMask) << AddressShift;

    /// <summary>Canonical form of an address inside the virtual address space.</summary>
    public ulong Canonical(ulong va) => VirtualRange.Canonical(va, VirtualAddressBits, SignExtend);

    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append($"{Levels} levels, {VirtualAddressBits}-bit VA{(SignExtend ? " (sign-extended)" : "")}, {EntryBits}-bit entries");
        for (int level = Levels; level >= 1; level--)
        {
            var row = this[level];
            text.Append($"; L{level}: shift {row.Shift}, {row.Entries} entries, prot 0x{row.Prot:x}{(row.LeafAllowed && level > 1 ? ", leaf" : "")}");
        }
        return text.ToString();
    }
}
