using System.Numerics;
using System.Runtime.CompilerServices;
using Walkers.Layouts;
using Walkers.PtDump.Families;

namespace Walkers.PtDump.Listings;

/// <summary>
/// JSON Lines, for every family: a first object describing the address space (architecture, mode, roots and where they
/// came from), then one object per run of pages (same level, same attributes and effective permissions, physically
/// contiguous), and one error object per page table outside the image. Addresses are hex strings (they exceed 2^53);
/// "flags" names the leaf's fields (the ready layout's), "effective" members apply the tables' restrictions.
/// </summary>
internal sealed class JsonFormat(OutputBuffer output, Family family) : ListingFormat(output)
{
    private MappingRun _run;
    private InheritedFlags _runInherited;
    private RootTable? _table;

    public override void Begin(AddressSpace space, ulong from, ulong to)
    {
        var output = Output;
        output.BeginLine();
        output.Text("{\"architecture\":\"");
        output.Text(family.Name);
        output.Text("\",\"mode\":\"");
        output.Text(space.Mode);
        output.Text("\",\"source\":\"");
        output.Text(Escape(space.Source));
        output.Text("\",\"roots\":[");
        for (int i = 0; i < space.Tables.Length; i++)
        {
            var table = space.Tables[i];
            output.BeginLine();
            output.Text(i == 0 ? "{\"half\":\"" : ",{\"half\":\"");
            output.Text(table.Half.Length == 0 ? "all" : table.Half);
            output.Text("\",\"layout\":\"");
            output.Text(table.Layout.Name);
            output.Text("\",\"register\":\"");
            output.Text(table.Register);
            output.Text("\",\"value\":\"0x");
            output.Hex(table.RegisterValue, 1);
            output.Text("\",\"table\":\"0x");
            output.Hex(table.Root, 1);
            output.Text("\"}");
        }
        output.Text("]}\n");
    }

    public override void Table<TLayout, TEntry, TMemory>(TMemory memory, RootTable table, ulong from, ulong to, WalkLimit limit)
    {
        Close();
        _table = table;
        var visitor = new Visitor<TLayout, TEntry, TMemory>(this, memory, table);
        LimitedWalk.Walk<TLayout, TEntry, TMemory, Visitor<TLayout, TEntry, TMemory>>(memory, table.Root, from, to, ref visitor, limit);
    }

    public override void End() => Close();

    private void Add(ulong va, ulong size, int level, ulong value, InheritedFlags inherited, ulong physical)
    {
        ulong flags = inherited.Apply(value) & family.RunMask;
        if (_run.TryExtend(va, size, level, true, flags, physical, physicallyContiguous: true))
            return;
        Close();
        _run = MappingRun.Begin(va, size, level, true, flags, value, physical);
        _runInherited = inherited;
    }

    private void Close()
    {
        if (_run.Pages == 0)
            return;
        var run = _run;
        _run = default;
        var output = Output;
        output.BeginLine();
        output.Text("{\"start\":\"0x");
        output.Hex(run.Start, 1);
        output.Text("\",\"end\":\"0x");
        output.Hex(run.End, 1);
        output.Text("\",\"size\":");
        output.Decimal(run.End - run.Start);
        output.Text(",\"physical\":\"0x");
        output.Hex(run.Physical, 1);
        output.Text("\",\"level\":");
        output.Decimal((ulong)run.Level);
        output.Text(",\"page_size\":");
        output.Decimal((run.End - run.Start) / run.Pages);
        output.Text(",\"pages\":");
        output.Decimal(run.Pages);
        output.Text(",\"flags\":\"");
        output.Text(EntryField.Describe(_table!.Layout.Fields, run.Entry, EntryKind.Leaf, run.Level));
        output.Text("\",\"effective\":{");
        var effective = family.Effective(_runInherited.Apply(run.Entry));
        for (int i = 0; i < effective.Length; i++)
        {
            output.Text(i == 0 ? "\"" : ",\"");
            output.Text(effective[i].Name);
            output.Text(effective[i].Value ? "\":true" : "\":false");
        }
        output.Text("}}\n");
    }

    public void TableOutside(ulong va, int level, ulong tableAddress)
    {
        Close();
        TablesOutside++;
        var output = Output;
        output.BeginLine();
        output.Text("{\"error\":\"page table outside the image\",\"va\":\"0x");
        output.Hex(va, 1);
        output.Text("\",\"level\":");
        output.Decimal((ulong)level);
        output.Text(",\"table\":\"0x");
        output.Hex(tableAddress, 1);
        output.Text("\"}\n");
    }

    private static string Escape(string text) => text.Replace("\\", "\\\\", System.StringComparison.Ordinal).Replace("\"", "\\\"", System.StringComparison.Ordinal);

    [InlineArray(8)]
    private struct InheritedPath
    {
        private InheritedFlags _element;
    }

    private unsafe struct Visitor<TLayout, TEntry, TMemory> : IPageTableVisitor<TEntry>
        where TLayout : struct, IPageTableLayout<TEntry>
        where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
        where TMemory : struct, IPhysicalMemory
    {
        private readonly JsonFormat _format;
        private readonly TMemory _memory;
        private readonly RootTable _table;
        private InheritedPath _inherited; // [level] = what the table entries above a level's entries impose

        public Visitor(JsonFormat format, TMemory memory, RootTable table)
        {
            _format = format;
            _memory = memory;
            _table = table;
            _inherited = default;
        }

        public int Visit(ulong va, int level, bool isLeaf, TEntry* entry)
        {
            ulong value = ulong.CreateTruncating(*entry);
            if (isLeaf)
            {
                if (TLayout.Kind(value, level) == EntryKind.Leaf)
                    _format.Add(va, TLayout.PageSize(level), level, value, _inherited[level], _format.FrameOf(_table, value, level));
            }
            else if (_memory.At(TLayout.EntryAddress(value), TLayout.TableBytes(level - 1)) is null)
                _format.TableOutside(va, level, TLayout.EntryAddress(value));
            else
                _inherited[level - 1] = TLayout.Inherit(_inherited[level], value, level);
            return 0;
        }
    }

    private ulong FrameOf(RootTable table, ulong value, int level) => family.Frame(table, value, level);
}
