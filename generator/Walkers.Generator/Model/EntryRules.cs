namespace Walkers.Generator.Model;

/// <summary>The runtime's EntryKind, by value.</summary>
internal enum EntryKindValue
{
    Absent = 0,
    Table = 1,
    Leaf = 2,
    Fault = 3,
}

/// <summary>
/// The layout's rules evaluated on constants, so the parser can check a description before anything is emitted
/// (a level's Prot must link a table, level-1 page flags must make a leaf at every level that allows one). The
/// emitter prints the same rules as C# expressions; the runtime's LevelTable computes them at run time.
/// </summary>
internal static class EntryRules
{
    public static bool IsPresent(this LayoutSpec layout, ulong entry) => (entry & layout.PresentMask) != 0;

    public static bool IsTableShaped(this LayoutSpec layout, ulong entry) => (entry & layout.TableMask) == layout.TableValue;

    public static bool IsFaultPattern(this LayoutSpec layout, ulong entry) => layout.FaultMask != 0 && (entry & layout.FaultMask) == layout.FaultValue;

    /// <summary>A present entry at a level that allows no leaf is a table whatever its table bits say (x86, as QEMU reads it).</summary>
    public static bool FollowsAnyPresent(this LayoutSpec layout, LevelSpec level) => level.Level > 1 && !layout.Strict && !level.LeafAllowed;

    public static ulong EntryAddress(this LayoutSpec layout, ulong entry) => layout.Address.Decode(entry) | layout.HighAddress.Decode(entry);

    public static ulong MakeEntry(this LayoutSpec layout, ulong address, ulong flags) =>
        layout.Address.Encode(address) | layout.HighAddress.Encode(address) | (flags & ~layout.AllAddressBits);

    public static EntryKindValue Kind(this LayoutSpec layout, ulong entry, int levelNumber)
    {
        var level = layout.Level(levelNumber);
        if (!layout.IsPresent(entry))
            return EntryKindValue.Absent;
        if (layout.IsFaultPattern(entry))
            return EntryKindValue.Fault;
        if (levelNumber > 1 && (layout.IsTableShaped(entry) || layout.FollowsAnyPresent(level)))
            return EntryKindValue.Table;
        if (!level.LeafAllowed || !layout.IsLeafShaped(entry, level))
            return EntryKindValue.Fault;
        if (layout.AlignedLeaves && levelNumber > 1 && (layout.EntryAddress(entry) & (level.PageSize - 1)) != 0)
            return EntryKindValue.Fault;
        return EntryKindValue.Leaf;
    }

    /// <summary>Whether a present entry that is not a table matches the level's leaf rule.</summary>
    public static bool IsLeafShaped(this LayoutSpec layout, ulong entry, LevelSpec level)
    {
        if (level.LeafMask != 0)
            return (entry & level.LeafMask) == level.LeafValue;
        return level.Level == 1 && !layout.Strict || !layout.IsTableShaped(entry);
    }

    public static ulong LeafFlags(this LayoutSpec layout, ulong pageFlags, int levelNumber)
    {
        if (levelNumber == 1)
            return pageFlags;
        var level = layout.Level(levelNumber);
        if (level.LeafMask != 0)
            return (pageFlags & ~level.LeafMask) | level.LeafValue;
        return layout.IsTableShaped(pageFlags) ? (pageFlags & ~layout.TableMarker) | (~layout.TableValue & layout.TableMarker) : pageFlags;
    }

    public static ulong PageFlags(this LayoutSpec layout, ulong leafFlags, int levelNumber)
    {
        if (levelNumber == 1)
            return leafFlags;
        var page = layout.Level(1);
        if (page.LeafMask != 0)
            return (leafFlags & ~page.LeafMask) | page.LeafValue;
        return layout.Strict ? leafFlags : (leafFlags & ~layout.TableMarker) | (layout.TableValue & layout.TableMarker);
    }
}
