using System;
using System.Numerics;
using CsCheck;
using Walkers.Tests.Support;

namespace Walkers.Tests.Differential;

/// <summary>
/// The generated, unrolled walkers against the table-driven <see cref="ReferenceWalker"/> (the mini-os algorithm)
/// on random page tables and random ranges: same visitor calls (va, level, isLeaf, entry address), in the same
/// order, same return value, same memory afterwards.
/// </summary>
public sealed class WalkDifferentialTests
{
    public const int Iterations = 600;

    private static Gen<(ImageSpec Image, WalkRange Range)> Case(LevelTable layout) =>
        Gen.Select(ImageGen.Image(layout), ImageGen.Range(layout));

    [Theory]
    [MemberData(nameof(LayoutCases.All), MemberType = typeof(LayoutCases))]
    public void Walk_makes_the_same_calls_and_returns_the_same_value_as_the_reference(string layout) =>
        LayoutCases.Run(layout, new PlainWalk());

    private sealed class PlainWalk : ILayoutTest
    {
        public void Run<TEntry, TLayout>()
            where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
            where TLayout : struct, IPageTableLayout<TEntry>
        {
            var levels = TLayout.LevelTable;
            var stats = new WalkStats();
            Case(levels).Sample((image, range) =>
            {
                var reference = WalkRunner.Reference<TEntry, TLayout>(image, range, VisitorPolicy.None, tree: false);
                var generated = WalkRunner.Generated<TEntry, TLayout>(image, range, VisitorPolicy.None, tree: false);
                WalkRunner.AssertSame(reference, generated, WalkRunner.Describe(range, image));
                Assert.DoesNotContain(generated.Calls, c => c.Leave);
                WalkInvariants.AssertAscendingInsideRange(levels, range, generated.Calls);
                stats.Add(generated.Calls);
            }, iter: Iterations);
            stats.AssertMeaningful(Iterations);
        }
    }

    [Theory]
    [MemberData(nameof(LayoutCases.All), MemberType = typeof(LayoutCases))]
    public void WalkTree_makes_the_same_pre_and_post_order_calls_as_the_reference(string layout) =>
        LayoutCases.Run(layout, new TreeWalk());

    private sealed class TreeWalk : ILayoutTest
    {
        public void Run<TEntry, TLayout>()
            where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
            where TLayout : struct, IPageTableLayout<TEntry>
        {
            var levels = TLayout.LevelTable;
            Case(levels).Sample((image, range) =>
            {
                var reference = WalkRunner.Reference<TEntry, TLayout>(image, range, VisitorPolicy.None, tree: true);
                var generated = WalkRunner.Generated<TEntry, TLayout>(image, range, VisitorPolicy.None, tree: true);
                WalkRunner.AssertSame(reference, generated, WalkRunner.Describe(range, image));
                WalkInvariants.AssertLeavesNest(generated.Calls);
            }, iter: Iterations);
        }
    }

    [Theory]
    [MemberData(nameof(LayoutCases.All), MemberType = typeof(LayoutCases))]
    public void WalkLeafRuns_hands_over_exactly_the_level_1_entries_of_a_tree_walk_in_the_same_order(string layout) =>
        LayoutCases.Run(layout, new RunWalk());

    /// <summary>The bulk leaf mode, its runs taken apart, against the reference's tree walk; visitors rewrite entries too.</summary>
    private sealed class RunWalk : ILayoutTest
    {
        public void Run<TEntry, TLayout>()
            where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
            where TLayout : struct, IPageTableLayout<TEntry>
        {
            var levels = TLayout.LevelTable;
            var policy = Gen.Frequency((2, Gen.Const(VisitorPolicy.None)),
                (1, Gen.Select(Gen.Int[1, 6], Gen.ULong, (modulus, seed) => new VisitorPolicy(RewriteModulus: modulus, Seed: seed))));
            Gen.Select(Case(levels), policy).Sample((test, visitorPolicy) =>
            {
                var (image, range) = test;
                var reference = WalkRunner.Reference<TEntry, TLayout>(image, range, visitorPolicy, tree: true);
                var runs = WalkRunner.GeneratedRuns<TEntry, TLayout>(image, range, visitorPolicy);
                WalkRunner.AssertSame(reference, runs, WalkRunner.Describe(range, image));
            }, iter: Iterations);
        }
    }

    [Theory]
    [MemberData(nameof(LayoutCases.All), MemberType = typeof(LayoutCases))]
    public void Visitor_rewriting_entries_sees_the_same_calls_and_leaves_the_same_memory_in_both_walkers(string layout) =>
        LayoutCases.Run(layout, new RewritingWalk());

