using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Text;

namespace Walkers.Layouts;

/// <summary>Which entries a field belongs to.</summary>
[Flags]
public enum FieldScope
{
    /// <summary>Pages (leaves at any level).</summary>
    Leaf = 1,
    /// <summary>Table pointers.</summary>
    Table = 2,
    Both = Leaf | Table,
}

/// <summary>
/// One named field of an entry, for display: a flag (one bit) or a small field (AArch64 AttrIndx, AP, SH). The ready
/// layouts' families (<see cref="X86Flags"/>, <see cref="RiscVFlags"/>, <see cref="Arm64Flags"/>) list theirs.
/// </summary>
/// <param name="Name">The architecture manual's name (NX, AttrIndx...).</param>
/// <param name="Mask">The field's bits.</param>
/// <param name="Scope">The entries that have it.</param>
/// <param name="Meaning">One line for a legend.</param>
/// <param name="Levels">Levels that have it (bit i for level i); 0: every level.</param>
public sealed record EntryField(string Name, ulong Mask, FieldScope Scope, string Meaning, int Levels = 0)
{
    public int Shift => System.Numerics.BitOperations.TrailingZeroCount(Mask);

    public bool IsFlag => System.Numerics.BitOperations.PopCount(Mask) == 1;

    /// <summary>The field's value in <paramref name="entry"/>, shifted down.</summary>
    public ulong Value(ulong entry) => (entry & Mask) >> Shift;

    public bool AppliesTo(EntryKind kind, int level) =>
        (Levels == 0 || (Levels >> level & 1) != 0)
        && (kind == EntryKind.Table ? (Scope & FieldScope.Table) != 0 : (Scope & FieldScope.Leaf) != 0);

    /// <summary>The fields of <paramref name="entry"/> that are set, as <c>NAME</c> for flags and <c>NAME=v</c> for wider fields.</summary>
    public static string Describe(IEnumerable<EntryField> fields, ulong entry, EntryKind kind, int level)
    {
        var text = new StringBuilder();
        foreach (var field in fields)
        {
            if (!field.AppliesTo(kind, level))
                continue;
            ulong value = field.Value(entry);
            if (field.IsFlag && value == 0)
                continue;
            if (text.Length > 0)
                text.Append(' ');
            text.Append(field.Name);
            if (!field.IsFlag)
                text.Append('=').Append(value);
        }
        return text.ToString();
    }
}

/// <summary>x86 entry bits (Intel SDM vol. 3, 4.x).</summary>
public static class X86Flags
{
    public const ulong Present = 1UL << 0, Writable = 1UL << 1, User = 1UL << 2, WriteThrough = 1UL << 3, CacheDisable = 1UL << 4,
        Accessed = 1UL << 5, Dirty = 1UL << 6, PageSize = 1UL << 7, Global = 1UL << 8, LargePat = 1UL << 12, NoExecute = 1UL << 63;

    /// <summary>Bit 7 is PAT in a level-1 entry, PS above.</summary>
    public const ulong PagePat = PageSize;

    public static ImmutableArray<EntryField> Fields { get; } =
    [
        new("P", Present, FieldScope.Both, "present"),
        new("RW", Writable, FieldScope.Both, "writable (below a table: only if every level says so)"),
        new("US", User, FieldScope.Both, "user-accessible (only if every level says so)"),
        new("PWT", WriteThrough, FieldScope.Both, "write-through caching"),
        new("PCD", CacheDisable, FieldScope.Both, "caching disabled"),
        new("A", Accessed, FieldScope.Both, "accessed"),
        new("D", Dirty, FieldScope.Leaf, "dirty"),
        new("PS", PageSize, FieldScope.Leaf, "a huge page (2M, 4M, 1G)", Levels: ~0b11),
        new("PAT", PagePat, FieldScope.Leaf, "page attribute table index bit (4K page)", Levels: 0b10),
        new("G", Global, FieldScope.Leaf, "global (not flushed on CR3 writes)"),
        new("PAT", LargePat, FieldScope.Leaf, "page attribute table index bit (huge page)", Levels: ~0b11),
        new("NX", NoExecute, FieldScope.Both, "no execute (below a table: if any level says so)"),
    ];

