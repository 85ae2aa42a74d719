using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Linq;
using Walkers.Images;

namespace Walkers.PtDump.Roots;

/// <summary>
/// The scan every family shares: one linear pass for root-shaped pages, the validation walk mode by mode (deepest
/// first, the first mode with a validated root wins), the family's role rules, back-references, ranking.
/// </summary>
internal static class RootSearch
{
    /// <param name="image">The image.</param>
    /// <param name="modes">The family's modes, deepest first (rules.md §4).</param>
    /// <param name="assignRoles">The family's role rules: sets every root's role, page counts and tokens.</param>
    public static ScanResult Run(MemoryImage image, ImmutableArray<PagingMode> modes, Action<ScanContext, List<ValidatedRoot>> assignRoles)
    {
        var clock = Stopwatch.StartNew();
        var pages = new ImagePages(image.Memory);
        var rootShaped = FindRootShaped(pages, modes, out var nonzeroPages);
        int decoded = 0;
        for (int m = 0; m < modes.Length; m++)
        {
            var walker = new TableWalker(modes[m], pages);
            var roots = new List<ValidatedRoot>();
            foreach (ulong root in rootShaped[m])
            {
                if (Validate(walker, root) is { } validated)
                    roots.Add(validated);
            }
            decoded += walker.TablesDecoded;
            if (roots.Count == 0)
                continue;
            // A shallower reading of a deeper tree validates too (its "leaves" are tables): the shallower modes are not walked.
            var context = new ScanContext(walker, nonzeroPages);
            assignRoles(context, roots);
            BackReferences.Count(context, roots);
            return new ScanResult(Rank(context, roots), modes[m].Layout, decoded, clock.Elapsed);
        }
        return new ScanResult([], null, decoded, clock.Elapsed);
    }

    /// <summary>Stage 1 (rules.md §2): the root-shaped tables of every mode, in PA order, and the nonzero pages.</summary>
    private static List<ulong>[] FindRootShaped(ImagePages pages, ImmutableArray<PagingMode> modes, out List<ImagePage> nonzeroPages)
    {
        var found = new List<ulong>[modes.Length];
        for (int m = 0; m < found.Length; m++)
            found[m] = [];
        nonzeroPages = [];
        foreach (var page in pages)
        {
            if (page.IsZero)
                continue;
            nonzeroPages.Add(page);
            for (int m = 0; m < modes.Length; m++)
                modes[m].FindRootShaped(pages, page, found[m]);
        }
        return found;
    }

    /// <summary>Stage 2 (rules.md §3): the root if every subtree is good and it maps pages, mostly at or above the RAM floor.</summary>
    private static ValidatedRoot? Validate(TableWalker walker, ulong root)
    {
        var mode = walker.Mode;
        var entries = mode.Root(walker.Pages, root)!.Value;
        ulong rootPage = root & ~ImagePages.PageMask;
        Tally user = default, kernel = default;
        int userEntries = 0, kernelEntries = 0;
        var tokens = new List<string>();
        ulong previous = 0; // a repeated entry (PAE initial_page_table, forged pages) reuses the subtree just walked
        Tally subtree = default;
        for (int i = 0; i < entries.Count; i++)
        {
            ulong entry = entries[i];
            if (entry == 0)
                continue;
            if (entry != previous)
            {
                var decoded = mode.Decode(entry, mode.Levels);
                if (decoded.Kind == DecodedKind.Table && decoded.Address == rootPage)
                {
                    tokens.Add($"self-map slot {i}"); // a recursive slot (Windows-style): not walked
                    continue;
                }
                if (!TrySubtree(walker, decoded, out subtree))
                    return null;
                previous = entry;
            }
            if (mode.KernelSplit is int split && i >= split)
            {
                kernel += subtree;
                kernelEntries++;
            }
            else
            {
                user += subtree;
                userEntries++;
            }
        }
        var total = user + kernel;
        // "At or above the RAM floor" rejects data pages holding a lone small integer, read as a block at PA 0.
        if (total.Pages == 0 || total.PagesAboveFloor * 2 < total.Pages || (mode.KernelSplit is not null && kernelEntries == 0))
            return null;
        return new ValidatedRoot(root, entries.ToArray(), user, kernel, userEntries, kernelEntries, tokens);
    }

    /// <summary>What a root entry maps: a leaf, or a good subtree (the root test let only those two through).</summary>
    private static bool TrySubtree(TableWalker walker, DecodedEntry rootEntry, out Tally subtree)
    {
        if (rootEntry.Kind == DecodedKind.Leaf)
        {
            subtree = Tally.OfLeaf(rootEntry, walker.Pages.RamFloor);
            return true;
        }
        subtree = default;
        return rootEntry.Kind == DecodedKind.Table && walker.TryWalk(rootEntry.Address, walker.Mode.Levels - 1, out subtree);
    }

    /// <summary>Rules.md §8: role, kernel-half consensus, has back-references, user pages (descending), PA.</summary>
    private static ImmutableArray<FoundRoot> Rank(ScanContext context, List<ValidatedRoot> roots) =>
        [.. roots
            .OrderBy(r => r.Role)
            .ThenByDescending(r => r.Consensus)
            .ThenByDescending(r => r.BackReferences > 0)
            .ThenByDescending(r => r.UserPages)
            .ThenBy(r => r.Root)
            .Select(r => new FoundRoot(r.Root, context.Mode.Layout, r.UpperHalf, r.Role!.Value, r.UserPages, r.KernelPages,
                r.BackReferences, r.PairedWith, RootEvidence.Short(context, r)))];
}
