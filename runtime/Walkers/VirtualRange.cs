using System.Runtime.CompilerServices;

namespace Walkers;

/// <summary>
/// Virtual address arithmetic shared by the generated walkers and the reference walker. Walks run over
/// linear addresses (the low <c>bits</c> bits); the visitor sees canonical ones.
/// </summary>
public static class VirtualRange
{
    private const ulong TopByte = 0xFF00_0000_0000_0000;

    /// <summary>
    /// Clips the inclusive range [from, to] to the addresses of one table (<paramref name="half"/>) and turns both
    /// ends into linear addresses. For a sign-extended table the non-canonical hole is dropped: an end inside it
    /// moves to the nearest canonical address within the range. False when nothing is left.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryClip(int bits, AddressHalf half, ref ulong from, ref ulong to)
    {
        if (from > to)
            return false;
        ulong linearMask = bits >= 64 ? ulong.MaxValue : (1UL << bits) - 1;
        switch (half)
        {
            case AddressHalf.Low:
                if (from > linearMask)
                    return false;
                if (to > linearMask)
                    to = linearMask;
                return true;
            case AddressHalf.High:
                if (to < ~linearMask)
                    return false;
                if (from < ~linearMask)
                    from = ~linearMask;
                from &= linearMask;
                to &= linearMask;
                return true;
            default:
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
    }

    /// <summary>The canonical form of a linear address: zero-extended, sign-extended from bit <c>bits - 1</c>, or with every bit above <c>bits</c> set.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Canonical(ulong linear, int bits, AddressHalf half) => half switch
    {
        AddressHalf.SignExtended => (ulong)((long)(linear << (64 - bits)) >> (64 - bits)),
        AddressHalf.High => linear | ~((1UL << bits) - 1),
        _ => linear,
    };

    /// <summary>True when <paramref name="va"/> is an address of a table covering <paramref name="half"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsCanonical(ulong va, int bits, AddressHalf half) => half switch
    {
        AddressHalf.SignExtended => Canonical(va, bits, half) == va,
        AddressHalf.High => (va | ((1UL << bits) - 1)) == ulong.MaxValue,
        _ => bits >= 64 || va >> bits == 0,
    };

    /// <summary>
    /// <paramref name="va"/> with its top byte made canonical for <paramref name="half"/> when the half ignores it
    /// (AArch64 TBI): cleared for a lower half, set for an upper one.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Untag(ulong va, AddressHalf half, bool ignoresTopByte) =>
        !ignoresTopByte ? va : half == AddressHalf.High ? va | TopByte : va & ~TopByte;
}