    /// <summary>
    /// The frame of a legacy 4 MiB page: bits 31:22, plus PSE-36's bits 20:13 as physical bits 39:32 (the layout's address
    /// field cannot say this: those bits belong to the table address in a table entry).
    /// </summary>
    public static ulong LegacyLargeFrame(ulong entry) => (entry & 0xFFC0_0000) | (((entry >> 13) & 0xFF) << 32);
}

/// <summary>RISC-V PTE bits (privileged spec, "Sv32" and on).</summary>
public static class RiscVFlags
{
    public const ulong Valid = 1UL << 0, Read = 1UL << 1, Write = 1UL << 2, Execute = 1UL << 3, User = 1UL << 4,
        Global = 1UL << 5, Accessed = 1UL << 6, Dirty = 1UL << 7, SoftwareMask = 0x300;

    public static ImmutableArray<EntryField> Fields { get; } =
    [
        new("V", Valid, FieldScope.Both, "valid"),
        new("R", Read, FieldScope.Leaf, "readable"),
        new("W", Write, FieldScope.Leaf, "writable"),
        new("X", Execute, FieldScope.Leaf, "executable"),
        new("U", User, FieldScope.Leaf, "user mode may access"),
        new("G", Global, FieldScope.Both, "global mapping"),
        new("A", Accessed, FieldScope.Leaf, "accessed"),
        new("D", Dirty, FieldScope.Leaf, "dirty"),
        new("RSW", SoftwareMask, FieldScope.Both, "reserved for software"),
    ];

    /// <summary>satp.MODE values (RV64: bits 63:60; RV32: bit 31) and the ready layout each selects.</summary>
    public const int ModeBare = 0, ModeSv39 = 8, ModeSv48 = 9, ModeSv57 = 10;
}

/// <summary>AArch64 stage 1 descriptor fields (Arm ARM D8.3).</summary>
public static class Arm64Flags
{
    public const ulong Valid = 1UL << 0, TableOrPage = 1UL << 1, AttrIndx = 0x7UL << 2, NonSecure = 1UL << 5,
        ApEl0 = 1UL << 6, ApReadOnly = 1UL << 7, Shareability = 0x3UL << 8, AccessFlag = 1UL << 10, NotGlobal = 1UL << 11,
        Dbm = 1UL << 51, Contiguous = 1UL << 52, Pxn = 1UL << 53, Uxn = 1UL << 54, Software = 0xFUL << 55,
        PxnTable = 1UL << 59, UxnTable = 1UL << 60, ApTable = 0x3UL << 61, NsTable = 1UL << 63;

    public static ImmutableArray<EntryField> Fields { get; } =
    [
        new("AttrIndx", AttrIndx, FieldScope.Leaf, "memory attributes: index into MAIR_EL1"),
        new("NS", NonSecure, FieldScope.Leaf, "non-secure"),
        new("AP", ApEl0 | ApReadOnly, FieldScope.Leaf, "access permissions: AP[1] EL0 access, AP[2] read-only"),
        new("SH", Shareability, FieldScope.Leaf, "shareability: 0 non, 2 outer, 3 inner"),
        new("AF", AccessFlag, FieldScope.Leaf, "access flag"),
        new("nG", NotGlobal, FieldScope.Leaf, "not global (ASID-tagged)"),
        new("DBM", Dbm, FieldScope.Leaf, "dirty bit modifier (hardware-managed dirty state)"),
        new("Cont", Contiguous, FieldScope.Leaf, "contiguous hint: part of a run of aligned adjacent entries"),
        new("PXN", Pxn, FieldScope.Leaf, "privileged execute never"),
        new("UXN", Uxn, FieldScope.Leaf, "unprivileged execute never"),
        new("SW", Software, FieldScope.Leaf, "reserved for software"),
        new("PXNTable", PxnTable, FieldScope.Table, "privileged execute never below"),
        new("UXNTable", UxnTable, FieldScope.Table, "unprivileged execute never below"),
        new("APTable", ApTable, FieldScope.Table, "access limits below: 1 no EL0, 2 read-only, 3 both"),
        new("NSTable", NsTable, FieldScope.Table, "non-secure below"),
    ];
}
