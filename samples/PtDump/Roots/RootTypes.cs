using System;
using System.Collections.Immutable;
using Walkers.Images;
using Walkers.Layouts;

namespace Walkers.PtDump.Roots;

/// <summary>What a found root is. The order is the ranking order (best first).</summary>
internal enum RootRole
{
    /// <summary>The kernel's own root: x86 init_top_pgt / swapper_pg_dir, RISC-V and AArch64 swapper_pg_dir.</summary>
    Kernel,

    /// <summary>x86-64 PTI: the user copy (X + 4 KiB) of the kernel root.</summary>
    PtiUserOfKernel,

    /// <summary>A process: its user half maps user-accessible pages (AArch64: a TTBR0 table, at least 90 % EL0 pages).</summary>
    Process,

    /// <summary>x86-64 PTI: the user copy of a process root, or a root shaped like one whose kernel copy is absent.</summary>
    PtiUser,

    /// <summary>An mm with user tables but no user pages (poking_mm, an mm being built), or a second empty-user root.</summary>
    KernelOwned,

    /// <summary>The user half maps only supervisor pages: x86-64 trampoline_pgd, PAE initial_page_table.</summary>
    KernelLowMap,

    /// <summary>AArch64 KPTI tramp_pg_dir, two pages below swapper_pg_dir.</summary>
    Trampoline,

    /// <summary>AArch64 idmap_pg_dir: every sampled leaf maps VA == PA.</summary>
    IdMap,

    /// <summary>A kernel table that is none of the above: RISC-V trampoline_pg_dir, early or boot tables.</summary>
    Auxiliary,

    /// <summary>AArch64: a table mixing EL0 and EL1-only pages.</summary>
    Mixed,
}

/// <summary>One root found.</summary>
/// <param name="Root">The table's physical address (PAE: the 32-byte-aligned PDPT).</param>
/// <param name="Layout">The ready layout of the paging mode the scan chose.</param>
/// <param name="UpperHalf">An AArch64 TTBR1 table (swapper_pg_dir, tramp_pg_dir); false for TTBR0 tables and for x86/RISC-V.</param>
/// <param name="Role">What the root is.</param>
/// <param name="UserPages">4 KiB page equivalents under the user half (AArch64: the whole TTBR0 table).</param>
/// <param name="KernelPages">4 KiB page equivalents under the kernel half (AArch64 TTBR0 tables: swapper_pg_dir's, reached through TTBR1).</param>
/// <param name="BackReferences">Aligned words in memory holding a kernel VA of the root (mm->pgd, init_mm.pgd); -1 when not counted (no kernel root found).</param>
/// <param name="PairedWith">The x86 PTI kernel/user partner, or AArch64 tramp_pg_dir / swapper_pg_dir for the other; else null.</param>
/// <param name="Evidence">Why: short tokens joined by "; " (rules.md §9).</param>
internal sealed record FoundRoot(ulong Root, ReadyLayout Layout, bool UpperHalf, RootRole Role, long UserPages, long KernelPages,
    int BackReferences, ulong? PairedWith, string Evidence);

/// <summary>What a scan found.</summary>
/// <param name="Roots">The validated roots of the chosen mode, best first.</param>
/// <param name="Mode">The chosen paging mode: the deepest that validates a root; null when none does.</param>
/// <param name="TablesDecoded">Table pages decoded, over every mode walked (the scan's work).</param>
/// <param name="Elapsed">Wall time of the whole scan, back-reference pass included.</param>
internal sealed record ScanResult(ImmutableArray<FoundRoot> Roots, ReadyLayout? Mode, int TablesDecoded, TimeSpan Elapsed);

/// <summary>
/// Finds page-table roots in a physical memory image from page contents alone, no register (rules.md in the
/// research notes). One scanner per architecture family; the family comes from the ELF machine.
/// </summary>
internal abstract class RootScanner
{
    /// <summary>Scans the image; ranks roots as rules.md §8 says (best first). Never throws on garbage; bounded work.</summary>
    public abstract ScanResult Scan(MemoryImage image);
}
