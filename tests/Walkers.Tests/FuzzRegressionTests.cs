using Walkers.Layouts;

namespace Walkers.Tests;

/// <summary>
/// Defects the fuzz campaigns (tests/Walkers.Fuzz, docs/fuzzing.md) found in the runtime, each pinned with a minimal
/// reproducer. A test here failed before its defect was fixed; the fuzz target counts the defect apart (KnownDefect)
/// so that campaigns go on finding others.
/// </summary>
public sealed unsafe class FuzzRegressionTests
{
    private const ulong P = 0x1, RW = 0x2;

    private struct Counter : IPageTableVisitor<ulong>
    {
        public long Visits;

        public int Visit(ulong va, int level, bool isLeaf, ulong* entry)
        {
            Visits++;
            return 0;
        }
    }

    /// <summary>
    /// D1 (fixed: a table is counted in when the walk enters it): the one rule for tables that repeat is "a walk visits at most levels x the entries of the distinct
    /// tables it entered", but the limit also credits every table that a table entry points to outside memory, which
    /// the walk never enters. A root whose entries loop back to itself, beside entries pointing to distinct
    /// addresses outside memory, earns levels x entries per such entry: here 4 x 512 x 257 visits instead of
    /// 4 x 512, and a 1 MiB image can buy ~2^28 visits (and as many ptdump lines) this way.
    /// The fix: the limit counts a table in on the walk's first visit one level below the table entry, so a table
    /// outside memory (never entered) earns nothing.
    /// </summary>
    [Fact]
    public void D1_tables_outside_memory_earn_the_limit_no_visits()
    {
        using var memory = new SimulatedMemory(8192);
        ulong root = memory.AllocateTable();
        ulong* table = (ulong*)memory.Pointer(root, 4096);
        // Outside tables first: the walk meets (and the limit credited) all of them before the loop uses the allowance.
        for (int i = 0; i < 256; i++)
            table[i] = (0x1_0000_0000UL + (ulong)i * 0x1000) | P | RW;     // tables outside memory, each distinct
        for (int i = 256; i < 512; i++)
            table[i] = root | P | RW;                                      // a self-loop

        var counter = new Counter();
        var limit = new WalkLimit();
        int result = X86_64.Walk(memory.View, root, 0, ulong.MaxValue, ref counter, limit);

        Assert.Equal(WalkControl.Limited, result);
        Assert.Equal(WalkStop.Repeats, limit.Stop);
        // One table entered (the root): 4 levels x 512 entries.
        Assert.True(counter.Visits <= 4 * 512, $"visited {counter.Visits} entries; the rule allows {4 * 512} (the limit counted {limit.DistinctTables} distinct tables)");
    }
}
