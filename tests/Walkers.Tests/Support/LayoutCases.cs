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

/// <summary>The generated layouts (x86 from samples/Layouts, and the test-only ones), by name, for theories.</summary>
public static class LayoutCases
{
    public static TheoryData<string> All => new()
    {
        "X86_64", "X86_64La57", "X86Pae", "X86Legacy", "X86LegacyNoPse", // samples/Layouts
        "RiscVSv39", "RiscVSv32", "AArch64Granule4K",                   // Support/TestLayouts.cs
    };

    public static void Run(string layout, ILayoutTest test)
    {
        switch (layout)
        {
            case "X86_64": test.Run<ulong, X86_64.Layout>(); break;
            case "X86_64La57": test.Run<ulong, X86_64La57.Layout>(); break;
            case "X86Pae": test.Run<ulong, X86Pae.Layout>(); break;
            case "X86Legacy": test.Run<uint, X86Legacy.Layout>(); break;
            case "X86LegacyNoPse": test.Run<uint, X86LegacyNoPse.Layout>(); break;
            case "RiscVSv39": test.Run<ulong, RiscVSv39.Layout>(); break;
            case "RiscVSv32": test.Run<uint, RiscVSv32.Layout>(); break;
            case "AArch64Granule4K": test.Run<ulong, AArch64Granule4K.Layout>(); break;
            default: throw new ArgumentOutOfRangeException(nameof(layout), layout, "Unknown layout.");
        }
    }
}
