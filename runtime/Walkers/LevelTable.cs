using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Numerics;
using System.Text;

namespace Walkers;

/// <summary>One row of a <see cref="LevelTable"/>: what one level of a layout looks like.</summary>
/// <param name="Level">1 is the lowest level, N the root table's.</param>
/// <param name="Shift">log2 of the bytes one entry covers.</param>
/// <param name="Entries">Entries per table.</param>
/// <param name="Prot">The level's default flags (mini-os ptdata prot).</param>
/// <param name="LeafAllowed">A present entry may be a page at this level (always at level 1).</param>
/// <param name="LeafValue">See <paramref name="LeafMask"/>.</param>
/// <param name="LeafMask">With <paramref name="LeafValue"/>: the leaf rule of the level (see <see cref="PageLevelAttribute.LeafMask"/>); 0: any entry not shaped like a table.</param>
/// <param name="NoPermissions">Entries at this level carry no permission bits: inherit rules skip them.</param>
public readonly record struct LevelInfo(int Level, int Shift, int Entries, ulong Prot, bool LeafAllowed,
    ulong LeafMask = 0, ulong LeafValue = 0, bool NoPermissions = false)
{
    /// <summary>Bytes of virtual address space one entry at this level covers.</summary>
    public ulong PageSize => 1UL << Shift;

    /// <summary>log2 of <see cref="Entries"/>.</summary>
    public int IndexBits => BitOperations.Log2((uint)Entries);
}

/// <summary>One <see cref="InheritAttribute"/> rule: the table entries' <paramref name="TableBit"/> combines with the leaf's <paramref name="Bit"/>.</summary>
public readonly record struct InheritRule(int Bit, InheritOp Op, int TableBit);

/// <summary>
/// The entry format of a layout, everything <see cref="PageTableAttribute"/> says, as a run-time value. Defaults
/// are those of the attribute.
/// </summary>
public sealed record EntryFormat
{
    public int VirtualAddressBits { get; init; }
    public AddressHalf Half { get; init; }
    /// <summary>Bits 63:56 of addresses given to lookups are a tag (AArch64 TBI, for this table's half).</summary>
    public bool IgnoresTopByte { get; init; }
    public int EntryBits { get; init; } = 64;
    public ulong PresentMask { get; init; }
    public ulong AddressMask { get; init; }
    public int AddressShift { get; init; }
    public ulong HighAddressMask { get; init; }
    public int HighAddressShift { get; init; }
    public ulong TableMask { get; init; }
    public ulong TableValue { get; init; }
    public bool Strict { get; init; }
    public ulong FaultMask { get; init; }
    public ulong FaultValue { get; init; }
    public bool AlignedLeaves { get; init; }
    public ulong RootMask { get; init; }
    public int RootShift { get; init; }
    public ulong RootHighMask { get; init; }
    public int RootHighShift { get; init; }
    public ImmutableArray<InheritRule> InheritRules { get; init; } = ImmutableArray<InheritRule>.Empty;
}

/// <summary>
/// A page-table layout known at run time: the entry format plus the per-level data. The generator emits
/// one per annotated layout (per half); the reference walker and display code read it. Its predicates are the
/// rules docs/layouts.md states, computed at run time, and the generated walkers are tested against them.
/// </summary>
public sealed class LevelTable
{
    private readonly ImmutableArray<LevelInfo> _levels; // index 0 = level 1
    private readonly EntryFormat _format;

    public LevelTable(EntryFormat format, IEnumerable<LevelInfo> levels)
    {
        ArgumentNullException.ThrowIfNull(format);
        _format = format;
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
        if (sorted[^1].Shift + sorted[^1].IndexBits != format.VirtualAddressBits)
            throw new ArgumentException("Virtual address bits must equal the top level's shift plus its index bits.", nameof(format));
        if (format.EntryBits is not (32 or 64))
            throw new ArgumentException("Entries are 32 or 64 bits.", nameof(format));
        _levels = sorted;
    }

    public EntryFormat Format => _format;
    public int VirtualAddressBits => _format.VirtualAddressBits;
    public AddressHalf Half => _format.Half;
    public bool SignExtend => _format.Half == AddressHalf.SignExtended;
    public int EntryBits => _format.EntryBits;
    public int EntryBytes => EntryBits / 8;
    public ulong PresentMask => _format.PresentMask;

    /// <summary>Every address bit of an entry (both fields).</summary>
    public ulong AddressMask => _format.AddressMask | _format.HighAddressMask;
    public ulong TableMask => _format.TableMask;
    public ulong TableValue => _format.TableValue;
    public bool Strict => _format.Strict;

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

    /// <summary>Shaped like a table pointer, by the table bits alone (whatever the level says).</summary>
    public bool IsTableShaped(ulong entry) => (entry & TableMask) == TableValue;

    private bool IsFaultPattern(ulong entry) => _format.FaultMask != 0 && (entry & _format.FaultMask) == _format.FaultValue;

    /// <summary>Whether a present entry matches the leaf rule of <paramref name="level"/>.</summary>
    private bool IsLeafShaped(ulong entry, int level)
    {
        var row = this[level];
        if (row.LeafMask != 0)
            return (entry & row.LeafMask) == row.LeafValue;
        return level == 1 && !Strict || !IsTableShaped(entry);
    }

