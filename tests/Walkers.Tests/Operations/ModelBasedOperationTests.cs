using System;
using System.Collections.Generic;
using System.Linq;
using System.Numerics;
using System.Threading;
using CsCheck;
using Xunit.Sdk;

namespace Walkers.Tests.Operations;

/// <summary>One random step: map, unmap or protect a page range of the test window.</summary>
public sealed record Op(int Kind, ulong Page, ulong Pages, ulong PhysicalBase, ulong Flags, bool Overwrite, bool Smallest, ulong Clear, ulong Set, bool Free)
{
    public const int MapKind = 0, UnmapKind = 1, ProtectKind = 2;

    public override string ToString() => Kind switch
    {
        MapKind => $"Map(page {Page}, {Pages} pages, pa base 0x{PhysicalBase:x}, flags 0x{Flags:x}{(Overwrite ? ", overwrite" : "")}{(Smallest ? ", smallest" : "")})",
        UnmapKind => $"Unmap(page {Page}, {Pages} pages{(Free ? ", free" : "")})",
        _ => $"Protect(page {Page}, {Pages} pages, clear 0x{Clear:x}, set 0x{Set:x})",
    };
}

/// <summary>
/// Random sequences of map / unmap / protect, checked against a dictionary (page -> frame, flags) after every
/// step: the merged listing, single translations and TranslateMany all agree with the model; at the end,
/// unmapping everything with freeing on gives every table back.
/// </summary>
public sealed class ModelBasedOperationTests
{
    // 100 sequences x 100 steps = 10,000 operations per 4 KiB layout in the default run; larger granules have larger
    // windows (two level-2 pages each) and proportionally fewer sequences, so every layout costs about the same.
    private const int StepsPerSequence = 100;

    /// <summary>Pages in the test window: two level-2 pages (and at least 2048: two legacy 4 MiB pages).</summary>
    private static ulong WindowPages<TLayout, TEntry>()
        where TLayout : struct, IPageTableLayout<TEntry>
        where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry> =>
        2 * Math.Max(1024UL, (ulong)TLayout.Entries(1));

    private static int Sequences(ulong windowPages) => Math.Max(15, (int)(100 * 2048 / windowPages));

    [Theory]
    [MemberData(nameof(OperationLayouts.All), MemberType = typeof(OperationLayouts))]
    public void Random_map_unmap_protect_sequences_agree_with_a_dictionary_model_and_free_every_table(string layout) =>
        OperationLayouts.Run(layout, new ModelTest());

    private sealed class ModelTest : IOperationsTest
    {
        public void Run<TLayout, TEntry>()
            where TLayout : struct, IPageTableLayout<TEntry>
            where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
        {
            var (flagChoices, maskChoices) = FlagProfile<TLayout, TEntry>();
            ulong windowPages = WindowPages<TLayout, TEntry>();
            ulong big = windowPages / 2, half = big / 2; // pages in a level-2 page (or a legacy 4 MiB one), and half that
            int sequences = Sequences(windowPages);
            // Offsets and lengths lean towards level-2 boundaries so huge pages come and go.
            var genAligned = Gen.ULong[0, windowPages / big - 1].Select(p => p * big);
            var genPage = Gen.OneOf(Gen.ULong[0, windowPages - 1], Gen.ULong[0, windowPages / half - 1].Select(p => p * half), genAligned, genAligned);
            var genBig = Gen.ULong[1, 2].Select(n => n * big);
            var genPages = Gen.OneOf(Gen.ULong[1, 16], Gen.ULong[1, 4].Select(n => n * half), genBig, genBig, Gen.ULong[1, windowPages]);
            ulong pageBytes = 1UL << TLayout.PageShift;
            var genBase = Gen.OneOf(Gen.ULong[0, 63].Select(n => n * big * pageBytes), Gen.ULong[0, 0xFFFF].Select(n => n * pageBytes));
            var genOp = Gen.Select(Gen.Int[0, 3], genPage, genPages, genBase, Gen.OneOf(flagChoices), Gen.Bool, Gen.Bool,
                Gen.Select(Gen.OneOf(maskChoices), Gen.OneOf(maskChoices), Gen.Bool),
                (kind, page, pages, pa, flags, overwrite, smallest, masks) => new Op(
                    kind switch { 0 or 1 => Op.MapKind, 2 => Op.UnmapKind, _ => Op.ProtectKind },
                    page, Math.Min(pages, windowPages - page), pa, flags, overwrite, smallest, masks.Item1, masks.Item2, masks.Item3));
            var stats = new Stats();
            Gen.Select(genOp.Array[StepsPerSequence], Gen.Bool).Sample(t => RunSequence<TLayout, TEntry>(t.Item1, t.Item2, stats), iter: sequences,
                print: t => (t.Item2 ? "high half\n" : "low half\n") + string.Join("\n", t.Item1.Select(o => o.ToString())));
            // Guard against a vacuous property: conflicts, huge pages and splits must actually happen.
            Console.WriteLine($"{typeof(TLayout).DeclaringType!.Name}: {stats}");
            Assert.True(stats.Steps >= sequences * StepsPerSequence, stats.ToString());
            Assert.True(stats.Conflicts > stats.Steps / 50, stats.ToString());
            Assert.True(stats.MappedPages > stats.Steps * (long)windowPages / 20, stats.ToString());
            if (TLayout.LeafAllowed(2))
                Assert.True(stats.StepsWithHugePages > stats.Steps / 200, stats.ToString());
        }
    }

