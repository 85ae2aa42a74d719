using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Walkers.Generator.Model;

/// <summary>Which addresses a layout's root tables cover (the runtime's AddressHalf, plus a layout with two roots).</summary>
internal enum AddressShape
{
    /// <summary>[0, 2^bits), one root.</summary>
    Low,
    /// <summary>Sign-extended from the top bit, one root for both halves (x86-64, RISC-V).</summary>
    SignExtended,
    /// <summary>A lower half [0, 2^bits) and an upper half [2^64 - 2^bits, 2^64), each with its own root (AArch64).</summary>
    Split,
}

/// <summary>Everything the emitter needs for one annotated type; no symbols, so it compares by value.</summary>
internal sealed record LayoutSpec(
    string? Namespace,
    EquatableArray<TypeDeclarationSpec> ContainingTypes,
    TypeDeclarationSpec Type,
    int VirtualAddressBits,
    AddressShape Shape,
    bool TopByteIgnoreLower,
    bool TopByteIgnoreUpper,
    int EntryBits,
    ulong PresentMask,
    AddressField Address,
    AddressField HighAddress,
    ulong TableMask,
    ulong TableValue,
    bool Strict,
    ulong FaultMask,
    ulong FaultValue,
    bool AlignedLeaves,
    AddressField Root,
    AddressField RootHigh,
    EquatableArray<InheritSpec> Inherits,
    EquatableArray<LevelSpec> Levels, // level 1 first
    LocationInfo AttributeLocation)
{
    public string EntryType => EntryBits == 32 ? "uint" : "ulong";

    public int EntryBytes => EntryBits / 8;

    public int TopLevel => Levels.Length;

    public LevelSpec Level(int level) => Levels[level - 1];

    /// <summary>Every address bit of an entry.</summary>
    public ulong AllAddressBits => Address.Mask | HighAddress.Mask;

    /// <summary>Table bits that are not present bits: what a huge leaf flips so it stops looking like a table.</summary>
    public ulong TableMarker => TableMask & ~PresentMask;
}

/// <summary>A bit field that holds address bits: <c>(value &amp; Mask) &lt;&lt; Shift</c>. A zero mask is no field.</summary>
internal readonly record struct AddressField(ulong Mask, int Shift)
{
    public bool IsEmpty => Mask == 0;

    public ulong Decode(ulong value) => (value & Mask) << Shift;

    public ulong Encode(ulong address) => (address >> Shift) & Mask;
}

/// <summary>One [Inherit] rule: the table entries' <see cref="TableBit"/> combines with the leaf's <see cref="Bit"/> by <see cref="Op"/>.</summary>
internal readonly record struct InheritSpec(int Bit, InheritKind Op, int TableBit);

/// <summary>The runtime's InheritOp, by value.</summary>
internal enum InheritKind
{
    And = 0,
    Or = 1,
    AndNot = 2,
}

/// <summary>One level: the mini-os ptdata row, with its leaf rule.</summary>
internal readonly record struct LevelSpec(int Level, int Shift, int Entries, ulong Prot, bool LeafAllowed,
    ulong LeafMask, ulong LeafValue, bool NoPermissions)
{
    public int IndexBits
    {
        get
        {
            int bits = 0;
            while ((1 << bits) < Entries)
                bits++;
            return bits;
        }
    }

    public ulong PageSize => 1UL << Shift;
}

/// <summary>How to re-open a (containing) type declaration: <c>partial {Keyword} {Name}</c>.</summary>
internal readonly record struct TypeDeclarationSpec(string Keyword, string Name, bool IsStatic);

/// <summary>A location without a syntax tree reference, so diagnostics can live in the cached model.</summary>
internal readonly record struct LocationInfo(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
{
    public Location ToLocation() => Location.Create(FilePath, Span, LineSpan);

    public static LocationInfo From(Location location)
    {
        var lineSpan = location.GetLineSpan();
        return new LocationInfo(lineSpan.Path ?? "", location.SourceSpan, lineSpan.Span);
    }
}

/// <summary>A diagnostic to report, by descriptor id, location and message arguments (all equatable).</summary>
internal readonly record struct DiagnosticInfo(string Id, LocationInfo Location, EquatableArray<string> Arguments);

/// <summary>What the parser makes of one annotated type: a layout to emit, or diagnostics, or both empty.</summary>
internal sealed record ParseResult(LayoutSpec? Layout, EquatableArray<DiagnosticInfo> Diagnostics);
