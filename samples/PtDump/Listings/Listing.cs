using System;
using System.Numerics;
using System.Threading;
using Walkers.PtDump.Families;

namespace Walkers.PtDump.Listings;

internal enum OutputFormat
{
    QemuTlb,
    QemuMem,
    Linux,
    Json,
}

/// <summary>
/// One listing format of one family: it lists the tables of an address space one after the other (in address order)
/// and writes what is pending at the end, also when a walk stopped early.
/// </summary>
internal abstract class ListingFormat(OutputBuffer output)
{
    protected OutputBuffer Output { get; } = output;

    /// <summary>Page tables not read because they lie outside the image (each reported in its place).</summary>
    public int TablesOutside { get; protected set; }

    public virtual void Begin(AddressSpace space, ulong from, ulong to)
    {
    }

    /// <summary>Lists <paramref name="table"/> over [from, to] (inclusive, canonical), walking under <paramref name="limit"/>.</summary>
    public abstract void Table<TLayout, TEntry, TMemory>(TMemory memory, RootTable table, ulong from, ulong to, WalkLimit limit)
        where TLayout : struct, IPageTableLayout<TEntry>
        where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
        where TMemory : struct, IPhysicalMemory;

    /// <summary>Writes whatever is pending; the listing is complete, or as complete as the walks got.</summary>
    public virtual void End()
    {
    }

    /// <summary>The `# ...` line that stands where a table outside the image would have been listed.</summary>
    protected void ReportTableOutside(ulong va, int level, ulong tableAddress)
    {
        TablesOutside++;
        Output.BeginLine();
        Output.Text("# ");
        Output.Hex(va, 16);
        Output.Text(": level-");
        Output.Decimal((ulong)level);
        Output.Text(" entry points to a page table at 0x");
        Output.Hex(tableAddress, 1);
        Output.Text(", outside the image; not read\n");
    }
}

/// <summary>The result of translating one virtual address.</summary>
internal readonly record struct Translation(TranslationStatus Status, RootTable? Table, ulong PhysicalAddress, ulong PageSize, int Level, ulong Entry,
    InheritedFlags Inherited, ulong TableAddress);

internal enum TranslationStatus
{
    Mapped,
    NotMapped,
    NotCanonical,
    TableOutside,
    Fault,
}

/// <summary>
/// Runs a family's listing format over every table of an address space, each walk under the one rule for tables
/// that repeat (<see cref="WalkLimit"/>), and translates addresses. Each table is walked by its own generated layout
/// (<see cref="LayoutHandle.Accept{TResult}"/>), so every walk is specialised for its layout, memory and visitor.
/// </summary>
internal static class Listing
{
    /// <summary>Writes the listing of [from, to]; returns the number of tables outside memory.</summary>
    /// <exception cref="BadInputException">A walk stopped early: the tables repeat beyond the rule (what was listed is written).</exception>
    /// <exception cref="OperationCanceledException">The listing was cancelled (Ctrl-C, the reader went away).</exception>
    public static int Write<TMemory>(OutputFormat format, TMemory memory, AddressSpace space, ulong from, ulong to, OutputBuffer output,
        Walkers.Images.MemoryImage? image, bool unlimited, CancellationToken cancellation)
        where TMemory : struct, IPhysicalMemory
    {
        var writer = space.Family.CreateFormat(format, space, output, image);
        writer.Begin(space, from, to);
        WalkLimit? stopped = null;
        foreach (var table in space.Tables)
        {
            var limit = unlimited ? WalkLimit.Unbounded(cancellation) : new WalkLimit(cancellation);
            table.Handle.Accept(new TableAction<TMemory>(writer, memory, table, from, to, limit));
            if (limit.Stop != WalkStop.None)
            {
                stopped = limit;
                break;
            }
        }
        writer.End();
        output.Flush();
        if (stopped?.Stop == WalkStop.Cancelled)
            throw new OperationCanceledException(stopped.Message);
        if (stopped is not null)
            throw new BadInputException($"{stopped.Message}; the listing stops there (--no-limit lifts the rule)");
        return writer.TablesOutside;
    }

