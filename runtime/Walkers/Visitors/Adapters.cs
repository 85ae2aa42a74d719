using System;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Walkers;

/// <summary>The visitor as a delegate, for callers who do not need the last nanosecond.</summary>
public unsafe delegate int PageTableVisit<TEntry>(ulong va, int level, bool isLeaf, TEntry* entry)
    where TEntry : unmanaged;

/// <summary>Adapts a <see cref="PageTableVisit{TEntry}"/> delegate to a visitor.</summary>
public readonly unsafe struct DelegateVisitor<TEntry>(PageTableVisit<TEntry> visit) : IPageTableVisitor<TEntry>
    where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
{
    private readonly PageTableVisit<TEntry> _visit = visit ?? throw new ArgumentNullException(nameof(visit));

    public int Visit(ulong va, int level, bool isLeaf, TEntry* entry) => _visit(va, level, isLeaf, entry);
}

/// <summary>
/// Adapts an unmanaged function pointer with the C shape of the seed's callback:
/// <c>int func(uint64_t va, int level, int is_leaf, void *pte, void *par)</c>.
/// </summary>
public readonly unsafe struct FunctionPointerVisitor<TEntry>(
    delegate* unmanaged<ulong, int, int, void*, void*, int> function, void* parameter) : IPageTableVisitor<TEntry>
    where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
{
    public int Visit(ulong va, int level, bool isLeaf, TEntry* entry) =>
        function(va, level, isLeaf ? 1 : 0, entry, parameter);
}

/// <summary>
/// Runs a plain visitor through a tree walk: <see cref="Leave"/> does nothing and folds away. Lets one walker
/// body serve both <c>Walk</c> and <c>WalkTree</c>.
/// </summary>
public unsafe ref struct WithoutLeave<TEntry, TVisitor> : IPageTableTreeVisitor<TEntry>
    where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
    where TVisitor : IPageTableVisitor<TEntry>, allows ref struct
{
    public TVisitor Inner;

    public WithoutLeave(TVisitor inner) => Inner = inner;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Visit(ulong va, int level, bool isLeaf, TEntry* entry) => Inner.Visit(va, level, isLeaf, entry);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly int Leave(ulong va, int level, TEntry* entry) => 0;
}
