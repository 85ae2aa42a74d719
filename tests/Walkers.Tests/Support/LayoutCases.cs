using System;
using System.Collections.Generic;
using System.Linq;
using System.Numerics;
using Walkers.Layouts;

namespace Walkers.Tests.Support;

/// <summary>A test body that is generic over one layout (entry type and generated layout struct).</summary>
public interface ILayoutTest
{
    void Run<TEntry, TLayout>()
        where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
        where TLayout : struct, IPageTableLayout<TEntry>;
}

/// <summary>
/// Every generated table format, by name, for theories: each ready layout (each half of those with two roots) and
/// the test-only ones.
/// </summary>
public static class LayoutCases
{
    private static readonly Dictionary<string, LayoutHandle> Handles =
        ReadyLayouts.All.Select(l => l.Lower).Concat(ReadyLayouts.All.Where(l => l.Upper is not null).Select(l => l.Upper!))
            .Append(LayoutHandle.Of<AArch64AsWritten.Layout, ulong>("test-aarch64-as-written"))
            .ToDictionary(h => h.Name);

    public static TheoryData<string> All
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var name in Handles.Keys)
                data.Add(name);
            return data;
        }
    }

    public static LayoutHandle Handle(string name) =>
        Handles.TryGetValue(name, out var handle) ? handle : throw new ArgumentOutOfRangeException(nameof(name), name, "Unknown layout.");

    public static void Run(string layout, ILayoutTest test) => Handle(layout).Accept(new Adapter(test));

    private sealed class Adapter(ILayoutTest test) : ILayoutAction<bool>
    {
        public bool Run<TLayout, TEntry>()
            where TLayout : struct, IPageTableLayout<TEntry>
            where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
        {
            test.Run<TEntry, TLayout>();
            return true;
        }
    }
}
