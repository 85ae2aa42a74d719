using System.Collections.Immutable;
using Walkers.Images;
using Walkers.Layouts;

namespace Walkers.PtDump.Roots;

/// <summary>RISC-V Sv57, Sv48 and Sv39, deepest first. Sv32 (RV32) is not scanned for.</summary>
internal sealed class RiscVRootScanner : RootScanner
{
    private static readonly ImmutableArray<PagingMode> Modes = [new RiscVMode(5), new RiscVMode(4), new RiscVMode(3)];

    public override ScanResult Scan(MemoryImage image) => RootSearch.Run(image, Modes, SplitHalfRoles.Assign);
}

/// <summary>RISC-V Sv39/48/57: 512 x 64-bit entries; a leaf (R, W or X set) may sit at any level, the root included.</summary>
internal sealed class RiscVMode(int levels) : PagingMode(
    levels switch { 5 => ReadyLayouts.Sv57, 4 => ReadyLayouts.Sv48, _ => ReadyLayouts.Sv39 },
    levels, kernelSplit: 256, rootMayHoldLeaves: true, validBits: 1)
{
    private const ulong PointerReserved = 0xd0;           // U, A, D: reserved in a pointer
    private static readonly ulong LeafReserved = Bits(54, 60); // 61-62 PBMT and 63 N are allowed

    public override DecodedEntry Decode(ulong entry, int level)
    {
        if ((entry & 1) == 0)
            return level == 1 ? DecodedEntry.NotPresent : DecodedEntry.Bad;
        ulong rwx = (entry >> 1) & 7;
        ulong address = ((entry >> 10) & ((1UL << 44) - 1)) << 12;
        if (rwx == 0) // a pointer: bits 63-54 are reserved too
            return (entry & PointerReserved) != 0 || entry >> 54 != 0 ? DecodedEntry.Bad : DecodedEntry.Table(address);
        if ((rwx & 3) == 2 || (entry & LeafReserved) != 0) // W without R is reserved
            return DecodedEntry.Bad;
        long pages = 1L << (9 * (level - 1));
        bool misaligned = (address & (((ulong)pages << 12) - 1)) != 0;
        return misaligned ? DecodedEntry.Bad : DecodedEntry.Leaf(address, pages, (entry & 0x10) != 0);
    }

    public override ulong KernelAddress(ulong indexAddress) => SignExtend(indexAddress, 12 + 9 * Levels);
}
