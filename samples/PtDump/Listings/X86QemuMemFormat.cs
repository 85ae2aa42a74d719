using System.Numerics;
using System.Runtime.CompilerServices;
using Walkers.Layouts;

namespace Walkers.PtDump.Listings;

/// <summary>
/// QEMU 7.2 <c>info mem</c> on x86: ranges of equal effective protection. Every entry visited feeds QEMU's
/// <c>mem_print</c> with its linear base address and a prot: 0 when not present, for a present leaf its U|W|P ANDed
/// with those of the table entries above it (the layout's levels without permissions, PAE's PDPTE, do not count).
/// Addresses, and the size, are printed through QEMU's <c>addr_canonical</c>; the final flush is at the end of the range.
/// </summary>
/// <remarks>
/// Under 5-level paging this prints what QEMU's <c>mem_info_la57</c> intends: its present tests at the PDPTE and PDE
/// levels are inverted, so QEMU 7.2 itself prints nothing for a real guest.
/// </remarks>
internal sealed class X86QemuMemFormat(OutputBuffer output) : ListingFormat(output)
{
    private const ulong ProtMask = X86Flags.User | X86Flags.Writable | X86Flags.Present;

    private ulong _start = ulong.MaxValue; // QEMU's *pstart; MaxValue is its -1
    private ulong _lastProt;
    private ulong _end;
    private int _canonicalBit;

    public override void Begin(AddressSpace space, ulong from, ulong to)
    {
        var table = space.Tables[0];
        ulong linearMask = (1UL << table.Table.VirtualAddressBits) - 1;
        _canonicalBit = table.Table.VirtualAddressBits == 57 ? 56 : 47;
        _end = (to & linearMask) + 1;
    }

    public override void Table<TLayout, TEntry, TMemory>(TMemory memory, RootTable table, ulong from, ulong to, WalkLimit limit)
    {
        var visitor = new Visitor<TLayout, TEntry, TMemory>(this, memory, table.Table, from);
        LimitedWalk.Walk<TLayout, TEntry, TMemory, Visitor<TLayout, TEntry, TMemory>>(memory, table.Root, from, to, ref visitor, limit);
    }

    /// <summary>QEMU's final <c>mem_print(end, 0)</c>.</summary>
    public override void End() => Print(_end, 0);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Print(ulong end, ulong prot)
    {
        if (prot != _lastProt)
            ChangeProt(end, prot);
    }

    private void ChangeProt(ulong end, ulong prot)
    {
        if (_start != ulong.MaxValue)
        {
            var output = Output;
            output.BeginLine();
            output.Hex(Canonical(_start), 16);
            output.Char('-');
            output.Hex(Canonical(end), 16);
            output.Char(' ');
            output.Hex(Canonical(end - _start), 16);
            output.Char(' ');
            output.Char((_lastProt & X86Flags.User) != 0 ? 'u' : '-');
            output.Char('r');
            output.Char((_lastProt & X86Flags.Writable) != 0 ? 'w' : '-');
            output.Char('\n');
        }
        _start = prot != 0 ? end : ulong.MaxValue;
        _lastProt = prot;
    }

    /// <summary>QEMU's <c>addr_canonical</c>: sign-extends bit 47 (bit 56 under LA57); a no-op on 32-bit addresses.</summary>
    private ulong Canonical(ulong address) =>
        (address & (1UL << _canonicalBit)) != 0 ? address | ~((1UL << (_canonicalBit + 1)) - 1) : address;

    [InlineArray(7)]
    private struct ProtPath
    {
        private ulong _element;
    }

    private unsafe struct Visitor<TLayout, TEntry, TMemory> : IPageTableVisitor<TEntry>
        where TLayout : struct, IPageTableLayout<TEntry>
        where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
        where TMemory : struct, IPhysicalMemory
    {
        private readonly X86QemuMemFormat _format;
        private readonly TMemory _memory;
        private readonly LevelTable _table;
        private readonly ulong _linearMask;
        private readonly ulong _firstAddress;
        private ProtPath _pathProt; // [level] = prot of the table entries from the root down to that level

        public Visitor(X86QemuMemFormat format, TMemory memory, LevelTable table, ulong from)
        {
            _format = format;
            _memory = memory;
            _table = table;
            _linearMask = (1UL << table.VirtualAddressBits) - 1;
            _firstAddress = from & _linearMask;
            _pathProt = default;
            _pathProt[TLayout.Levels + 1] = ProtMask;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Visit(ulong va, int level, bool isLeaf, TEntry* entry)
        {
            ulong value = ulong.CreateTruncating(*entry);
            ulong linear = va & _linearMask;
            if (linear < _firstAddress)
                linear = _firstAddress; // the first entry of a partial walk may start below the range
            if ((value & X86Flags.Present) == 0)
                _format.Print(linear, 0);
            else if (isLeaf)
                _format.Print(linear, value & _pathProt[level + 1] & ProtMask);
            else
            {
                _pathProt[level] = (_table[level].NoPermissions ? ProtMask : value & ProtMask) & _pathProt[level + 1];
                if (_memory.At(TLayout.EntryAddress(value), TLayout.TableBytes(level - 1)) is null)
                {
                    // QEMU would read the missing table as zeros: nothing present below this entry.
                    _format.Print(linear, 0);
                    _format.ReportTableOutside(va, level, TLayout.EntryAddress(value));
                }
            }
            return 0;
        }
    }
}