    /// <summary>
    /// Level-1 leaf flags and protect masks that are valid for the layout's entry format: x86 (P, RW, US, A,
    /// D, NX); RISC-V (V plus R, never clearing R, so a huge page stays a leaf); AArch64 (page descriptor
    /// 0b11, AP, AF, UXN, never touching the descriptor type).
    /// </summary>
    private static (ulong[] Flags, ulong[] Masks) FlagProfile<TLayout, TEntry>()
        where TLayout : struct, IPageTableLayout<TEntry>
        where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
    {
        bool wide = typeof(TEntry) == typeof(ulong);
        var table = TLayout.LevelTable;
        if ((table.TableValue & 0x2) != 0) // AArch64 (TableValue 0b10 or 0b11): table and page descriptors 0b11, blocks 0b01
            return ([0x3, 0x403, 0x443, 0x4C3, 0x0040_0000_0000_0403], [0x0, 0x40, 0x80, 0x400, 0x0040_0000_0000_0000]);
        if (table.TableMask == 0xE) // RISC-V: leaf = any of R/W/X
            return ([0x3, 0x7, 0xB, 0xF, 0x13, 0xC3], [0x0, 0x4, 0x8, 0xC, 0x10, 0x40]);
        return wide
            ? ([0x1, 0x3, 0x5, 0x7, 0x23, 0x63, 0x8000_0000_0000_0003], [0x0, 0x2, 0x4, 0x6, 0x20, 0x8000_0000_0000_0000])
            : ([0x1, 0x3, 0x5, 0x7, 0x23, 0x63], [0x0, 0x2, 0x4, 0x6, 0x20]);
    }

    /// <summary>
    /// 8 MiB around a boundary of the root table's entries (2^(bits-2): 1 GiB for 32-bit, 64 TiB for 48-bit);
    /// for sign-extended layouts also its mirror in the high half.
    /// </summary>
    private static ulong WindowBase<TLayout, TEntry>(bool highHalf)
        where TLayout : struct, IPageTableLayout<TEntry>
        where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
    {
        ulong boundary = 1UL << (TLayout.VirtualAddressBits - 2);
        ulong half = WindowPages<TLayout, TEntry>() * (1UL << TLayout.PageShift) / 2;
        bool high = TLayout.Half == AddressHalf.High || (highHalf && TLayout.Half == AddressHalf.SignExtended);
        return high ? 0 - boundary - half : boundary - half;
    }

    private sealed class Stats
    {
        public long Steps, Conflicts, StepsWithHugePages, MappedPages;

        public override string ToString() =>
            $"{Steps} steps, {Conflicts} refused as conflicts, {StepsWithHugePages} steps with huge pages mapped, {MappedPages} mapped pages summed over steps";
    }

    private static void RunSequence<TLayout, TEntry>(Op[] ops, bool highHalf, Stats stats)
        where TLayout : struct, IPageTableLayout<TEntry>
        where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
    {
        ulong Page = 1UL << TLayout.PageShift;
        ulong windowPages = WindowPages<TLayout, TEntry>();
        ulong window = WindowBase<TLayout, TEntry>(highHalf);
        using var space = new Space<TLayout, TEntry>();
        var model = new Dictionary<ulong, (ulong Pa, ulong Flags)>();
        var random = new Random((int)(ops.Length == 0 ? 0 : ops[0].Page));
        for (int step = 0; step < ops.Length; step++)
        {
            var op = ops[step];
            ulong va = window + op.Page * Page, size = op.Pages * Page;
            switch (op.Kind)
            {
                case Op.MapKind:
                {
                    ulong pa = op.PhysicalBase + op.Page * Page;
                    var options = (op.Overwrite ? MapOptions.Overwrite : 0) | (op.Smallest ? MapOptions.SmallestPages : 0);
                    bool conflict = !op.Overwrite && Enumerable.Range(0, (int)op.Pages).Any(i => model.ContainsKey(va + (ulong)i * Page));
                    var result = space.Map(va, pa, size, op.Flags, options);
                    if (result.Status != (conflict ? PageTableStatus.AlreadyMapped : PageTableStatus.Success))
                        Fail(step, op, $"result {result}");
                    if (conflict)
                        Interlocked.Increment(ref stats.Conflicts);
                    if (!conflict)
                        for (ulong i = 0; i < op.Pages; i++)
                            model[va + i * Page] = (pa + i * Page, op.Flags);
                    break;
                }
                case Op.UnmapKind:
                {
                    var result = space.Unmap(va, size, op.Free ? UnmapOptions.FreeEmptyTables : UnmapOptions.None);
                    if (!result.Succeeded)
                        Fail(step, op, $"result {result}");
                    for (ulong i = 0; i < op.Pages; i++)
                        model.Remove(va + i * Page);
                    break;
                }
                default:
                {
                    var result = space.Protect(va, size, op.Clear, op.Set);
                    if (!result.Succeeded)
                        Fail(step, op, $"result {result}");
                    for (ulong i = 0; i < op.Pages; i++)
                        if (model.TryGetValue(va + i * Page, out var m))
                            model[va + i * Page] = (m.Pa, (m.Flags & ~op.Clear) | op.Set);
                    break;
                }
            }
            bool huge = CheckAgainstModel(space, model, window, random, step, op);
            Interlocked.Increment(ref stats.Steps);
            Interlocked.Add(ref stats.MappedPages, model.Count);
            if (huge)
                Interlocked.Increment(ref stats.StepsWithHugePages);
        }
        var last = space.Unmap(window, windowPages * Page, UnmapOptions.FreeEmptyTables);
        Assert.True(last.Succeeded, last.ToString());
        Assert.Empty(space.Mappings(0, ulong.MaxValue));
        Assert.Equal(space.Baseline, space.Memory.TablesInUse);
    }

