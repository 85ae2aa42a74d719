using System;
using System.Numerics;

namespace Walkers;

/// <summary>
/// Code generic over a layout, run for a layout chosen at run time (<see cref="LayoutHandle.Accept{TResult}"/>): the
/// JIT still specialises <see cref="Run{TLayout, TEntry}"/> for the layout struct, so a tool picks a layout from a
/// register once and then walks at full speed.
/// </summary>
public interface ILayoutAction<out TResult>
{
    TResult Run<TLayout, TEntry>()
        where TLayout : struct, IPageTableLayout<TEntry>
        where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>;
}

/// <summary>A generated layout struct as a value: its name, its <see cref="LevelTable"/>, and a way to run generic code over it.</summary>
public abstract class LayoutHandle
{
    private protected LayoutHandle(string name) => Name = name;

    /// <summary>A short name (<c>x86-64</c>, <c>sv39</c>, <c>arm64-4k-48</c>...).</summary>
    public string Name { get; }

    public abstract LevelTable Table { get; }

    /// <summary>The layout struct's type (e.g. <c>X86_64.Layout</c>).</summary>
    public abstract Type LayoutType { get; }

    public abstract TResult Accept<TResult>(ILayoutAction<TResult> action);

    public static LayoutHandle Of<TLayout, TEntry>(string name)
        where TLayout : struct, IPageTableLayout<TEntry>
        where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry> =>
        new Handle<TLayout, TEntry>(name);

    public override string ToString() => Name;

    private sealed class Handle<TLayout, TEntry>(string name) : LayoutHandle(name)
        where TLayout : struct, IPageTableLayout<TEntry>
        where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
    {
        public override LevelTable Table => TLayout.LevelTable;

        public override Type LayoutType => typeof(TLayout);

        public override TResult Accept<TResult>(ILayoutAction<TResult> action)
        {
            ArgumentNullException.ThrowIfNull(action);
            return action.Run<TLayout, TEntry>();
        }
    }
}
