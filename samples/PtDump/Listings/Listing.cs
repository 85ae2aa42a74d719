using System;
using System.Numerics;
using Walkers.Layouts;

namespace Walkers.PtDump.Listings;

internal enum OutputFormat
{
    QemuTlb,
    QemuMem,
    Linux,
    Json,
}

/// <summary>The result of translating one virtual address.</summary>
internal readonly record struct Translation(TranslationStatus Status, ulong VirtualAddress, ulong PhysicalAddress, ulong PageSize, int Level, ulong Entry, ulong TableAddress);

internal enum TranslationStatus
{
    Mapped,
    NotMapped,
    NotCanonical,
    TableOutside,
}

/// <summary>
/// Picks the generated walker for the paging mode and runs a listing visitor over it. Every path is a
/// generic instantiation over a struct layout, memory and visitor, so the JIT emits one specialised walk each.
/// </summary>
internal static class Listing
{
    /// <summary>
    /// Entries one listing may visit: 2^26 is 128K fully scanned tables, more than 256 GiB mapped in 4K pages.
    /// Cyclic or corrupt tables (every entry present, pointing back up) would otherwise make a walk of up to
    /// 512^4 entries: a hang, not a listing.
    /// </summary>
    public const long EntryBudget = 1L << 26;

    /// <summary>What a visitor returns to stop the walk when the budget is spent.</summary>
    public const int BudgetExhausted = 0x0b0d9e7;

    /// <summary>Writes the listing of [from, to] (inclusive, canonical); returns the number of tables outside memory.</summary>
    public static int Write<TMemory>(OutputFormat format, TMemory memory, AddressSpace space, ulong from, ulong to, OutputBuffer output)
        where TMemory : struct, IPhysicalMemory
    {
        int outside = space.Mode switch
        {
            PagingMode.Legacy when space.Pse => Write<uint, X86Legacy.Layout, TMemory>(format, memory, space, from, to, output),
            PagingMode.Legacy => Write<uint, X86LegacyNoPse.Layout, TMemory>(format, memory, space, from, to, output),
            PagingMode.Pae => Write<ulong, X86Pae.Layout, TMemory>(format, memory, space, from, to, output),
            PagingMode.FourLevel => Write<ulong, X86_64.Layout, TMemory>(format, memory, space, from, to, output),
            PagingMode.FiveLevel => Write<ulong, X86_64La57.Layout, TMemory>(format, memory, space, from, to, output),
            _ => throw new ArgumentOutOfRangeException(nameof(space)),
        };
        output.Flush();
        return outside;
    }

    private static int Write<TEntry, TLayout, TMemory>(OutputFormat format, TMemory memory, AddressSpace space, ulong from, ulong to, OutputBuffer output)
        where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
        where TLayout : IPageTableLayout<TEntry>
        where TMemory : struct, IPhysicalMemory
    {
        ulong root = space.Root;
        switch (format)
        {
            case OutputFormat.QemuTlb:
            {
                var visitor = new QemuTlbVisitor<TEntry, TLayout, TMemory>(output, memory, space.Mode);
                CheckBudget(TLayout.Walk(memory, root, from, to, ref visitor), output);
                return visitor.TablesOutside;
            }
            case OutputFormat.QemuMem:
            {
                var visitor = new QemuMemVisitor<TEntry, TLayout, TMemory>(output, memory, space, from);
                CheckBudget(TLayout.Walk(memory, root, from, to, ref visitor), output);
                visitor.Finish((to & space.LinearMask) + 1);
                return visitor.TablesOutside;
            }
            default:
            {
                IRunWriter writer = format == OutputFormat.Linux
                    ? new LinuxWriter(output, space, TLayout.Levels)
                    : new JsonWriter(output);
                var visitor = new RunVisitor<TEntry, TLayout, TMemory>(writer, memory, space.Mode,
                    includeAbsent: format == OutputFormat.Linux, physicallyContiguous: format == OutputFormat.Json);
                CheckBudget(TLayout.Walk(memory, root, from, to, ref visitor), output);
                visitor.Finish();
                return visitor.TablesOutside;
            }
        }
    }

    private static void CheckBudget(int walkResult, OutputBuffer output)
    {
        if (walkResult == BudgetExhausted)
        {
            output.Flush();
            throw new BadInputException($"the page tables hold more than {EntryBudget} entries (cyclic or corrupt tables?); the listing stops there");
        }
    }

