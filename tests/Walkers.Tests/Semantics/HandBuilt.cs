using System.Collections.Generic;
using System.Linq;
using System.Numerics;
using Walkers.Tests.Support;

namespace Walkers.Tests.Semantics;

/// <summary>Helpers for tests on hand-built tables: expected calls, and all four walks (generated/reference x Walk/WalkTree).</summary>
public static class HandBuilt
{
    public const ulong P = 0x1, RW = 0x2, PS = 0x80;

    public static Call V(ulong va, int level, bool leaf, ulong entry) => new(false, va, level, leaf, entry);

    public static Call L(ulong va, int level, ulong entry) => new(true, va, level, false, entry);

    public static EntryWrite Root(int index, ulong value) => new(-1, index, value);

    public static EntryWrite At(int frame, int index, ulong value) => new(frame, index, value);

    public static ImageSpec Spec(int frames, params EntryWrite[] writes) => new(0, frames, 2, 0, writes);

    /// <summary>Generated and reference walkers, Walk and WalkTree, make exactly <paramref name="expectedTree"/> (Leaves dropped for Walk) and return 0.</summary>
    public static void AssertWalks<TEntry, TLayout>(ImageSpec spec, ulong from, ulong to, params Call[] expectedTree)
        where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
        where TLayout : struct, IPageTableLayout<TEntry>
    {
        var range = new WalkRange(from, to, "hand-built");
        foreach (bool tree in new[] { false, true })
        {
            var expected = tree ? expectedTree.ToList() : expectedTree.Where(c => !c.Leave).ToList();
            var generated = WalkRunner.Generated<TEntry, TLayout>(spec, range, VisitorPolicy.None, tree);
            var reference = WalkRunner.Reference<TEntry, TLayout>(spec, range, VisitorPolicy.None, tree);
            Assert.Equal(expected, generated.Calls);
            Assert.Equal(expected, reference.Calls);
            Assert.Equal(0, generated.Result);
            Assert.Equal(0, reference.Result);
        }
    }

    /// <summary>The calls the patch's walk_pt makes on the same tables.</summary>
    public static List<Call> Seed<TEntry, TLayout>(ImageSpec spec, ulong from, ulong to)
        where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
        where TLayout : struct, IPageTableLayout<TEntry>
    {
        using var image = new Image(spec, TLayout.LevelTable);
        var session = new Session<TEntry>(image, TLayout.LevelTable, VisitorPolicy.None);
        var visitor = new SessionVisitor<TEntry>(session);
        SeedWalker.WalkPt<TEntry, SessionVisitor<TEntry>>(TLayout.LevelTable, image.View, image.Root, from, to, ref visitor);
        return session.Calls;
    }
}
