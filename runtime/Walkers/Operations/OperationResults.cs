using System;
using System.Globalization;

namespace Walkers;

/// <summary>Why an operation on page tables did not happen.</summary>
public enum PageTableStatus
{
    Success = 0,

    /// <summary>Map met a present entry in its range and was not asked to overwrite.</summary>
    AlreadyMapped,

    /// <summary>The table allocator had no free frame.</summary>
    OutOfTables,

    /// <summary>A table (the root, a present table entry, or a freshly allocated frame) lies outside the memory given.</summary>
    TableOutsideMemory,

    /// <summary>
    /// Protect would turn a huge page into something that reads as a table pointer: on layouts whose leaf
    /// marker is made of permission bits (RISC-V R/W/X), a larger page must keep at least one of them.
    /// </summary>
    NotALeaf,

    /// <summary>The address lies in a half of the address space that has no root (AArch64 TCR.EPDn = 1).</summary>
    NoRoot,

    /// <summary>The tables repeat (a cycle, or a subtree shared many times) beyond the <see cref="WalkLimit"/> rule: the walk stopped.</summary>
    TablesRepeat,

    /// <summary>The walk's cancellation token was cancelled.</summary>
    Cancelled,
}

/// <summary>
/// The outcome of Map, Unmap or Protect. Failures the caller can expect at run time (a conflict, no free
/// table, a table outside memory) come back as a result, so a kernel-style caller can react without
/// exceptions; invalid arguments (misaligned, non-canonical, flags in the address field) throw
/// <see cref="ArgumentException"/>, as they are bugs in the caller. <see cref="ThrowIfFailed"/> turns a
/// failure into a <see cref="PageTableException"/> for callers who prefer that.
/// </summary>
/// <param name="Status">What happened.</param>
/// <param name="Address">The virtual address the failure is about (0 on success).</param>
/// <param name="Level">The level of the entry the failure is about (0 on success).</param>
/// <param name="Message">One sentence saying why, for people; null on success.</param>
public readonly record struct PageTableResult(PageTableStatus Status, ulong Address, int Level, string? Message)
{
    public static PageTableResult Success => default;

    public bool Succeeded => Status == PageTableStatus.Success;

    public PageTableResult ThrowIfFailed() => Succeeded ? this : throw new PageTableException(this);

    public override string ToString() => Succeeded ? "success" : Message ?? Status.ToString();

    internal static PageTableResult Failure(PageTableStatus status, ulong va, int level, string message) =>
        new(status, va, level, message);
}

/// <summary>A failed <see cref="PageTableResult"/> as an exception.</summary>
public sealed class PageTableException(PageTableResult result) : Exception(result.Message ?? result.Status.ToString())
{
    public PageTableResult Result { get; } = result;
}

/// <summary>How Map treats existing mappings and page sizes.</summary>
[Flags]
public enum MapOptions
{
    None = 0,

    /// <summary>Replace present leaves in the range instead of failing with <see cref="PageTableStatus.AlreadyMapped"/>.</summary>
    Overwrite = 1,

    /// <summary>Map with level-1 pages only, even where a larger page would fit.</summary>
    SmallestPages = 2,
}

/// <summary>What Unmap does besides clearing leaves.</summary>
[Flags]
public enum UnmapOptions
{
    None = 0,

    /// <summary>
    /// Free every table in the range that is all zero afterwards and clear the entry that pointed to it
    /// (post-order, so a chain of tables empties bottom-up). Every table below the root must then come from
    /// the allocator passed in. The root is never freed.
    /// </summary>
    FreeEmptyTables = 1,
}

/// <summary>
/// One run of a mappings listing: <see cref="Size"/> bytes at <see cref="VirtualAddress"/> mapped to
/// <see cref="PhysicalAddress"/>. In the exact listing every page of the run is at <see cref="Level"/> with
/// the raw entry <see cref="Flags"/> (bits outside the address field, the huge-page bit included). In a
/// listing by protection <see cref="Flags"/> is the effective protection and <see cref="PhysicalAddress"/>
/// and <see cref="Level"/> are those of the run's first page (the rest may be elsewhere, at other sizes).
/// </summary>
public readonly record struct Mapping(ulong VirtualAddress, ulong PhysicalAddress, ulong Size, ulong Flags, int Level)
{
    /// <summary>The last byte of the run (inclusive, so a run at the top of the space does not wrap).</summary>
    public ulong LastAddress => VirtualAddress + (Size - 1);

    public override string ToString() =>
        $"0x{VirtualAddress:x16}-0x{LastAddress:x16} -> {"0x" + PhysicalAddress.ToString("x", CultureInfo.InvariantCulture),-14} {Size,14:N0} B  flags 0x{Flags:x} L{Level}";
}

/// <summary>How <c>Mappings</c> merges pages into runs.</summary>
public readonly record struct MappingOptions
{
    /// <summary>
    /// 0 (default): runs of equal raw flags, physically contiguous, at one level. Otherwise runs of equal effective
    /// protection under this mask (the leaf's bits after the layout's inherit rules: x86 <c>P | RW | US</c> as QEMU's
    /// <c>info mem</c>), whatever the frames.
    /// </summary>
    public ulong ProtectionMask { get; init; }

    /// <summary>With <see cref="ProtectionMask"/>: a change of page size also ends a run (Linux ptdump).</summary>
    public bool SplitAtLevelChanges { get; init; }

    /// <summary>The rule for tables that repeat, and cancellation; null: the default <see cref="WalkLimit"/>.</summary>
    public WalkLimit? Limit { get; init; }
}
