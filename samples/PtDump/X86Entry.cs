namespace Walkers.PtDump;

/// <summary>x86 page-table entry bits (Intel SDM vol. 3, chapter 4) and QEMU's way of printing them.</summary>
internal static class X86Entry
{
    public const ulong Present = 1UL << 0;
    public const ulong Writable = 1UL << 1;
    public const ulong User = 1UL << 2;
    public const ulong WriteThrough = 1UL << 3;
    public const ulong CacheDisable = 1UL << 4;
    public const ulong Accessed = 1UL << 5;
    public const ulong Dirty = 1UL << 6;
    public const ulong PageSize = 1UL << 7; // PS above level 1; PAT at level 1
    public const ulong Global = 1UL << 8;
    public const ulong LargePat = 1UL << 12; // PAT of a 2M/4M/1G leaf
    public const ulong NoExecute = 1UL << 63;

    /// <summary>The bits <c>info mem</c> combines over the levels.</summary>
    public const ulong MemProtMask = User | Writable | Present;

    /// <summary>QEMU's <c>print_pte</c> flag letters, "XGPDACTUW", each a letter or '-'.</summary>
    public static void AppendQemuFlags(OutputBuffer output, ulong entry)
    {
        output.Char((entry & NoExecute) != 0 ? 'X' : '-');
        output.Char((entry & Global) != 0 ? 'G' : '-');
        output.Char((entry & PageSize) != 0 ? 'P' : '-');
        output.Char((entry & Dirty) != 0 ? 'D' : '-');
        output.Char((entry & Accessed) != 0 ? 'A' : '-');
        output.Char((entry & CacheDisable) != 0 ? 'C' : '-');
        output.Char((entry & WriteThrough) != 0 ? 'T' : '-');
        output.Char((entry & User) != 0 ? 'U' : '-');
        output.Char((entry & Writable) != 0 ? 'W' : '-');
    }

    /// <summary>The same letters as a string (for translate).</summary>
    public static string QemuFlags(ulong entry) => string.Create(9, entry, static (span, e) =>
    {
        span[0] = (e & NoExecute) != 0 ? 'X' : '-';
        span[1] = (e & Global) != 0 ? 'G' : '-';
        span[2] = (e & PageSize) != 0 ? 'P' : '-';
        span[3] = (e & Dirty) != 0 ? 'D' : '-';
        span[4] = (e & Accessed) != 0 ? 'A' : '-';
        span[5] = (e & CacheDisable) != 0 ? 'C' : '-';
        span[6] = (e & WriteThrough) != 0 ? 'T' : '-';
        span[7] = (e & User) != 0 ? 'U' : '-';
        span[8] = (e & Writable) != 0 ? 'W' : '-';
    });
}