    /// <summary>True when the root table lies inside memory.</summary>
    public static bool RootInside<TMemory>(TMemory memory, AddressSpace space) where TMemory : struct, IPhysicalMemory
    {
        uint bytes = space.Mode switch
        {
            PagingMode.Legacy => 4096,
            PagingMode.Pae => 32,
            _ => 4096,
        };
        unsafe
        {
            return memory.At(space.Root, bytes) is not null;
        }
    }

    public static Translation Translate<TMemory>(TMemory memory, AddressSpace space, ulong va) where TMemory : struct, IPhysicalMemory =>
        space.Mode switch
        {
            PagingMode.Legacy when space.Pse => Translate<uint, X86Legacy.Layout, TMemory>(memory, space, va),
            PagingMode.Legacy => Translate<uint, X86LegacyNoPse.Layout, TMemory>(memory, space, va),
            PagingMode.Pae => Translate<ulong, X86Pae.Layout, TMemory>(memory, space, va),
            PagingMode.FourLevel => Translate<ulong, X86_64.Layout, TMemory>(memory, space, va),
            PagingMode.FiveLevel => Translate<ulong, X86_64La57.Layout, TMemory>(memory, space, va),
            _ => throw new ArgumentOutOfRangeException(nameof(space)),
        };

    private static Translation Translate<TEntry, TLayout, TMemory>(TMemory memory, AddressSpace space, ulong va)
        where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
        where TLayout : IPageTableLayout<TEntry>
        where TMemory : struct, IPhysicalMemory
    {
        if (!TLayout.IsCanonical(va))
            return new Translation(TranslationStatus.NotCanonical, va, 0, 0, 0, 0, 0);
        var visitor = new TranslateVisitor<TEntry, TLayout, TMemory>(memory);
        // A walk of the single address visits exactly the entries on its path, one per level.
        TLayout.Walk(memory, space.Root, va, va, ref visitor);
        if (visitor.OutsideTable is ulong table)
            return new Translation(TranslationStatus.TableOutside, va, 0, 0, visitor.Level, visitor.Entry, table);
        if (!visitor.Mapped)
            return new Translation(TranslationStatus.NotMapped, va, 0, 0, visitor.Level, visitor.Entry, 0);
        ulong pageSize = TLayout.PageSize(visitor.Level);
        ulong frame = FrameAddress(space.Mode, visitor.Level, visitor.Entry);
        return new Translation(TranslationStatus.Mapped, va, frame + (va & (pageSize - 1)), pageSize, visitor.Level, visitor.Entry, 0);
    }

    /// <summary>
    /// The architectural frame address of a leaf: address bits up to 51, the page's low bits (and a huge page's
    /// PAT bit 12) cleared; a legacy 4M page adds PSE-36's bits 13-20 as physical bits 32-39.
    /// </summary>
    public static ulong FrameAddress(PagingMode mode, int level, ulong entry)
    {
        if (mode == PagingMode.Legacy)
            return level == 1 ? entry & 0xffff_f000 : (entry & 0xffc0_0000) | (((entry >> 13) & 0xff) << 32);
        int shift = 12 + 9 * (level - 1);
        return entry & 0x000f_ffff_ffff_f000 & ~((1UL << shift) - 1);
    }

    /// <summary>The `# ...` line that stands where a table outside the image would have been listed.</summary>
    public static void ReportTableOutside(OutputBuffer output, ulong va, int level, ulong tableAddress)
    {
        output.BeginLine();
        output.Text("# ");
        output.Hex(va, 16);
        output.Text(": level-");
        output.Decimal((ulong)level);
        output.Text(" entry points to a page table at 0x");
        output.Hex(tableAddress, 1);
        output.Text(", outside the image; not read\n");
    }
}

/// <summary>Records the entries on one address's path: the leaf, or the table that could not be followed.</summary>
internal unsafe struct TranslateVisitor<TEntry, TLayout, TMemory>(TMemory memory) : IPageTableVisitor<TEntry>
    where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
    where TLayout : IPageTableLayout<TEntry>
    where TMemory : struct, IPhysicalMemory
{
    public int Level;
    public ulong Entry;
    public bool Mapped;
    public ulong? OutsideTable;

    public int Visit(ulong va, int level, bool isLeaf, TEntry* entry)
    {
        ulong value = ulong.CreateTruncating(*entry);
        Level = level;
        Entry = value;
        if (isLeaf)
            Mapped = (value & X86Entry.Present) != 0;
        else if (memory.At(TLayout.EntryAddress(value), TLayout.TableBytes(level - 1)) is null)
            OutsideTable = TLayout.EntryAddress(value);
        return 0;
    }
}