    private sealed class TableAction<TMemory>(ListingFormat writer, TMemory memory, RootTable table, ulong from, ulong to, WalkLimit limit) : ILayoutAction<bool>
        where TMemory : struct, IPhysicalMemory
    {
        public bool Run<TLayout, TEntry>()
            where TLayout : struct, IPageTableLayout<TEntry>
            where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
        {
            writer.Table<TLayout, TEntry, TMemory>(memory, table, from, to, limit);
            return true;
        }
    }

    /// <summary>The first root table that lies outside memory, or null.</summary>
    public static unsafe RootTable? RootOutside<TMemory>(TMemory memory, AddressSpace space) where TMemory : struct, IPhysicalMemory
    {
        foreach (var table in space.Tables)
        {
            if (memory.At(table.Root, table.Table.TableBytes(table.Table.Levels)) is null)
                return table;
        }
        return null;
    }

    /// <summary>Translates <paramref name="va"/> through the table whose half holds it.</summary>
    public static Translation Translate<TMemory>(TMemory memory, AddressSpace space, ulong va) where TMemory : struct, IPhysicalMemory
    {
        foreach (var table in space.Tables)
        {
            ulong untagged = table.Table.Untag(va);
            if (table.Table.IsCanonical(untagged))
                return table.Handle.Accept(new TranslateAction<TMemory>(memory, space.Family, table, untagged));
        }
        return new Translation(TranslationStatus.NotCanonical, null, 0, 0, 0, 0, default, 0);
    }

    private sealed class TranslateAction<TMemory>(TMemory memory, Family family, RootTable table, ulong va) : ILayoutAction<Translation>
        where TMemory : struct, IPhysicalMemory
    {
        public Translation Run<TLayout, TEntry>()
            where TLayout : struct, IPageTableLayout<TEntry>
            where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
        {
            var visitor = new TranslateVisitor<TLayout, TEntry, TMemory>(memory);
            // A walk of the single address visits exactly the entries on its path, one per level.
            TLayout.Walk(memory, table.Root, va, va, ref visitor);
            if (visitor.OutsideTable is ulong outside)
                return new Translation(TranslationStatus.TableOutside, table, 0, 0, visitor.Level, visitor.Entry, visitor.Inherited, outside);
            var kind = TLayout.Kind(visitor.Entry, visitor.Level == 0 ? 1 : visitor.Level);
            if (visitor.Level == 0 || kind != EntryKind.Leaf)
                return new Translation(kind == EntryKind.Fault ? TranslationStatus.Fault : TranslationStatus.NotMapped, table, 0, 0, visitor.Level, visitor.Entry, visitor.Inherited, 0);
            ulong pageSize = TLayout.PageSize(visitor.Level);
            ulong frame = family.Frame(table, visitor.Entry, visitor.Level);
            return new Translation(TranslationStatus.Mapped, table, frame + (va & (pageSize - 1)), pageSize, visitor.Level, visitor.Entry, visitor.Inherited, 0);
        }
    }
}

/// <summary>Records the entries on one address's path: the last one, what the tables above it impose, or the table that could not be followed.</summary>
internal unsafe struct TranslateVisitor<TLayout, TEntry, TMemory>(TMemory memory) : IPageTableVisitor<TEntry>
    where TLayout : struct, IPageTableLayout<TEntry>
    where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
    where TMemory : struct, IPhysicalMemory
{
    public int Level;
    public ulong Entry;
    public InheritedFlags Inherited;
    public ulong? OutsideTable;

    public int Visit(ulong va, int level, bool isLeaf, TEntry* entry)
    {
        ulong value = ulong.CreateTruncating(*entry);
        Level = level;
        Entry = value;
        if (!isLeaf)
        {
            if (memory.At(TLayout.EntryAddress(value), TLayout.TableBytes(level - 1)) is null)
                OutsideTable = TLayout.EntryAddress(value);
            else
                Inherited = TLayout.Inherit(Inherited, value, level);
        }
        return 0;
    }
}
