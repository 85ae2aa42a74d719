namespace Walkers.PtDump.Listings;

/// <summary>A stretch of consecutive entries at one level with the same attributes (the Linux-style and JSON listings).</summary>
internal struct MappingRun
{
    public ulong Start;     // canonical
    public ulong End;       // exclusive; wraps to 0 at the very top of the space
    public int Level;
    public bool Present;
    public ulong Flags;     // the attribute bits that split runs
    public ulong Entry;     // the first entry, whole
    public ulong Physical;  // frame of the first page (present runs)
    public ulong PhysicalEnd;
    public ulong Pages;

    /// <summary>Extends the run by an entry of <paramref name="size"/> bytes when it continues it; false when a new run must start.</summary>
    public bool TryExtend(ulong va, ulong size, int level, bool present, ulong flags, ulong physical, bool physicallyContiguous)
    {
        if (Pages == 0 || va != End || level != Level || present != Present || flags != Flags || (physicallyContiguous && physical != PhysicalEnd))
            return false;
        End = va + size;
        PhysicalEnd = physical + size;
        Pages++;
        return true;
    }

    public static MappingRun Begin(ulong va, ulong size, int level, bool present, ulong flags, ulong entry, ulong physical) => new()
    {
        Start = va, End = va + size, Level = level, Present = present, Flags = flags, Entry = entry,
        Physical = physical, PhysicalEnd = physical + size, Pages = 1,
    };
}
