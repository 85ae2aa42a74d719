using BenchmarkDotNet.Attributes;
using Walkers.Layouts;

namespace Walkers.Benchmarks;

/// <summary>
/// W3: 1M translations of mapped addresses in random order; W5: the same addresses sorted. One translation per
/// address through TryTranslate (the baseline), the same through GetEntry, TranslateMany over the whole array.
/// </summary>
public abstract unsafe class TranslateWorkloads<TLayout>
    where TLayout : struct, IPageTableLayout<ulong>
{
    protected SyntheticSpace<TLayout> Space = null!;
    protected ulong[] Output = null!;

    [Params("random", "sorted")]
    public string Order { get; set; } = "random";

    protected ulong[] Addresses => Order == "sorted" ? Space.SortedAddresses : Space.RandomAddresses;

    [GlobalSetup]
    public void Setup()
    {
        Space = SyntheticSpace<TLayout>.Shared;
        Output = new ulong[Space.RandomAddresses.Length];
    }


    [Benchmark(Baseline = true, Description = "TryTranslate each")]
    public ulong TryTranslate()
    {
        ulong sum = 0;
        var memory = Space.View;
        ulong root = Space.Root;
        foreach (ulong va in Addresses)
        {
            TLayout.TryTranslate(memory, root, va, out ulong pa);
            sum += pa;
        }
        return sum;
    }

    [Benchmark(Description = "GetEntry each")]
    public ulong GetEntry()
    {
        ulong sum = 0;
        var memory = Space.View;
        ulong root = Space.Root;
        foreach (ulong va in Addresses)
        {
            ulong* entry = TLayout.GetEntry(memory, root, va);
            if (entry != null)
                sum += *entry;
        }
        return sum;
    }

    [Benchmark(Description = "translator (software TLB), each")]
    public ulong Translator() => TranslateEach(Addresses);

    /// <summary>The layout's generated translator (a nested type of each layout) over the addresses.</summary>
    protected abstract ulong TranslateEach(ulong[] addresses);

    protected static ulong Each<TTranslator>(TTranslator translator, ulong[] addresses)
        where TTranslator : struct, IAddressTranslator
    {
        ulong sum = 0;
        foreach (ulong va in addresses)
        {
            translator.TryTranslate(va, out ulong pa);
            sum += pa;
        }
        return sum;
    }

    [Benchmark(Description = "TranslateMany, whole array")]
    public ulong TranslateMany() => (ulong)PageTables<TLayout, ulong>.TranslateMany(Space.View, Space.Root, Addresses, Output);
}

public class X86_64Translate : TranslateWorkloads<X86_64.Layout>
{
    protected override ulong TranslateEach(ulong[] addresses) => Each(X86_64.Layout.CreateTranslator(Space.View, Space.Root), addresses);

    [Benchmark(Description = "hand-written unrolled C# translator")]
    public ulong HandWritten()
    {
        ulong sum = 0;
        var memory = Space.View;
        ulong root = Space.Root;
        foreach (ulong va in Addresses)
        {
            HandWrittenX86_64.TryTranslate(memory, root, va, out ulong pa);
            sum += pa;
        }
        return sum;
    }
}

public class Arm64_4K_48Translate : TranslateWorkloads<Arm64_4K_48.Layout>
{
    protected override ulong TranslateEach(ulong[] addresses) => Each(Arm64_4K_48.Layout.CreateTranslator(Space.View, Space.Root), addresses);
}

public class Sv39Translate : TranslateWorkloads<Sv39.Layout>
{
    protected override ulong TranslateEach(ulong[] addresses) => Each(Sv39.Layout.CreateTranslator(Space.View, Space.Root), addresses);
}
