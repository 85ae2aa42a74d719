using System.Collections.Immutable;
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

/// <summary>
/// A diagnostic to report, by descriptor id, location and message arguments (all equatable). <see cref="Properties"/>
/// are "key=value" pairs for the code fixes (DiagnosticDescriptors.Properties names the keys).
/// </summary>
internal readonly record struct DiagnosticInfo(string Id, LocationInfo Location, EquatableArray<string> Arguments, EquatableArray<string> Properties = default)
{
    public DiagnosticInfo WithProperty(string key, string value) => this with { Properties = Properties.Items.Add(key + "=" + value).ToEquatableArray() };

    public ImmutableDictionary<string, string?> PropertyMap()
    {
        var map = ImmutableDictionary<string, string?>.Empty;
        foreach (var pair in Properties)
        {
            int at = pair.IndexOf('=');
            if (at > 0)
                map = map.SetItem(pair.Substring(0, at), pair.Substring(at + 1));
        }
        return map;
    }
}

/// <summary>
/// What the parser makes of one annotated type: a layout to emit; or diagnostics, with a <see cref="Stub"/> when the
/// type can take one (so uses of the type show only the WALK diagnostic, not CS0117); or all empty.
/// </summary>
internal sealed record ParseResult(LayoutSpec? Layout, EquatableArray<DiagnosticInfo> Diagnostics, StubSpec? Stub = null);

/// <summary>
/// A type whose layout has errors (or that this compilation cannot compile walkers for): StubEmitter gives it the
/// members the walker would have, each throwing, so that only the WALK diagnostic shows at its uses.
/// </summary>
/// <param name="EntryBits">32 or 64 (64 when the layout's value is unusable).</param>
/// <param name="UpperHalf">The layout asked for an upper half: entry points over two roots, and an UpperLayout.</param>
/// <param name="AllowUnsafe">The project allows unsafe code: the stub may use pointers (GetEntry).</param>
/// <param name="AttributeLocation">The [PageTable] attribute, where WALK0008 and WALK0014 point.</param>
/// <param name="ImplementsInterfaces">The language and runtime can compile the layout interface (static abstract members, allows ref struct).</param>
/// <param name="NullableAnnotations">The project's C# has nullable annotations (C# 8 and later).</param>
internal sealed record StubSpec(
    string? Namespace,
    EquatableArray<TypeDeclarationSpec> ContainingTypes,
    TypeDeclarationSpec Type,
    int EntryBits,
    bool UpperHalf,
    LocationInfo AttributeLocation,
    bool AllowUnsafe = true,
    bool ImplementsInterfaces = true,
    bool NullableAnnotations = true)
{
    public string EntryType => EntryBits == 32 ? "uint" : "ulong";

    public static StubSpec From(LayoutSpec layout) =>
        new(layout.Namespace, layout.ContainingTypes, layout.Type, layout.EntryBits, layout.Shape == AddressShape.Split, layout.AttributeLocation);
}
