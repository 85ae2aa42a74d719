using System.Runtime.CompilerServices;

namespace Walkers;

/// <summary>
/// Virtual address arithmetic shared by the generated walkers and the reference walker. Walks run over
/// linear addresses (the low <c>bits</c> bits); the visitor sees canonical ones.
/// </summary>
public static class VirtualRange
{
    /// <summary>
    /// Clips the inclusive range [from, to] to the addresses that exist and turns both ends into linear
    /// addresses. For a sign-extending layout the non-canonical hole is dropped: an end inside it moves to
    /// the nearest canonical address within the range. False when nothing is left.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryClip(int bits, bool signExtend, ref ulong from, ref ulong to)
    {
        if (from > to)
            return false;
        ulong linearMask = bits >= 64 ? ulong.MaxValue : (1UL << bits) - 1;
        if (!signExtend)
        {
            if (from > linearMask)
                return false;
            if (to > linearMask)
                to = linearMask;
            return true;
        }
        ulong lowLast = (1UL << (bits - 1)) - 1;
        ulong highFirst = ~lowLast;
        if (from > lowLast && from < highFirst)
            from = highFirst;
        if (to > lowLast && to < highFirst)
            to = lowLast;
        if (from > to)
            return false;
        from &= linearMask;
        to &= linearMask;
        return true;
    }

    /// <summary>The canonical form of a linear address: sign-extended from bit <c>bits - 1</c> when the layout says so.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Canonical(ulong linear, int bits, bool signExtend) =>
        signExtend ? (ulong)((long)(linear << (64 - bits)) >> (64 - bits)) : linear;

    /// <summary>True when <paramref name="va"/> exists in the layout's address space.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsCanonical(ulong va, int bits, bool signExtend) =>
        signExtend ? Canonical(va, bits, true) == va : bits >= 64 || va >> bits == 0;
}
