using System;
using System.Collections.Generic;
using System.Globalization;

namespace Walkers.PtDump.Roots;

/// <summary>The short evidence string of a root (rules.md §9).</summary>
internal static class RootEvidence
{
    public static string Short(ScanContext context, ValidatedRoot root)
    {
        var pages = context.Pages;
        var parts = new List<string>();
        bool split = context.Mode.KernelSplit is not null;
        parts.Add(split ? $"{root.UserEntries}u+{root.KernelEntries}k entries" : $"{root.UserEntries} entries");
        parts.Add($"{root.Total.Tables} tables clean");
        if (split)
        {
            if (root.Relation == KernelHalfRelation.Shared)
                parts.Add(root.SharedBy > 1 ? $"kh shared by {root.SharedBy}" : "kh: only root");
            if (root.UserHalf.Pages != 0)
                parts.Add($"U {root.UserHalf.UserPages}/{root.UserHalf.Pages}");
            // A cut-down holds only tables, so a kernel half mapping "all of it" says nothing there.
            if (root.KernelHalf.Pages * ImagePages.PageBytes >= pages.TotalBytes * 0.9 && !pages.IsCutDown)
                parts.Add($"dmap {Percent(root.KernelHalf.Pages, pages)}%");
        }
        else
        {
            if (root.Total.UserPages != 0)
                parts.Add($"EL0 {root.Total.UserPages}/{root.Total.Pages}");
            if (root.Role == RootRole.Kernel)
                parts.Add($"linear map {Percent(root.Total.Pages, pages)}%");
        }
        parts.AddRange(root.Tokens);
        if (root.BackReferences >= 0)
            parts.Add($"{root.BackReferences} backref");
        return string.Join("; ", parts);
    }

    /// <summary>Pages as a share of the image, rounded half to even like the prototype's "%.0f".</summary>
    private static string Percent(long pages, ImagePages image) =>
        Math.Round(100.0 * pages * ImagePages.PageBytes / image.TotalBytes, MidpointRounding.ToEven).ToString("0", CultureInfo.InvariantCulture);
}