    private sealed class RewritingWalk : ILayoutTest
    {
        public void Run<TEntry, TLayout>()
            where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
            where TLayout : struct, IPageTableLayout<TEntry>
        {
            var policy = Gen.Select(Gen.Int[1, 6], Gen.Int[0, 4], Gen.ULong,
                (modulus, installs, seed) => new VisitorPolicy(RewriteModulus: modulus, MaxInstalls: installs, Seed: seed));
            int rewrote = 0, installed = 0;
            Gen.Select(Case(TLayout.LevelTable), policy, Gen.Bool).Sample((c, p, tree) =>
            {
                var reference = WalkRunner.Reference<TEntry, TLayout>(c.Image, c.Range, p, tree);
                var generated = WalkRunner.Generated<TEntry, TLayout>(c.Image, c.Range, p, tree);
                WalkRunner.AssertSame(reference, generated, WalkRunner.Describe(c.Range, p, tree ? "WalkTree" : "Walk", c.Image));
                if (generated.Rewrites > 0) System.Threading.Interlocked.Increment(ref rewrote);
                if (generated.Installs > 0) System.Threading.Interlocked.Increment(ref installed);
            }, iter: Iterations);
            // The property only means something if visitors did rewrite entries and install tables.
            Assert.True(rewrote > Iterations / 4, $"only {rewrote} of {Iterations} walks rewrote an entry");
            Assert.True(installed > Iterations / 20, $"only {installed} of {Iterations} walks installed a table");
        }
    }

    [Theory]
    [MemberData(nameof(LayoutCases.All), MemberType = typeof(LayoutCases))]
    public void Visitor_stopping_at_the_kth_call_stops_both_walkers_there_with_its_value(string layout) =>
        LayoutCases.Run(layout, new StoppingWalk());

    private sealed class StoppingWalk : ILayoutTest
    {
        public void Run<TEntry, TLayout>()
            where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
            where TLayout : struct, IPageTableLayout<TEntry>
        {
            var stopValue = Gen.Frequency(
                (1, Gen.OneOf(1, -1, int.MaxValue, int.MinValue + 1)),
                (2, Gen.Int.Where(v => v != 0 && v != WalkControl.SkipSubtree)));
            Gen.Select(Case(TLayout.LevelTable), Gen.Double[0, 1], stopValue, Gen.Bool).Sample((c, fraction, value, tree) =>
            {
                var all = WalkRunner.Reference<TEntry, TLayout>(c.Image, c.Range, VisitorPolicy.None, tree);
                if (all.Calls.Count == 0 || all.Result == VisitorPolicy.CapValue)
                    return; // nothing to stop (range outside the space, or root outside memory)
                bool inLeave = tree && fraction < 0.3 && all.Calls.Exists(x => x.Leave);
                int leaves = all.Calls.FindAll(x => x.Leave).Count;
                int visits = all.Calls.Count - leaves;
                int k = 1 + (int)(fraction * (inLeave ? leaves : visits)) % (inLeave ? leaves : visits);
                var policy = inLeave ? new VisitorPolicy(LeaveStopAt: k, StopValue: value) : new VisitorPolicy(StopAt: k, StopValue: value);
                var reference = WalkRunner.Reference<TEntry, TLayout>(c.Image, c.Range, policy, tree);
                var generated = WalkRunner.Generated<TEntry, TLayout>(c.Image, c.Range, policy, tree);
                string context = WalkRunner.Describe(c.Range, policy, c.Image);
                WalkRunner.AssertSame(reference, generated, context);
                Assert.Equal(value, generated.Result);
                Assert.Equal(k, generated.Calls.FindAll(x => x.Leave == inLeave).Count);
                Assert.Equal(inLeave, generated.Calls[^1].Leave); // the stopping call was the last one
            }, iter: Iterations);
        }
    }

    [Theory]
    [MemberData(nameof(LayoutCases.All), MemberType = typeof(LayoutCases))]
    public void SkipSubtree_skips_the_same_subtrees_in_both_walkers_and_is_never_returned(string layout) =>
        LayoutCases.Run(layout, new SkippingWalk());

    private sealed class SkippingWalk : ILayoutTest
    {
        public void Run<TEntry, TLayout>()
            where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
            where TLayout : struct, IPageTableLayout<TEntry>
        {
            var policy = Gen.Select(Gen.Int[1, 5], Gen.ULong, (m, seed) => new VisitorPolicy(SkipModulus: m, Seed: seed));
            Gen.Select(Case(TLayout.LevelTable), policy, Gen.Bool).Sample((c, p, tree) =>
            {
                var reference = WalkRunner.Reference<TEntry, TLayout>(c.Image, c.Range, p, tree);
                var generated = WalkRunner.Generated<TEntry, TLayout>(c.Image, c.Range, p, tree);
                WalkRunner.AssertSame(reference, generated, WalkRunner.Describe(c.Range, p, c.Image));
                Assert.NotEqual(WalkControl.SkipSubtree, generated.Result);
                if (p.SkipModulus == 1) // every Visit says skip: no table is entered, so only top-level entries are seen
                    Assert.All(generated.Calls, x => Assert.Equal(TLayout.Levels, x.Level));
            }, iter: Iterations);
        }
    }
}
