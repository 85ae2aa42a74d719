using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Walkers.Generator.Model;

/// <summary>Everything the emitter needs for one annotated type; no symbols, so it compares by value.</summary>
internal sealed record LayoutSpec(
    string? Namespace,
    EquatableArray<TypeDeclarationSpec> ContainingTypes,
    TypeDeclarationSpec Type,
    int VirtualAddressBits,
    bool SignExtend,
    int EntryBits,
    ulong PresentMask,
    ulong AddressMask,
    int AddressShift,
    ulong TableMask,
    ulong TableValue,
    EquatableArray<LevelSpec> Levels, // level 1 first
    LocationInfo AttributeLocation)
{
    public string EntryType => EntryBits == 32 ? "uint" : "ulong";

    public int EntryBytes => EntryBits / 8;

    public int TopLevel => Levels.Length;

    public LevelSpec Level(int level) => Levels[level - 1];
}

/// <summary>One level: the mini-os ptdata row.</summary>
internal readonly record struct LevelSpec(int Level, int Shift, int Entries, ulong Prot, bool LeafAllowed)
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
