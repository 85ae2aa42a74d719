using System;
using System.Numerics;
using Walkers.Layouts;

namespace Walkers.Tests.Support;

/// <summary>A test body that is generic over one layout (entry type and generated layout struct).</summary>
public interface ILayoutTest
{
    void Run<TEntry, TLayout>()
        where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
        where TLayout : IPageTableLayout<TEntry>;
}

/// <summary>The generated x86 layouts of samples/Layouts, by name, for theories.</summary>
public static class LayoutCases
{
    public static TheoryData<string> All => new() { "X86_64", "X86_64La57", "X86Pae", "X86Legacy", "X86LegacyNoPse" };

    public static void Run(string layout, ILayoutTest test)
    {
        switch (layout)
        {
            case "X86_64": test.Run<ulong, X86_64.Layout>(); break;
            case "X86_64La57": test.Run<ulong, X86_64La57.Layout>(); break;
            case "X86Pae": test.Run<ulong, X86Pae.Layout>(); break;
            case "X86Legacy": test.Run<uint, X86Legacy.Layout>(); break;
            case "X86LegacyNoPse": test.Run<uint, X86LegacyNoPse.Layout>(); break;
            default: throw new ArgumentOutOfRangeException(nameof(layout), layout, "Unknown layout.");
        }
    }
}
