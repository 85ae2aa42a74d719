using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Walkers.Images;
using Walkers.Layouts;

namespace Walkers.PtDump.Roots;

/// <summary>
/// AArch64, 4K granule, 48-bit then 39-bit VAs. TTBR0 and TTBR1 tables are separate, so roles come from the
/// leaves' EL0 access (rules.md §6) instead of a shared kernel half.
/// </summary>
internal sealed class Arm64RootScanner : RootScanner
{
    private const long TrampolineMaxPages = 16;

    private static readonly ImmutableArray<PagingMode> Modes = [new Arm64Mode(4), new Arm64Mode(3)];

    public override ScanResult Scan(MemoryImage image) => RootSearch.Run(image, Modes, AssignRoles);

    private static void AssignRoles(ScanContext context, List<ValidatedRoot> roots)
    {
        var kernelTables = new List<ValidatedRoot>();
        foreach (var root in roots)
        {
            var total = root.Total;
            if (total.UserPages == 0)
            {
                kernelTables.Add(root);
                root.Tokens.Add("EL1-only");
                root.KernelPages = total.Pages;
            }
            else
            {
                root.Role = total.UserPages * 10 >= total.Pages * 9 ? RootRole.Process : RootRole.Mixed;
                root.UserPages = total.Pages;
            }
        }
        if (kernelTables.Count == 0)
            return;

        // swapper_pg_dir: its linear map covers all RAM, more than any other EL1-only table.
        var swapper = kernelTables[0];
        foreach (var table in kernelTables)
        {
            if (table.Total.Pages > swapper.Total.Pages)
                swapper = table;
        }
        swapper.Role = RootRole.Kernel;
        swapper.UpperHalf = true;
        swapper.Tokens[^1] = "EL1-only, most pages";

        // KPTI: tramp_pg_dir (what TTBR1 holds at EL0) two pages below, reserved_pg_dir (all zero) between.
        var byRoot = roots.ToDictionary(r => r.Root);
        bool zeroBetween = context.Pages.IsZeroPage(swapper.Root - 0x1000);
        if (byRoot.TryGetValue(swapper.Root - 0x2000, out var trampoline) && trampoline.Role is null
            && trampoline.Total.Pages <= TrampolineMaxPages)
        {
            trampoline.Role = RootRole.Trampoline;
            trampoline.UpperHalf = true;
            trampoline.Tokens.Add("swapper-0x2000" + (zeroBetween ? ", zero page between" : ""));
            swapper.Tokens.Add("tramp at -0x2000" + (zeroBetween ? " + zero(reserved_pg_dir)" : ""));
            trampoline.PairedWith = swapper.Root;
            swapper.PairedWith = trampoline.Root;
        }

        foreach (var table in kernelTables.Where(t => t.Role is null))
        {
            var (identity, sampled) = context.Walker.SampleIdentity(table.Root, table.Entries, table.Entries.Length);
            if (sampled > 0 && identity == sampled)
            {
                table.Role = RootRole.IdMap;
                table.Tokens.Add($"VA==PA {identity}/{sampled}");
            }
            else
                table.Role = RootRole.Auxiliary;
        }

        // A process's kernel half is swapper's, through TTBR1.
        foreach (var root in roots.Where(r => r.Role is RootRole.Process or RootRole.Mixed))
            root.KernelPages = swapper.Total.Pages;
    }
}

/// <summary>AArch64 4K granule: 48-bit (4 levels) or 39-bit (3 levels, 1G blocks allowed in the root).</summary>
internal sealed class Arm64Mode(int levels) : PagingMode(
    levels == 4 ? ReadyLayouts.Arm64_4K_48 : ReadyLayouts.Arm64_4K_39, levels, kernelSplit: null, rootMayHoldLeaves: levels <= 3, validBits: 3)
{
    private static readonly ulong Address = Bits(12, 47);
    // Linux writes 0 here in a table descriptor (only NSTable/APTable/XNTable, 63-59, may be set); AF = 1 means a page.
    private static readonly ulong TableReserved = Bits(2, 11) | Bits(48, 58);
    private static readonly ulong HighAddress = Bits(48, 49); // PA bits with 52-bit PAs only: RES0 here

    public override DecodedEntry Decode(ulong entry, int level)
    {
        ulong type = entry & 3;
        if ((type & 1) == 0)
            return level == 1 ? DecodedEntry.NotPresent : DecodedEntry.Bad;
        ulong address = entry & Address;
        bool el0 = (entry & 0x40) != 0; // AP[1]
        if (level == 1)
            return type != 3 || (entry & HighAddress) != 0 ? DecodedEntry.Bad : DecodedEntry.Leaf(address, 1, el0);
        if (type == 3)
            return (entry & TableReserved) != 0 ? DecodedEntry.Bad : DecodedEntry.Table(address);
        if ((entry & HighAddress) != 0)
            return DecodedEntry.Bad;
        return level switch
        {
            2 when (address & Bits(12, 20)) == 0 => DecodedEntry.Leaf(address, 512, el0),
            3 when (address & Bits(12, 29)) == 0 => DecodedEntry.Leaf(address, 512 * 512, el0),
            _ => DecodedEntry.Bad,
        };
    }

    /// <summary>A TTBR1 address: the bits above the VA size are all ones.</summary>
    public override ulong KernelAddress(ulong indexAddress) => indexAddress | ~((1UL << (12 + 9 * Levels)) - 1);
}
