using System;
using System.Collections.Generic;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Walkers.Layouts;

namespace Walkers.PtDump.Roots;

/// <summary>What a nonzero entry is, in one mode at one level (rules.md §1; stricter than the runtime's <see cref="Walkers.EntryKind"/>).</summary>
internal enum DecodedKind : byte
{
    /// <summary>Cannot be an entry of this mode at this level: the table holding it is garbage.</summary>
    Bad,

    Table,

    Leaf,

    /// <summary>Nonzero but not present, at the last level only (swap, PROT_NONE, migration entries).</summary>
    NotPresent,
}

/// <summary>One decoded entry: a table's address, or a leaf's frame, size in 4 KiB pages and user access.</summary>
internal readonly record struct DecodedEntry(DecodedKind Kind, ulong Address, long Pages, bool User)
{
    public static DecodedEntry Bad => default;

    public static DecodedEntry NotPresent => new(DecodedKind.NotPresent, 0, 0, false);

    public static DecodedEntry Table(ulong address) => new(DecodedKind.Table, address, 0, false);

    public static DecodedEntry Leaf(ulong frame, long pages, bool user) => new(DecodedKind.Leaf, frame, pages, user);
}

/// <summary>The entries of one table in the image, 64- or 32-bit, read unaligned (segments need not be 8-aligned in the file).</summary>
internal readonly unsafe struct TableEntries(byte* data, int count, bool narrow)
{
    public int Count { get; } = count;

    public ulong this[int index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => narrow ? Unsafe.ReadUnaligned<uint>(data + index * 4) : Unsafe.ReadUnaligned<ulong>(data + index * 8);
    }

    public ulong[] ToArray()
    {
        if (!narrow)
            return new ReadOnlySpan<ulong>(data, Count).ToArray();
        var entries = new ulong[Count];
        for (int i = 0; i < entries.Length; i++)
            entries[i] = this[i];
        return entries;
    }
}

/// <summary>
/// One reading of page tables: a paging mode's entry decoder, its root shape and its VA split. Levels count down:
/// the root is level <see cref="Levels"/>, 4 KiB leaves are at level 1.
/// </summary>
internal abstract unsafe class PagingMode(ReadyLayout layout, int levels, int? kernelSplit, bool rootMayHoldLeaves, ulong validBits)
{
    public ReadyLayout Layout { get; } = layout;

    public int Levels { get; } = levels;

    /// <summary>The first kernel-half index of the root; null where the kernel has its own root (AArch64 TTBR1).</summary>
    public int? KernelSplit { get; } = kernelSplit;

    /// <summary>Root entries may be leaves: RISC-V gigapages, x86 2-level 4M pages, AArch64 39-bit 1G blocks.</summary>
    public bool RootMayHoldLeaves { get; } = rootMayHoldLeaves;

    /// <summary>Low bits every valid entry has set (x86 P, RISC-V V: 1; AArch64 0b11): the prefilter of a page.</summary>
    public ulong ValidBits { get; } = validBits;

    public virtual int EntryBytes => 8;

    private int EntriesPerTable => ImagePages.PageBytes / EntryBytes;

    protected virtual int RootEntries => EntriesPerTable;

    /// <summary>The size of the kernel's pointers, for the back-reference search.</summary>
    public virtual int PointerBytes => EntryBytes;

    /// <summary>Decodes a nonzero entry at <paramref name="level"/>.</summary>
    public abstract DecodedEntry Decode(ulong entry, int level);

    /// <summary>The VA bit of index 0 at <paramref name="level"/>.</summary>
    public virtual int IndexShift(int level) => 12 + 9 * (level - 1);

    /// <summary>The kernel VA whose index bits are <paramref name="indexAddress"/> (sign extension, TTBR1 ones, 32-bit wrap).</summary>
    public abstract ulong KernelAddress(ulong indexAddress);

    public TableEntries? Table(ImagePages pages, ulong address) => Entries(pages, address, EntriesPerTable);

    public TableEntries? Root(ImagePages pages, ulong address) => Entries(pages, address, RootEntries);

    private TableEntries? Entries(ImagePages pages, ulong address, int count)
    {
        byte* data = pages.At(address, count * EntryBytes);
        return data is null ? null : new TableEntries(data, count, EntryBytes == 4);
    }

    /// <summary>Adds the roots of this mode that <paramref name="page"/> (nonzero) holds (rules.md §2): the page itself, if root-shaped.</summary>
    public virtual void FindRootShaped(ImagePages pages, ImagePage page, List<ulong> found)
    {
        bool prefilter = EntryBytes == 8
            ? NonzeroEntriesAllValid(MemoryMarshal.Cast<byte, ulong>(page.Bytes), ValidBits)
            : NonzeroEntriesAllValid(MemoryMarshal.Cast<byte, uint>(page.Bytes), (uint)ValidBits);
        if (prefilter && IsRootShaped(new TableEntries(page.Data, RootEntries, EntryBytes == 4), pages))
            found.Add(page.Address);
    }

    /// <summary>Every nonzero entry is a table pointer into the image, or a leaf where the root may hold leaves; at least one entry.</summary>
    protected bool IsRootShaped(TableEntries root, ImagePages pages)
    {
        ulong previous = 0;
        for (int i = 0; i < root.Count; i++)
        {
            ulong entry = root[i];
            if (entry == 0 || entry == previous) // a repeated entry passed already
                continue;
            previous = entry;
            var decoded = Decode(entry, Levels);
            bool fits = decoded.Kind switch
            {
                DecodedKind.Table => pages.HasPage(decoded.Address),
                DecodedKind.Leaf => RootMayHoldLeaves,
                _ => false,
            };
            if (!fits)
                return false;
        }
        return previous != 0;
    }

    /// <summary>No entry is nonzero without <paramref name="validBits"/>: one vector pass, out at the first failing vector.</summary>
    private static bool NonzeroEntriesAllValid<T>(ReadOnlySpan<T> entries, T validBits)
        where T : unmanaged, IBinaryInteger<T>
    {
        int i = 0;
        var valid = new Vector<T>(validBits);
        for (; i + Vector<T>.Count <= entries.Length; i += Vector<T>.Count)
        {
            var v = new Vector<T>(entries[i..]);
            var invalid = ~Vector.Equals(v, Vector<T>.Zero) & ~Vector.Equals(v & valid, valid);
            if (invalid != Vector<T>.Zero)
                return false;
        }
        for (; i < entries.Length; i++)
        {
            if (entries[i] != T.Zero && (entries[i] & validBits) != validBits)
                return false;
        }
        return true;
    }

    /// <summary>Sign-extends a VA of <paramref name="bits"/> bits (x86-64, RISC-V: the kernel half is the top of the space).</summary>
    protected static ulong SignExtend(ulong address, int bits) =>
        (address >> (bits - 1) & 1) != 0 ? address | ~((1UL << bits) - 1) : address;

    protected static ulong Bits(int low, int high) => (ulong.MaxValue >> (63 - high)) & ~((1UL << low) - 1);
}
