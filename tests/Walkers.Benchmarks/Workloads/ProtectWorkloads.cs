using BenchmarkDotNet.Attributes;
using Walkers.Layouts;

namespace Walkers.Benchmarks;

/// <summary>
/// W4: protect the 1 GiB window of 4 KiB pages read-only and restore it (two passes per operation): the seed port
/// with a set_readonly visitor (the baseline), the generated walker with the same visitor, and the ready Protect.
/// </summary>
public abstract unsafe class ProtectWorkloads<TLayout>
    where TLayout : struct, IPageTableLayout<ulong>
{
    protected SyntheticSpace<TLayout> Space = null!;

    protected const ulong From = SyntheticSpace<TLayout>.WindowStart, Size = SyntheticSpace<TLayout>.WindowSize, To = From + Size - 1;

    /// <summary>The write-permission bit in level-1 form.</summary>
    protected abstract ulong Writable { get; }

    /// <summary>Whether the bit grants (x86, RISC-V) or denies (AArch64 AP[2]) writes.</summary>
    protected virtual bool BitDeniesWrites => false;

    [GlobalSetup]
    public void Setup() => Space = SyntheticSpace<TLayout>.Shared;


    private (ulong Clear, ulong Set) ReadOnly => BitDeniesWrites ? (0, Writable) : (Writable, 0);

    [Benchmark(Baseline = true, Description = "W4 seed port, set_readonly visitor, protect + restore")]
    public void SeedPort()
    {
        var (clear, set) = ReadOnly;
        var readOnly = new FlagToggle<TLayout>(clear, set);
        Walkers.Tests.Support.SeedWalker.WalkPt<ulong, FlagToggle<TLayout>>(TLayout.LevelTable, Space.View, Space.Root, From, To, ref readOnly);
        var restore = new FlagToggle<TLayout>(set, clear);
        Walkers.Tests.Support.SeedWalker.WalkPt<ulong, FlagToggle<TLayout>>(TLayout.LevelTable, Space.View, Space.Root, From, To, ref restore);
    }

    [Benchmark(Description = "W4 generated walker, set_readonly visitor, protect + restore")]
    public void Generated()
    {
        var (clear, set) = ReadOnly;
        var readOnly = new FlagToggle<TLayout>(clear, set);
        TLayout.Walk(Space.View, Space.Root, From, To, ref readOnly);
        var restore = new FlagToggle<TLayout>(set, clear);
        TLayout.Walk(Space.View, Space.Root, From, To, ref restore);
    }

    [Benchmark(Description = "W4 ready Protect, protect + restore")]
    public void Protect()
    {
        var (clear, set) = ReadOnly;
        PageTables<TLayout, ulong>.Protect(Space.View, Space.Memory, Space.Root, From, Size, clear, set).ThrowIfFailed();
        PageTables<TLayout, ulong>.Protect(Space.View, Space.Memory, Space.Root, From, Size, set, clear).ThrowIfFailed();
    }
}

public class X86_64Protect : ProtectWorkloads<X86_64.Layout>
{
    protected override ulong Writable => 0x2;

    [Benchmark(Description = "W4 hand-written walker, set_readonly visitor, protect + restore")]
    public void HandWritten()
    {
        var readOnly = new FlagToggle<X86_64.Layout>(Writable, 0);
        HandWrittenX86_64.Walk(Space.View, Space.Root, From, To, ref readOnly);
        var restore = new FlagToggle<X86_64.Layout>(0, Writable);
        HandWrittenX86_64.Walk(Space.View, Space.Root, From, To, ref restore);
    }
}

public class Arm64_4K_48Protect : ProtectWorkloads<Arm64_4K_48.Layout>
{
    protected override ulong Writable => 1UL << 7; // AP[2]: read-only when set
    protected override bool BitDeniesWrites => true;
}

public class Sv39Protect : ProtectWorkloads<Sv39.Layout>
{
    protected override ulong Writable => 1UL << 2; // W
}
