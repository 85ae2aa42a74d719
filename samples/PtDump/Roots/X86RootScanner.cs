using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Walkers.Images;
using Walkers.Layouts;

namespace Walkers.PtDump.Roots;

/// <summary>
/// x86: 5-level, 4-level, PAE and 2-level paging, deepest first. The 2-level mode reads PS=1 in a PGD entry as a
/// 4M page, so it is reported as <see cref="ReadyLayouts.X86Legacy"/> (CR4.PSE = 1); a tree without 4M pages
/// walks the same under both legacy layouts.
/// </summary>
internal sealed class X86RootScanner : RootScanner
{
    private static readonly ImmutableArray<PagingMode> Modes =
        [new X86LongMode(5), new X86LongMode(4), new X86PaeMode(), new X86LegacyMode()];

    public override ScanResult Scan(MemoryImage image) => RootSearch.Run(image, Modes, AssignRoles);

    private static void AssignRoles(ScanContext context, List<ValidatedRoot> roots)
    {
        SplitHalfRoles.Assign(context, roots);
        if (context.Mode is X86LongMode)
            PairPtiCopies(context.Mode.KernelSplit!.Value, roots);
    }

    /// <summary>
    /// Kernel page-table isolation: the kernel PGD sits at an 8K-aligned X and its user copy at X + 4K with the same
    /// user half (the kernel copy's user entries get NX). A root with bit 12 set, a small kernel half and no direct
    /// map is a user copy whose kernel copy is not in the image (a cut-down).
    /// </summary>
    private static void PairPtiCopies(int split, List<ValidatedRoot> roots)
    {
        const ulong PtiOffset = 0x1000;
        const ulong NoExecute = 1UL << 63;
        var byRoot = roots.ToDictionary(r => r.Root);
        foreach (var copy in roots)
        {
            if ((copy.Root & PtiOffset) == 0)
                continue;
            if (byRoot.TryGetValue(copy.Root - PtiOffset, out var kernelCopy))
            {
                bool sameUserHalf = true;
                for (int i = 0; i < split; i++)
                    sameUserHalf &= (copy.Entries[i] & ~NoExecute) == (kernelCopy.Entries[i] & ~NoExecute);
                if (!sameUserHalf)
                    continue;
                copy.Role = kernelCopy.Role == RootRole.Kernel ? RootRole.PtiUserOfKernel : RootRole.PtiUser;
                copy.Tokens.Add($"PTI-copy-of 0x{kernelCopy.Root:x}");
                kernelCopy.Tokens.Add($"PTI-user-copy 0x{copy.Root:x}");
                copy.PairedWith = kernelCopy.Root;
                kernelCopy.PairedWith = copy.Root;
            }
            else if (copy.UserEntries > 0 && SplitHalfRoles.CountNonzero(copy.KernelHalfEntries(split)) <= 8 && copy.KernelHalf.Pages < 4096)
            {
                copy.Role = RootRole.PtiUser;
                copy.Tokens.Add($"PTI-user? (bit12, no dmap, 0x{copy.Root - PtiOffset:x} absent)");
            }
        }
    }
}

/// <summary>x86-64 4-level and 5-level paging: same entries, one level more.</summary>
internal sealed class X86LongMode(int levels)
    : PagingMode(levels == 5 ? ReadyLayouts.X86_64La57 : ReadyLayouts.X86_64, levels, kernelSplit: 256, rootMayHoldLeaves: false, validBits: 1)
{
    private static readonly ulong Address = Bits(12, 51);
    private static readonly ulong AboveMaxPhysical = Bits(46, 51); // a generous MAXPHYADDR of 46
    private static readonly ulong Misaligned2M = Bits(13, 20);     // bit 12 is PAT in a huge leaf
    private static readonly ulong Misaligned1G = Bits(13, 29);

    public override DecodedEntry Decode(ulong entry, int level)
    {
        if ((entry & 1) == 0)
            return level == 1 ? DecodedEntry.NotPresent : DecodedEntry.Bad;
        if ((entry & AboveMaxPhysical) != 0)
            return DecodedEntry.Bad;
        ulong address = entry & Address;
        bool user = (entry & 4) != 0;
        if (level == 1)
            return DecodedEntry.Leaf(address, 1, user);
        if ((entry & 0x80) != 0) // PS: a huge leaf at levels 2 and 3, reserved above
        {
            return level switch
            {
                2 when (address & Misaligned2M) == 0 => DecodedEntry.Leaf(address & ~Bits(12, 20), 512, user),
                3 when (address & Misaligned1G) == 0 => DecodedEntry.Leaf(address & ~Bits(12, 29), 512 * 512, user),
                _ => DecodedEntry.Bad,
            };
        }
        // Page 0 (IVT, BIOS data) never holds a table.
        return address == 0 ? DecodedEntry.Bad : DecodedEntry.Table(address);
    }

    public override ulong KernelAddress(ulong indexAddress) => SignExtend(indexAddress, 12 + 9 * Levels);
}

