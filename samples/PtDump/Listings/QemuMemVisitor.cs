using System.Numerics;
using System.Runtime.CompilerServices;

namespace Walkers.PtDump.Listings;

/// <summary>
/// QEMU 7.2 <c>info mem</c>: ranges of equal effective protection. Every entry visited feeds QEMU's
/// <c>mem_print</c> with its linear base address and a prot: 0 when not present, for a present leaf its U|W|P
/// ANDed with those of the table entries above it (in PAE without the PDPTE). Addresses, and the size, are
/// printed through QEMU's <c>addr_canonical</c>; the final flush is at the end of the walked range.
/// </summary>
/// <remarks>
/// Under 5-level paging this prints what QEMU's <c>mem_info_la57</c> intends: its present tests at the PDPTE
/// and PDE levels are inverted, so QEMU 7.2 itself prints nothing for a real guest.
/// </remarks>
internal unsafe struct QemuMemVisitor<TEntry, TLayout, TMemory> : IPageTableVisitor<TEntry>
    where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
    where TLayout : IPageTableLayout<TEntry>
    where TMemory : struct, IPhysicalMemory
{
    private readonly OutputBuffer _output;
    private readonly TMemory _memory;
    private readonly ulong _linearMask;
    private readonly ulong _firstAddress;
    private readonly int _canonicalBit;
    private readonly int _ignoredLevel; // PAE: the PDPTE's bits do not count
    private ProtPath _pathProt;          // [level] = prot of the table entries from the root down to that level
    private ulong _start;                // QEMU's *pstart; ulong.MaxValue is its -1
    private ulong _lastProt;
    private long _budget;                // entries left before the walk is taken for cyclic (Listing.EntryBudget)

    public QemuMemVisitor(OutputBuffer output, TMemory memory, AddressSpace space, ulong from)
    {
        _output = output;
        _budget = Listing.EntryBudget;
        _memory = memory;
        _linearMask = space.LinearMask;
        _firstAddress = from & space.LinearMask;
        _canonicalBit = space.Mode == PagingMode.FiveLevel ? 56 : 47;
        _ignoredLevel = space.Mode == PagingMode.Pae ? 3 : 0;
        _start = ulong.MaxValue;
        _lastProt = 0;
        _pathProt = default;
        _pathProt[TLayout.Levels + 1] = X86Entry.MemProtMask;
    }

    public int TablesOutside { get; private set; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Visit(ulong va, int level, bool isLeaf, TEntry* entry)
    {
        if (--_budget < 0)
            return Listing.BudgetExhausted;
        ulong value = ulong.CreateTruncating(*entry);
        ulong linear = va & _linearMask;
        if (linear < _firstAddress)
            linear = _firstAddress; // the first entry of a partial walk may start below the range
        if ((value & X86Entry.Present) == 0)
            Print(linear, 0);
        else if (isLeaf)
            Print(linear, value & _pathProt[level + 1] & X86Entry.MemProtMask);
        else
        {
            _pathProt[level] = (level == _ignoredLevel ? X86Entry.MemProtMask : value & X86Entry.MemProtMask) & _pathProt[level + 1];
            if (_memory.At(TLayout.EntryAddress(value), TLayout.TableBytes(level - 1)) is null)
            {
                // QEMU would read the missing table as zeros: nothing present below this entry.
                Print(linear, 0);
                TablesOutside++;
                Listing.ReportTableOutside(_output, va, level, TLayout.EntryAddress(value));
            }
        }
        return 0;
    }

    /// <summary>QEMU's final <c>mem_print(end, 0)</c>: <paramref name="end"/> is one past the walked range (linear).</summary>
    public void Finish(ulong end) => Print(end, 0);

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
            var output = _output;
            output.BeginLine();
            output.Hex(Canonical(_start), 16);
            output.Char('-');
            output.Hex(Canonical(end), 16);
            output.Char(' ');
            output.Hex(Canonical(end - _start), 16);
            output.Char(' ');
            output.Char((_lastProt & X86Entry.User) != 0 ? 'u' : '-');
            output.Char('r');
            output.Char((_lastProt & X86Entry.Writable) != 0 ? 'w' : '-');
            output.Char('\n');
        }
        _start = prot != 0 ? end : ulong.MaxValue;
        _lastProt = prot;
    }

    /// <summary>QEMU's <c>addr_canonical</c>: sign-extends bit 47 (bit 56 under LA57); a no-op on 32-bit addresses.</summary>
    private readonly ulong Canonical(ulong address) =>
        (address & (1UL << _canonicalBit)) != 0 ? address | ~((1UL << (_canonicalBit + 1)) - 1) : address;

    [InlineArray(7)]
    private struct ProtPath
    {
        private ulong _element;
    }
}
