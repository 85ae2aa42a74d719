using System.Collections.Generic;
using System.Runtime.InteropServices;

namespace Walkers.PtDump.Roots;

/// <summary>
/// What a table, a subtree or a root half maps, in 4 KiB page equivalents. A table reached twice counts twice, as
/// its pages are mapped twice.
/// </summary>
internal readonly record struct Tally(long Tables, long Leaves, long Pages, long UserPages, long PagesAboveFloor)
{
    public static Tally operator +(Tally a, Tally b) =>
        new(a.Tables + b.Tables, a.Leaves + b.Leaves, a.Pages + b.Pages, a.UserPages + b.UserPages, a.PagesAboveFloor + b.PagesAboveFloor);

    /// <summary>The tally of <paramref name="count"/> references to the same subtree.</summary>
    public Tally Times(long count) =>
        new(Tables * count, Leaves * count, Pages * count, UserPages * count, PagesAboveFloor * count);

    public static Tally OfLeaf(DecodedEntry leaf, ulong ramFloor) =>
        new(0, 1, leaf.Pages, leaf.User ? leaf.Pages : 0, leaf.Address >= ramFloor ? leaf.Pages : 0);
}

/// <summary>
/// The bounded validation walk of one mode (rules.md §3). Each (table, level) is decoded at most once and walked at
/// most once (both memoised, failures too), and levels strictly decrease, so cyclic or garbage tables cost at most
/// pages x levels decodes. A table is good iff every nonzero entry decodes and every child is good.
/// </summary>
internal sealed class TableWalker(PagingMode mode, ImagePages pages)
{
    /// <summary>Consecutive entries pointing to one child: a child once per run, so tables repeating a pointer cost little.</summary>
    private readonly record struct ChildRun(ulong Address, int Count);

    private sealed class Node(bool bad, ChildRun[] children, Tally own)
    {
        /// <summary>Outside the image, or an entry that decodes as Bad.</summary>
        public bool Bad { get; } = bad;

        public ChildRun[] Children { get; } = children;

        /// <summary>The table itself and its own leaves.</summary>
        public Tally Own { get; } = own;

        public bool Walked { get; set; }

        public bool Good { get; set; }

        public Tally Subtree { get; set; }
    }

    /// <summary>Leaves an identity sample looks at, at most.</summary>
    private const int IdentitySampleLimit = 256;

    /// <summary>Table entries the identity samples of one scan read, over all roots: real images read a few thousand.</summary>
    private const int SampleEntryBudget = 1 << 25;

    private static readonly Node Rejected = new(true, [], default) { Walked = true };

    private readonly Dictionary<ulong, Node> _nodes = [];
    private readonly List<ChildRun> _children = [];
    private int _sampleEntriesLeft = SampleEntryBudget;

    public PagingMode Mode { get; } = mode;

    public ImagePages Pages { get; } = pages;

    /// <summary>Table pages read and decoded (not those outside the image).</summary>
    public int TablesDecoded { get; private set; }

    /// <summary>Walks the subtree of the table at <paramref name="address"/> read at <paramref name="level"/>.</summary>
    /// <returns>Whether it is good; <paramref name="subtree"/> is its tally when it is.</returns>
    public bool TryWalk(ulong address, int level, out Tally subtree)
    {
        var node = Decode(address, level);
        if (!node.Walked)
        {
            node.Good = WalkChildren(node, level, out var total);
            node.Subtree = total;
            node.Walked = true;
        }
        subtree = node.Subtree;
        return node.Good;
    }

    private bool WalkChildren(Node node, int level, out Tally total)
    {
        total = node.Own;
        if (node.Bad)
            return false;
        // Breadth first: every child's shape before any grandchild is read, so garbage one level down is found cheaply.
        foreach (var child in node.Children)
        {
            if (Decode(child.Address, level - 1).Bad)
                return false;
        }
        foreach (var child in node.Children)
        {
            if (!TryWalk(child.Address, level - 1, out var subtree))
                return false;
            total += subtree.Times(child.Count);
        }
        return true;
    }