/// <summary>x86 PAE: a 32-byte PDPT of 4 entries (anywhere 32-byte aligned), then 512-entry PDs and PTs; 3G/1G split.</summary>
internal sealed class X86PaeMode() : PagingMode(ReadyLayouts.X86Pae, 3, kernelSplit: 3, rootMayHoldLeaves: false, validBits: 1)
{
    private const int PdptBytes = 32;
    private static readonly ulong Address = Bits(12, 51);
    private static readonly ulong PdpteReserved = 0x1c6 | Bits(52, 63); // bit 5 (A) is tolerated: QEMU sets it
    private static readonly ulong Reserved = Bits(52, 62);              // 63 is NX
    private static readonly ulong Misaligned2M = Bits(13, 20);

    protected override int RootEntries => 4;

    public override int PointerBytes => 4;

    public override DecodedEntry Decode(ulong entry, int level)
    {
        if ((entry & 1) == 0)
            return level == 1 ? DecodedEntry.NotPresent : DecodedEntry.Bad;
        ulong address = entry & Address;
        if (level == 3)
            return (entry & PdpteReserved) != 0 || address == 0 ? DecodedEntry.Bad : DecodedEntry.Table(address);
        if ((entry & Reserved) != 0)
            return DecodedEntry.Bad;
        bool user = (entry & 4) != 0;
        if (level == 1)
            return DecodedEntry.Leaf(address, 1, user);
        if ((entry & 0x80) != 0)
            return (address & Misaligned2M) != 0 ? DecodedEntry.Bad : DecodedEntry.Leaf(address & ~Bits(12, 20), 512, user);
        return address == 0 ? DecodedEntry.Bad : DecodedEntry.Table(address);
    }

    public override ulong KernelAddress(ulong indexAddress) => indexAddress & 0xffff_ffff;

    /// <summary>
    /// The 128 slots of a page whose 4th entry has a PDPTE-shaped low byte (P = 1, bits 1, 2, 6, 7 clear): the
    /// kernel quarter is never empty, and entries 0-2 may be zero (swapper_pg_dir).
    /// </summary>
    public override unsafe void FindRootShaped(ImagePages pages, ImagePage page, List<ulong> found)
    {
        for (int slot = 0; slot < ImagePages.PageBytes; slot += PdptBytes)
        {
            byte low = page.Data[slot + 24];
            if ((low & 1) != 0 && (low & 0xc6) == 0 && IsRootShaped(new TableEntries(page.Data + slot, RootEntries, narrow: false), pages))
                found.Add(page.Address + (ulong)slot);
        }
    }
}

/// <summary>x86 2-level paging: 1024 x 32-bit entries, 4M pages in the PGD (CR4.PSE), 3G/1G split at index 768.</summary>
internal sealed class X86LegacyMode() : PagingMode(ReadyLayouts.X86Legacy, 2, kernelSplit: 768, rootMayHoldLeaves: true, validBits: 1)
{
    private static readonly ulong Pse36Bits = Bits(13, 21); // PSE-36 high bits and reserved: PAs below 4 GiB assumed

    public override int EntryBytes => 4;

    public override int IndexShift(int level) => 12 + 10 * (level - 1);

    public override DecodedEntry Decode(ulong entry, int level)
    {
        if ((entry & 1) == 0)
            return level == 1 ? DecodedEntry.NotPresent : DecodedEntry.Bad;
        ulong address = entry & 0xffff_f000;
        bool user = (entry & 4) != 0;
        if (level == 1)
            return DecodedEntry.Leaf(address, 1, user);
        if ((entry & 0x80) != 0)
            return (entry & Pse36Bits) != 0 ? DecodedEntry.Bad : DecodedEntry.Leaf(entry & 0xffc0_0000, 1024, user);
        return address == 0 ? DecodedEntry.Bad : DecodedEntry.Table(address);
    }

    public override ulong KernelAddress(ulong indexAddress) => indexAddress & 0xffff_ffff;
}
