using System;
using System.Collections.Generic;

namespace Walkers.PtDump.Roots;

/// <summary>How a root's kernel half compares with the reference (most shared) kernel half (rules.md §5.2).</summary>
internal enum KernelHalfRelation
{
    /// <summary>No kernel half in the root (AArch64).</summary>
    None,

    Differs,

    /// <summary>Every nonzero kernel entry equals the reference's (lazily synced vmalloc entries).</summary>
    Subset,

    /// <summary>Every nonzero reference entry is in this root, and it has more.</summary>
    Superset,

    Shared,
}

/// <summary>A root that validated in the chosen mode, while the role rules classify it.</summary>
internal sealed class ValidatedRoot(ulong root, ulong[] entries, Tally userHalf, Tally kernelHalf, int userEntries, int kernelEntries, List<string> tokens)
{
    public ulong Root { get; } = root;

    /// <summary>The root's entries, widened to 64 bits.</summary>
    public ulong[] Entries { get; } = entries;

    /// <summary>Under the root entries below the split (AArch64: all of them).</summary>
    public Tally UserHalf { get; } = userHalf;

    public Tally KernelHalf { get; } = kernelHalf;

    public Tally Total => UserHalf + KernelHalf;

    /// <summary>Nonzero root entries in each half, self-map slots left out.</summary>
    public int UserEntries { get; } = userEntries;

    public int KernelEntries { get; } = kernelEntries;

    /// <summary>Role-specific evidence tokens, in the order the rules found them.</summary>
    public List<string> Tokens { get; } = tokens;

    /// <summary>Null until a role rule decides.</summary>
    public RootRole? Role { get; set; }

    public KernelHalfRelation Relation { get; set; }

    /// <summary>With <see cref="KernelHalfRelation.Shared"/>: how many roots have the reference kernel half, this one included.</summary>
    public int SharedBy { get; set; }

    public long UserPages { get; set; }

    public long KernelPages { get; set; }

    /// <summary>-1: not counted.</summary>
    public int BackReferences { get; set; } = -1;

    public ulong? PairedWith { get; set; }

    public bool UpperHalf { get; set; }

    /// <summary>The ranking's consensus key: shared, then subset or superset, then the rest.</summary>
    public int Consensus => Relation switch
    {
        KernelHalfRelation.Shared => 2,
        KernelHalfRelation.Subset or KernelHalfRelation.Superset => 1,
        _ => 0,
    };

    public ReadOnlySpan<ulong> KernelHalfEntries(int split) => Entries.AsSpan(split);
}
