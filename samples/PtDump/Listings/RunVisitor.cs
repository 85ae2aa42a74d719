using System.Numerics;

namespace Walkers.PtDump.Listings;

/// <summary>A stretch of consecutive entries at one level with the same attributes.</summary>
internal struct MappingRun
{
    public ulong Start;     // canonical
    public ulong End;       // exclusive; wraps to 0 at the very top of the space
    public int Level;
    public bool Present;
    public ulong Flags;     // the attribute bits that split runs (see RunVisitor.AttributeMask)
    public ulong Physical;  // frame of the first page (present runs)
    public ulong PhysicalEnd;
    public ulong Pages;
}

/// <summary>Where runs go: the Linux-style and JSON writers.</summary>
internal interface IRunWriter
{
    void Run(in MappingRun run);

    void TableOutside(ulong va, int level, ulong tableAddress);
}

/// <summary>
/// Groups leaves (and, for the Linux format, absent entries) into runs: consecutive virtual addresses, same
/// level, same attributes and, when asked, physically contiguous frames. Accessed/dirty and software bits
/// never split a run.
/// </summary>
internal unsafe struct RunVisitor<TEntry, TLayout, TMemory> : IPageTableVisitor<TEntry>
    where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
    where TLayout : IPageTableLayout<TEntry>
    where TMemory : struct, IPhysicalMemory
{
    public const ulong AttributeMask = X86Entry.User | X86Entry.Writable | X86Entry.WriteThrough | X86Entry.CacheDisable
        | X86Entry.PageSize | X86Entry.Global | X86Entry.NoExecute;

    private readonly IRunWriter _writer;
    private readonly TMemory _memory;
    private readonly PagingMode _mode;
    private readonly bool _includeAbsent;
    private readonly bool _physicallyContiguous;
    private MappingRun _run;
    private bool _open;
    private long _budget;                // entries left before the walk is taken for cyclic (Listing.EntryBudget)

    public RunVisitor(IRunWriter writer, TMemory memory, PagingMode mode, bool includeAbsent, bool physicallyContiguous)
    {
        _writer = writer;
        _budget = Listing.EntryBudget;
        _memory = memory;
        _mode = mode;
        _includeAbsent = includeAbsent;
        _physicallyContiguous = physicallyContiguous;
    }

    public int TablesOutside { get; private set; }

    public int Visit(ulong va, int level, bool isLeaf, TEntry* entry)
    {
        if (--_budget < 0)
            return Listing.BudgetExhausted;
        ulong value = ulong.CreateTruncating(*entry);
        if ((value & X86Entry.Present) == 0)
        {
            if (_includeAbsent)
                Extend(va, level, false, 0, 0);
            else
                Close();
        }
        else if (isLeaf)
        {
            ulong flags = value & AttributeMask;
            if (level > 1)
                flags |= value & X86Entry.LargePat;
            Extend(va, level, true, flags, Listing.FrameAddress(_mode, level, value));
        }
        else if (_memory.At(TLayout.EntryAddress(value), TLayout.TableBytes(level - 1)) is null)
        {
            Close();
            TablesOutside++;
            _writer.TableOutside(va, level, TLayout.EntryAddress(value));
        }
        return 0;
    }

    public void Finish() => Close();

    private void Extend(ulong va, int level, bool present, ulong flags, ulong physical)
    {
        ulong size = TLayout.PageSize(level);
        if (_open && va == _run.End && level == _run.Level && present == _run.Present && flags == _run.Flags
            && (!_physicallyContiguous || physical == _run.PhysicalEnd))
        {
            _run.End = va + size;
            _run.PhysicalEnd = physical + size;
            _run.Pages++;
            return;
        }
        Close();
        _run = new MappingRun
        {
            Start = va, End = va + size, Level = level, Present = present, Flags = flags,
            Physical = physical, PhysicalEnd = physical + size, Pages = 1,
        };
        _open = true;
    }

    private void Close()
    {
        if (_open)
        {
            _writer.Run(_run);
            _open = false;
        }
    }
}