    private Node Decode(ulong address, int level)
    {
        // Table addresses are page-aligned in every mode, so the level fits in the low bits of the key.
        ref var node = ref CollectionsMarshal.GetValueRefOrAddDefault(_nodes, address | (uint)level, out bool known);
        if (!known)
            node = DecodeTable(address, level);
        return node!;
    }

    private Node DecodeTable(ulong address, int level)
    {
        if (Mode.Table(Pages, address) is not { } entries)
            return Rejected;
        TablesDecoded++;
        _children.Clear();
        var own = new Tally(1, 0, 0, 0, 0);
        ulong previous = 0;
        var decoded = DecodedEntry.Bad;
        for (int i = 0; i < entries.Count; i++)
        {
            ulong entry = entries[i];
            if (entry == 0)
                continue;
            if (entry != previous) // repeated entries (forged or filler pages) decode once
                decoded = Mode.Decode(previous = entry, level);
            switch (decoded.Kind)
            {
                case DecodedKind.Table:
                    // A pointer at the last level (RISC-V can write one) leads nowhere the walk goes.
                    if (level > 1)
                        AddChild(decoded.Address);
                    break;
                case DecodedKind.Leaf:
                    own += Tally.OfLeaf(decoded, Pages.RamFloor);
                    break;
                case DecodedKind.Bad:
                    return Rejected;
            }
        }
        return new Node(false, _children.ToArray(), own);
    }

    private void AddChild(ulong address)
    {
        if (_children.Count > 0 && _children[^1].Address == address)
            _children[^1] = _children[^1] with { Count = _children[^1].Count + 1 };
        else
            _children.Add(new ChildRun(address, 1));
    }

    /// <summary>
    /// Samples up to 256 leaves under the root entries [0, <paramref name="end"/>) in index order:
    /// how many map VA == PA (VA from the indices, not sign-extended: meant for low identity maps). Only good
    /// subtrees with leaves are entered, so a sample reads at most 257 x levels tables however the tables repeat; a
    /// budget of entry reads shared by all the roots of the scan bounds forged images with many thousands of roots.
    /// </summary>
    public (int Identity, int Sampled) SampleIdentity(ulong root, ulong[] rootEntries, int end)
    {
        var sample = new IdentitySample(IdentitySampleLimit);
        ulong rootPage = root & ~ImagePages.PageMask;
        for (int i = 0; i < end && !sample.Full && _sampleEntriesLeft > 0; i++)
        {
            if (rootEntries[i] == 0)
                continue;
            var decoded = Mode.Decode(rootEntries[i], Mode.Levels);
            ulong va = (ulong)i << Mode.IndexShift(Mode.Levels);
            if (decoded.Kind == DecodedKind.Leaf)
                sample.Add(decoded.Address == va);
            else if (decoded.Kind == DecodedKind.Table && decoded.Address != rootPage) // a self-map slot is not walked
                SampleTable(decoded.Address, Mode.Levels - 1, va, ref sample);
        }
        return (sample.Identity, sample.Sampled);
    }

    private void SampleTable(ulong address, int level, ulong va, ref IdentitySample sample)
    {
        if (!TryWalk(address, level, out var subtree) || subtree.Leaves == 0)
            return;
        var entries = Mode.Table(Pages, address)!.Value;
        for (int i = 0; i < entries.Count && !sample.Full && _sampleEntriesLeft-- > 0; i++)
        {
            ulong entry = entries[i];
            if (entry == 0)
                continue;
            var decoded = Mode.Decode(entry, level);
            ulong entryVa = va + ((ulong)i << Mode.IndexShift(level));
            if (decoded.Kind == DecodedKind.Leaf)
                sample.Add(decoded.Address == entryVa);
            else if (decoded.Kind == DecodedKind.Table && level > 1)
                SampleTable(decoded.Address, level - 1, entryVa, ref sample);
        }
    }

    private struct IdentitySample(int limit)
    {
        public int Identity { get; private set; }

        public int Sampled { get; private set; }

        public readonly bool Full => Sampled >= limit;

        public void Add(bool identity)
        {
            Sampled++;
            if (identity)
                Identity++;
        }
    }
}
