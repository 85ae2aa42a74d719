using System.Numerics;
using System.Runtime.CompilerServices;
using Walkers.Layouts;

namespace Walkers.PtDump.Listings;

/// <summary>
/// QEMU 7.2 <c>info mem</c> on RISC-V (target/riscv/monitor.c, qemu-system-riscv64 widths; riscv32's for RV32 dumps):
/// runs of leaves (V and any of R/W/X: reserved encodings and misaligned superpages included, as QEMU prints them) with
/// the same low 8 PTE bits, contiguous physically, and contiguous virtually within one table: the first leaf of every
/// table starts a run, so runs never cross tables. The PA is the PTE's bits from 10 up, shifted, unmasked (QEMU's quirk).
/// A pointer at the last level is ignored, as QEMU ignores it.
/// </summary>
internal sealed class RiscVQemuMemFormat(OutputBuffer output) : ListingFormat(output)
{
    private ulong _vbase = ulong.MaxValue, _pbase = ulong.MaxValue, _lastPaddr = ulong.MaxValue, _lastSize, _lastAttr;
    private int _vaBits;
    private bool _narrow; // qemu-system-riscv32: 8-digit addresses, no sign extension

    /// <summary>QEMU's attribute letters, "rwxugad" (V is not printed).</summary>
    public static string Letters(ulong pte) => string.Create(7, pte, static (span, e) =>
    {
        const string letters = "rwxugad";
        for (int i = 0; i < 7; i++)
            span[i] = (e >> (i + 1) & 1) != 0 ? letters[i] : '-';
    });

    public override void Begin(AddressSpace space, ulong from, ulong to)
    {
        var table = space.Tables[0].Table;
        _vaBits = table.VirtualAddressBits;
        _narrow = table.EntryBits == 32;
        Output.Text(_narrow
            ? "vaddr    paddr            size     attr\n-------- ---------------- -------- -------\n"
            : "vaddr            paddr            size             attr\n---------------- ---------------- ---------------- -------\n");
    }

    public override void Table<TLayout, TEntry, TMemory>(TMemory memory, RootTable table, ulong from, ulong to, WalkLimit limit)
    {
        var visitor = new Visitor<TLayout, TEntry, TMemory>(this, memory);
        LimitedWalk.Walk<TLayout, TEntry, TMemory, Visitor<TLayout, TEntry, TMemory>>(memory, table.Root, from, to, ref visitor, limit);
    }

    /// <summary>QEMU's final <c>print_pte</c> of the pending run.</summary>
    public override void End() => Print(_vbase, _pbase, _lastPaddr + _lastSize - _pbase, _lastAttr);

    private void Leaf(ulong start, ulong paddr, ulong size, ulong attr, ref ulong lastStart)
    {
        if (_lastAttr != attr || _lastPaddr + _lastSize != paddr || lastStart + _lastSize != start)
        {
            Print(_vbase, _pbase, _lastPaddr + _lastSize - _pbase, _lastAttr);
            _vbase = start;
            _pbase = paddr;
            _lastAttr = attr;
        }
        lastStart = start;
        _lastPaddr = paddr;
        _lastSize = size;
    }

    private void Print(ulong vaddr, ulong paddr, ulong size, ulong attr)
    {
        if (vaddr >= 1UL << _vaBits || size == 0)
            return; // also the dummy first run (vbase -1)
        var output = Output;
        output.BeginLine();
        if (_narrow)
        {
            output.Hex(vaddr & 0xffff_ffff, 8);
            output.Char(' ');
            output.Hex(paddr, 16);
            output.Char(' ');
            output.Hex(size & 0xffff_ffff, 8);
        }
        else
        {
            // target_ulong addresses go through addr_canonical (sign extension from the top VA bit); the size does not.
            output.Hex((vaddr >> (_vaBits - 1) & 1) != 0 ? vaddr | ~((1UL << _vaBits) - 1) : vaddr, 16);
            output.Char(' ');
            output.Hex(paddr, 16);
            output.Char(' ');
            output.Hex(size, 16);
        }
        output.Char(' ');
        output.Text(Letters(attr));
        output.Char('\n');
    }

    [InlineArray(6)]
    private struct PerLevel
    {
        private ulong _element;
    }

    private unsafe struct Visitor<TLayout, TEntry, TMemory> : IPageTableVisitor<TEntry>
        where TLayout : struct, IPageTableLayout<TEntry>
        where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
        where TMemory : struct, IPhysicalMemory
    {
        private readonly RiscVQemuMemFormat _format;
        private readonly TMemory _memory;
        private PerLevel _table;     // the table the last leaf of a level was in (QEMU's walk_pte call)
        private PerLevel _lastStart; // that call's last_start

        public Visitor(RiscVQemuMemFormat format, TMemory memory)
        {
            _format = format;
            _memory = memory;
            _table = default;
            _lastStart = default;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Visit(ulong va, int level, bool isLeaf, TEntry* entry)
        {
            ulong pte = ulong.CreateTruncating(*entry);
            if ((pte & RiscVFlags.Valid) == 0)
                return 0;
            if ((pte & (RiscVFlags.Read | RiscVFlags.Write | RiscVFlags.Execute)) == 0)
            {
                if (!isLeaf && _memory.At(TLayout.EntryAddress(pte), TLayout.TableBytes(level - 1)) is null)
                    _format.ReportTableOutside(va, level, TLayout.EntryAddress(pte));
                return 0; // a pointer (at the last level: ignored)
            }
            ulong linear = va & ((1UL << TLayout.VirtualAddressBits) - 1);
            ulong table = (ulong)entry - ((linear >> TLayout.Shift(level)) & (ulong)(TLayout.Entries(level) - 1)) * (ulong)sizeof(TEntry);
            if (_table[level] != table)
            {
                _table[level] = table;
                _lastStart[level] = ulong.MaxValue; // a new walk_pte call: last_start is -1
            }
            _format.Leaf(linear, (pte >> 10) << 12, TLayout.PageSize(level), pte & 0xff, ref _lastStart[level]);
            return 0;
        }
    }
}
