using BenchmarkDotNet.Attributes;
using Walkers.Layouts;

namespace Walkers.Benchmarks;

/// <summary>
/// W3: 1M translations of mapped addresses in random order; W5: the same addresses sorted. One translation per
/// address through TryTranslate (the baseline), the same through GetEntry and through the layout's translator
/// (software TLB), TranslateMany over the whole array; each writes every result to the same output array.
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


    // Every variant writes each address's translation to Output, as TranslateMany does: the same work, the same
    // memory traffic (the 8 MiB of results compete with the tables for the cache).

    [Benchmark(Baseline = true, Description = "TryTranslate each")]
    public void TryTranslate()
    {
        var memory = Space.View;
        ulong root = Space.Root;
        ulong[] addresses = Addresses, output = Output;
        for (int i = 0; i < addresses.Length; i++)
            output[i] = TLayout.TryTranslate(memory, root, addresses[i], out ulong pa) ? pa : PageTables<TLayout, ulong>.NotMapped;
    }

    [Benchmark(Description = "GetEntry each")]
    public void GetEntry()
    {
        var memory = Space.View;
        ulong root = Space.Root;
        ulong[] addresses = Addresses, output = Output;
        for (int i = 0; i < addresses.Length; i++)
        {
            ulong* entry = TLayout.GetEntry(memory, root, addresses[i]);
            output[i] = entry != null ? *entry : 0;
        }
    }

    [Benchmark(Description = "translator (software TLB), each")]
    public void Translator() => TranslateEach(Addresses, Output);

    /// <summary>The layout's generated translator (a nested type of each layout) over the addresses.</summary>
    protected abstract void TranslateEach(ulong[] addresses, ulong[] output);

    protected static void Each<TTranslator>(TTranslator translator, ulong[] addresses, ulong[] output)
        where TTranslator : struct, IAddressTranslator
    {
        for (int i = 0; i < addresses.Length; i++)
            output[i] = translator.TryTranslate(addresses[i], out ulong pa) ? pa : PageTables<TLayout, ulong>.NotMapped;
    }

    [Benchmark(Description = "TranslateMany, whole array")]
    public ulong TranslateMany() => (ulong)PageTables<TLayout, ulong>.TranslateMany(Space.View, Space.Root, Addresses, Output);
}

public class X86_64Translate : TranslateWorkloads<X86_64.Layout>
{
    protected override void TranslateEach(ulong[] addresses, ulong[] output) => Each(X86_64.Layout.CreateTranslator(Space.View, Space.Root), addresses, output);

    [Benchmark(Description = "hand-written unrolled C# translator")]
    public void HandWritten()
    {
        var memory = Space.View;
        ulong root = Space.Root;
        ulong[] addresses = Addresses, output = Output;
        for (int i = 0; i < addresses.Length; i++)
            output[i] = HandWrittenX86_64.TryTranslate(memory, root, addresses[i], out ulong pa) ? pa : PageTables<X86_64.Layout, ulong>.NotMapped;
    }
}

public class Arm64_4K_48Translate : TranslateWorkloads<Arm64_4K_48.Layout>
{
    protected override void TranslateEach(ulong[] addresses, ulong[] output) => Each(Arm64_4K_48.Layout.CreateTranslator(Space.View, Space.Root), addresses, output);
}

public class Sv39Translate : TranslateWorkloads<Sv39.Layout>
{
    protected override void TranslateEach(ulong[] addresses, ulong[] output) => Each(Sv39.Layout.CreateTranslator(Space.View, Space.Root), addresses, output);
}