    /// <returns>Whether the listing holds a page larger than level 1.</returns>
    private static bool CheckAgainstModel<TLayout, TEntry>(Space<TLayout, TEntry> space, Dictionary<ulong, (ulong Pa, ulong Flags)> model,
        ulong window, Random random, int step, Op op)
        where TLayout : struct, IPageTableLayout<TEntry>
        where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
    {
        ulong Page = 1UL << TLayout.PageShift;
        ulong windowPages = WindowPages<TLayout, TEntry>();
        // The listing (over the whole space: nothing may exist outside the window) holds exactly the model's pages...
        var runs = space.Mappings(0, ulong.MaxValue);
        long pages = 0;
        for (int r = 0; r < runs.Count; r++)
        {
            var run = runs[r];
            ulong flags = TLayout.PageFlags(run.Flags, run.Level);
            for (ulong offset = 0; offset < run.Size; offset += Page, pages++)
            {
                bool known = model.TryGetValue(run.VirtualAddress + offset, out var m);
                if (!known || m.Pa != run.PhysicalAddress + offset || m.Flags != flags)
                    Fail(step, op, $"listing has 0x{run.VirtualAddress + offset:x} -> 0x{run.PhysicalAddress + offset:x} flags 0x{flags:x} (run {run}); model {(known ? $"0x{m.Pa:x} flags 0x{m.Flags:x}" : "unmapped")}");
            }
            // ...merged as far as it goes.
            if (r > 0)
            {
                var before = runs[r - 1];
                if (before.LastAddress + 1 == run.VirtualAddress && before.PhysicalAddress + before.Size == run.PhysicalAddress
                    && before.Flags == run.Flags && before.Level == run.Level)
                    Fail(step, op, $"runs {before} and {run} should be one");
            }
        }
        if (pages != model.Count)
            Fail(step, op, $"listing has {pages} pages, model {model.Count}");

        // Single and batched translation of sampled addresses (sorted, so neighbours share tables).
        var vas = new ulong[32];
        for (int i = 0; i < vas.Length; i++)
            vas[i] = window + (ulong)random.NextInt64((long)(windowPages * Page));
        Array.Sort(vas);
        var pas = new ulong[vas.Length];
        int mapped = PageTables<TLayout, TEntry>.TranslateMany(space.View, space.Root, vas, pas);
        int expectedMapped = 0;
        for (int i = 0; i < vas.Length; i++)
        {
            ulong? expected = model.TryGetValue(vas[i] & ~(Page - 1), out var m) ? m.Pa | (vas[i] & (Page - 1)) : null;
            expectedMapped += expected.HasValue ? 1 : 0;
            if (space.Translate(vas[i]) != expected)
                Fail(step, op, $"TryTranslate(0x{vas[i]:x}) = {space.Translate(vas[i]):x}, model {expected:x}");
            if (pas[i] != (expected ?? PageTables<TLayout, TEntry>.NotMapped))
                Fail(step, op, $"TranslateMany 0x{vas[i]:x} -> 0x{pas[i]:x}, model {expected:x}");
        }
        if (mapped != expectedMapped)
            Fail(step, op, $"TranslateMany counted {mapped} mapped, model {expectedMapped}");
        return runs.Exists(r => r.Level > 1);
    }

    // Messages are only formatted on failure: the checks run millions of times.
    private static void Fail(int step, Op op, string message) =>
        throw new XunitException($"after step {step} {op}: {message}");
}
