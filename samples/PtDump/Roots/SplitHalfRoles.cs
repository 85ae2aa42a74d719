using System;
using System.Collections.Generic;
using System.Linq;

namespace Walkers.PtDump.Roots;

/// <summary>
/// Roles where one root holds both halves (x86, RISC-V; rules.md §5): processes copy the kernel's top-level
/// entries, so the kernel half most roots share is the kernel's, and the kernel root is the one with that half
/// and no user half.
/// </summary>
internal static class SplitHalfRoles
{
    public static void Assign(ScanContext context, List<ValidatedRoot> roots)
    {
        int split = context.Mode.KernelSplit!.Value;
        var reference = ReferenceKernelHalf(roots, split, out int referenceGroup);
        int referenceEntries = CountNonzero(reference.KernelHalfEntries(split));
        var noUser = new List<ValidatedRoot>();
        foreach (var root in roots)
        {
            var half = root.KernelHalfEntries(split);
            var referenceHalf = reference.KernelHalfEntries(split);
            root.Relation = Relation(half, referenceHalf);
            int entries = CountNonzero(half);
            if (root.Relation == KernelHalfRelation.Shared)
                root.SharedBy = referenceGroup;
            else
            {
                string relation = root.Relation switch
                {
                    KernelHalfRelation.Subset => "sub",
                    KernelHalfRelation.Superset => "sup",
                    _ => "differs",
                };
                root.Tokens.Add($"kh={relation}({entries}/{referenceEntries})");
            }
            root.UserPages = root.UserHalf.Pages;
            root.KernelPages = root.KernelHalf.Pages;
            if (root.UserEntries == 0)
                noUser.Add(root);
            else if (root.UserHalf.Pages == 0)
            {
                root.Role = RootRole.KernelOwned;
                root.Tokens.Add("user tables, 0 pages");
            }
            else if (root.UserHalf.UserPages == 0)
            {
                // The real-mode trampoline_pgd (x86-64) and initial_page_table (PAE) identity-map low memory.
                var (identity, sampled) = context.Walker.SampleIdentity(root.Root, root.Entries, split);
                root.Role = RootRole.KernelLowMap;
                root.Tokens.Add("user half all supervisor" + (sampled > 0 ? $", VA==PA {identity}/{sampled}" : ""));
            }
            else
                root.Role = RootRole.Process;
        }
        ChooseKernelRoot(context, noUser, split);
    }

    /// <summary>
    /// The kernel root: no user half, and the shared kernel half or more. Of several, the static one sits next to
    /// the static tables its kernel half points to (init_top_pgt +0x5000 -> level3_kernel_pgt); the others are new
    /// or kernel-owned mms. A no-user root with another kernel half is a boot or trampoline table.
    /// </summary>
    private static void ChooseKernelRoot(ScanContext context, List<ValidatedRoot> noUser, int split)
    {
        var candidates = noUser
            .Where(r => r.Relation is KernelHalfRelation.Shared or KernelHalfRelation.Superset)
            .Select(r => (Root: r, Distance: DistanceToKernelTables(context.Mode, r, split)))
            .OrderBy(c => c.Distance) // stable: PA order among equals
            .ToList();
        if (candidates.Count > 0)
        {
            var (kernel, distance) = candidates[0];
            kernel.Role = RootRole.Kernel;
            kernel.Tokens.Add("no-user+shared-kh" + (candidates.Count == 1 ? "" : $" nearest-of-{candidates.Count}(0x{distance:x})"));
            foreach (var (other, otherDistance) in candidates.Skip(1))
            {
                other.Role = RootRole.KernelOwned;
                other.Tokens.Add($"no-user+shared-kh, farther(0x{otherDistance:x})");
            }
        }
        foreach (var root in noUser)
            root.Role ??= RootRole.Auxiliary;
    }

    /// <summary>
    /// The most common kernel half, compared by exact entries; ties go to the one mapping more kernel pages (under
    /// PTI the kernel and user copies form groups of equal size), then to the first in PA order.
    /// </summary>
    private static ValidatedRoot ReferenceKernelHalf(List<ValidatedRoot> roots, int split, out int groupSize)
    {
        var groups = new Dictionary<ulong[], List<ValidatedRoot>>(new KernelHalfComparer(split));
        var inOrder = new List<List<ValidatedRoot>>();
        foreach (var root in roots)
        {
            if (!groups.TryGetValue(root.Entries, out var group))
            {
                groups.Add(root.Entries, group = []);
                inOrder.Add(group);
            }
            group.Add(root);
        }
        var best = inOrder[0];
        foreach (var group in inOrder)
        {
            if (group.Count > best.Count || (group.Count == best.Count && group[0].KernelHalf.Pages > best[0].KernelHalf.Pages))
                best = group;
        }
        groupSize = best.Count;
        return best[0];
    }

    private static KernelHalfRelation Relation(ReadOnlySpan<ulong> half, ReadOnlySpan<ulong> reference)
    {
        if (half.SequenceEqual(reference))
            return KernelHalfRelation.Shared;
        bool subset = true, superset = true;
        for (int i = 0; i < half.Length; i++)
        {
            subset &= half[i] == 0 || half[i] == reference[i];
            superset &= reference[i] == 0 || half[i] == reference[i];
        }
        return subset ? KernelHalfRelation.Subset : superset ? KernelHalfRelation.Superset : KernelHalfRelation.Differs;
    }

    /// <summary>From the root to the nearest table (or leaf frame) its kernel half points to.</summary>
    private static ulong DistanceToKernelTables(PagingMode mode, ValidatedRoot root, int split)
    {
        ulong nearest = ulong.MaxValue;
        foreach (ulong entry in root.KernelHalfEntries(split))
        {
            if (entry == 0)
                continue;
            ulong target = mode.Decode(entry, mode.Levels).Address;
            nearest = Math.Min(nearest, target > root.Root ? target - root.Root : root.Root - target);
        }
        return nearest;
    }

    public static int CountNonzero(ReadOnlySpan<ulong> entries) => entries.Length - entries.Count(0UL);

    /// <summary>Roots with the same kernel half, compared by their entries from the split on.</summary>
    private sealed class KernelHalfComparer(int split) : IEqualityComparer<ulong[]>
    {
        public bool Equals(ulong[]? x, ulong[]? y) => x.AsSpan(split).SequenceEqual(y.AsSpan(split));

        public int GetHashCode(ulong[] entries)
        {
            var hash = new HashCode();
            hash.AddBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(entries.AsSpan(split)));
            return hash.ToHashCode();
        }
    }
}