    /// <summary>What <paramref name="entry"/> is at <paramref name="level"/> (docs/layouts.md, "what an entry is").</summary>
    public EntryKind Kind(ulong entry, int level)
    {
        if (!IsPresent(entry))
            return EntryKind.Absent;
        if (IsFaultPattern(entry))
            return EntryKind.Fault;
        var row = this[level];
        if (level > 1 && (IsTableShaped(entry) || (!Strict && !row.LeafAllowed)))
            return EntryKind.Table;
        if (!row.LeafAllowed || !IsLeafShaped(entry, level))
            return EntryKind.Fault;
        if (_format.AlignedLeaves && level > 1 && (EntryAddress(entry) & (row.PageSize - 1)) != 0)
            return EntryKind.Fault;
        return EntryKind.Leaf;
    }

    /// <summary>The walker's leaf rule: everything that is not a table.</summary>
    public bool IsLeaf(ulong entry, int level) => Kind(entry, level) != EntryKind.Table;

    /// <summary>The physical address an entry holds (next table or frame), from all its address fields.</summary>
    public ulong EntryAddress(ulong entry) =>
        ((entry & _format.AddressMask) << _format.AddressShift) | ((entry & _format.HighAddressMask) << _format.HighAddressShift);

    /// <summary>An entry holding <paramref name="physicalAddress"/> and <paramref name="flags"/> (bits outside the address fields).</summary>
    public ulong MakeEntry(ulong physicalAddress, ulong flags) =>
        ((physicalAddress >> _format.AddressShift) & _format.AddressMask)
        | ((physicalAddress >> _format.HighAddressShift) & _format.HighAddressMask)
        | (flags & ~AddressMask);

    /// <summary>The root table's address from the root register (see <see cref="PageTableAttribute.RootMask"/>).</summary>
    public ulong RootFromRegister(ulong register) =>
        _format.RootMask == 0
            ? register
            : ((register & _format.RootMask) << _format.RootShift) | ((register & _format.RootHighMask) << _format.RootHighShift);

    /// <summary>Table bits that are not present bits: what a huge leaf flips to stop looking like a table.</summary>
    private ulong TableMarker => TableMask & ~PresentMask;

    /// <summary>
    /// The flags of a leaf at <paramref name="level"/> from level-1 page flags (see <see cref="IPageTableLayout{TEntry}.LeafFlags"/>):
    /// the level's leaf rule imposed, or else the table marker flipped when the page flags look like a table pointer.
    /// </summary>
    public ulong LeafFlags(ulong pageFlags, int level)
    {
        var row = this[level];
        if (level == 1 || !row.LeafAllowed)
            return pageFlags;
        if (row.LeafMask != 0)
            return (pageFlags & ~row.LeafMask) | row.LeafValue;
        return IsTableShaped(pageFlags) ? (pageFlags & ~TableMarker) | (~TableValue & TableMarker) : pageFlags;
    }

    /// <summary>The level-1 page flags that a leaf at <paramref name="level"/> with <paramref name="leafFlags"/> stands for.</summary>
    public ulong PageFlags(ulong leafFlags, int level)
    {
        if (level == 1)
            return leafFlags;
        var page = this[1];
        if (page.LeafMask != 0)
            return (leafFlags & ~page.LeafMask) | page.LeafValue;
        // Without a rule of its own a page is shaped like a table where that is allowed (x86: PS clear, PAT 0).
        return Strict ? leafFlags : (leafFlags & ~TableMarker) | (TableValue & TableMarker);
    }

    /// <summary>What a table entry at <paramref name="level"/> adds to the restrictions below it.</summary>
    public InheritedFlags Inherit(InheritedFlags above, ulong tableEntry, int level)
    {
        if (this[level].NoPermissions)
            return above;
        ulong set = above.Set, clear = above.Clear;
        foreach (var rule in _format.InheritRules)
        {
            bool tableBit = (tableEntry >> rule.TableBit & 1) != 0;
            ulong leafBit = 1UL << rule.Bit;
            switch (rule.Op)
            {
                case InheritOp.And when !tableBit:
                case InheritOp.AndNot when tableBit:
                    clear |= leafBit;
                    break;
                case InheritOp.Or when tableBit:
                    set |= leafBit;
                    break;
            }
        }
        return new InheritedFlags(set, clear);
    }

    /// <summary>Canonical form of a linear address of this table.</summary>
    public ulong Canonical(ulong va) => VirtualRange.Canonical(va, VirtualAddressBits, Half);

    /// <summary>True when <paramref name="va"/> is an (untagged) address of this table.</summary>
    public bool IsCanonical(ulong va) => VirtualRange.IsCanonical(va, VirtualAddressBits, Half);

    /// <summary><paramref name="va"/> without its top-byte tag when this half ignores it.</summary>
    public ulong Untag(ulong va) => VirtualRange.Untag(va, Half, _format.IgnoresTopByte);

    public override string ToString()
    {
        var text = new StringBuilder();
        string half = Half switch
        {
            AddressHalf.SignExtended => " (sign-extended)",
            AddressHalf.High => " (upper half)",
            _ => "",
        };
        text.Append($"{Levels} levels, {VirtualAddressBits}-bit VA{half}, {EntryBits}-bit entries");
        for (int level = Levels; level >= 1; level--)
        {
            var row = this[level];
            text.Append($"; L{level}: shift {row.Shift}, {row.Entries} entries, prot 0x{row.Prot:x}{(row.LeafAllowed && level > 1 ? ", leaf" : "")}");
        }
        return text.ToString();
    }
}
