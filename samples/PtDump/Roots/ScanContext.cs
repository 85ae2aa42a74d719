using System.Collections.Generic;

namespace Walkers.PtDump.Roots;

/// <summary>What the role rules and the back-reference pass work on: the chosen mode and its walk.</summary>
internal sealed class ScanContext(TableWalker walker, List<ImagePage> nonzeroPages)
{
    public TableWalker Walker { get; } = walker;

    public PagingMode Mode => Walker.Mode;

    public ImagePages Pages => Walker.Pages;

    /// <summary>The pages that are not all zero, in PA order (found once by the linear pass).</summary>
    public List<ImagePage> NonzeroPages { get; } = nonzeroPages;
}
