using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Walkers.Generator.Model;

namespace Walkers.Generator;

/// <summary>
/// Symbols in, model or diagnostics out. Every check happens here; the emitter trusts the model.
/// Values the compiler itself rejects (type errors, missing constructor arguments) are left to the
/// compiler's own error: the layout is then simply not generated.
/// </summary>
internal static class Parser
{
    private const int MinLevels = 2;
    private const int MaxLevels = 5;
    private const int MaxEntries = 1 << 16;

    /// <summary>
    /// The members the emitter adds to the user's type (entry points and the nested <c>Layout</c> struct): a type
    /// with one of these names would not compile (CS0542), so it gets WALK0001 instead. A test keeps this in sync with the emitter.
    /// </summary>
    internal static readonly ImmutableHashSet<string> GeneratedMemberNames = ImmutableHashSet.Create(
        "Layout", "LevelTable", "Walk", "WalkTree", "GetEntry", "TryTranslate", "Map", "Unmap", "Protect", "Mappings", "TranslateMany");

    public static ParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var diagnostics = new List<DiagnosticInfo>();
        if (context.TargetSymbol is not INamedTypeSymbol type || context.TargetNode is not TypeDeclarationSyntax declaration)
            return new ParseResult(null, EquatableArray<DiagnosticInfo>.Empty);

        // [PageTable] twice on one type (e.g. on two partial declarations) is the compiler's CS0579; generating
        // for each declaration would add the same file twice.
        if (type.GetAttributes().Count(a => a.AttributeClass?.ToDisplayString() == WalkersGenerator.PageTableAttributeName) > 1)
            return new ParseResult(null, EquatableArray<DiagnosticInfo>.Empty);

        var pageTable = context.Attributes.FirstOrDefault();
        var pageTableSyntax = pageTable?.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;
        var typeLocation = LocationInfo.From(declaration.Identifier.GetLocation());
        var attributeLocation = pageTableSyntax is null ? typeLocation : LocationInfo.From(pageTableSyntax.GetLocation());

        var containing = CheckType(type, declaration, typeLocation, diagnostics);

        var values = new AttributeValues(pageTable, pageTableSyntax, attributeLocation);
        var levels = ReadLevels(type, cancellationToken);
        if (pageTable is null || values.HasCompilerError || levels.Any(l => l.HasCompilerError))
            return new ParseResult(null, diagnostics.ToEquatableArray());

        int vaBits = values.Int("VirtualAddressBits", 0);
        bool signExtend = values.Bool("SignExtend");
        int entryBits = values.Int("EntryBits", 64);
        ulong presentMask = values.ULong("PresentMask");
        ulong addressMask = values.ULong("AddressMask");
        int addressShift = values.Int("AddressShift", 0);
        ulong tableMask = values.ULong("TableMask");
        ulong tableValue = values.ULong("TableValue");

        bool levelsUsable = CheckLevels(levels, attributeLocation, diagnostics);
        if (levelsUsable)
            CheckChain(levels, vaBits, values, diagnostics);

        if (entryBits is not (32 or 64))
            diagnostics.Add(Error(DiagnosticDescriptors.BadValue, values.Location("EntryBits"), $"EntryBits is {entryBits}; entries are 32 or 64 bits wide"));
        else
            CheckMasks(values, entryBits, presentMask, addressMask, tableMask, tableValue, levels, diagnostics);
        if (addressShift is < 0 or > 32)
            diagnostics.Add(Error(DiagnosticDescriptors.BadValue, values.Location("AddressShift"), $"AddressShift is {addressShift}; it must be between 0 and 32"));

        if (diagnostics.Count > 0 || containing is null)
            return new ParseResult(null, diagnostics.ToEquatableArray());

        var layout = new LayoutSpec(
            type.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() : null,
            containing.ToEquatableArray(),
            Declaration(declaration, type),
            vaBits, signExtend, entryBits, presentMask, addressMask, addressShift, tableMask, tableValue,
            levels.OrderBy(l => l.Level).Select(l => new LevelSpec(l.Level, l.Shift, l.Entries, l.Prot, LeafAllowed: l.Leaf || l.Level == 1)).ToEquatableArray(),
            attributeLocation);
        return new ParseResult(layout, EquatableArray<DiagnosticInfo>.Empty);
    }

    /// <summary>Adds WALK0008 when the project does not allow unsafe code (generated walkers use pointers).</summary>
    public static ParseResult RequireUnsafe(ParseResult result, bool allowUnsafe)
    {
        if (allowUnsafe || result.Layout is null)
            return result;
        var diagnostic = new DiagnosticInfo(DiagnosticDescriptors.UnsafeNotEnabled.Id, result.Layout.AttributeLocation,
            new[] { result.Layout.Type.Name }.ToEquatableArray());
        return new ParseResult(null, result.Diagnostics.Items.Add(diagnostic).ToEquatableArray());
    }

    /// <summary>The containing type declarations, outermost first; null when the type cannot be extended.</summary>
    private static List<TypeDeclarationSpec>? CheckType(INamedTypeSymbol type, TypeDeclarationSyntax declaration, LocationInfo location, List<DiagnosticInfo> diagnostics)
    {
        string? problem = null;
        if (!declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
            problem = "it is not partial";
        else if (type.Arity > 0) // not IsGenericType: that is also true inside a generic containing type
            problem = "it is generic";
        else if (declaration is InterfaceDeclarationSyntax)
            problem = "it is an interface";
        else if (GeneratedMemberNames.Contains(type.Name))
            problem = $"the generator adds a member named '{type.Name}' to it, and a member cannot have its type's name";

        var containing = new List<TypeDeclarationSpec>();
        var outerSymbol = type.ContainingType;
        foreach (var outer in declaration.Ancestors().OfType<TypeDeclarationSyntax>())
        {
            if (outerSymbol is null)
                break;
            if (problem is null && !outer.Modifiers.Any(SyntaxKind.PartialKeyword))
                problem = $"its containing type '{outerSymbol.Name}' is not partial";
            else if (problem is null && outerSymbol.Arity > 0)
                problem = $"its containing type '{outerSymbol.Name}' is generic";
            containing.Insert(0, Declaration(outer, outerSymbol));
            outerSymbol = outerSymbol.ContainingType;
        }

        if (problem is null)
            return containing;
        diagnostics.Add(Error(DiagnosticDescriptors.TypeNotPartial, location, type.Name, problem));
        return null;
    }

    private static TypeDeclarationSpec Declaration(TypeDeclarationSyntax syntax, INamedTypeSymbol symbol)
    {
        string keyword = syntax switch
        {
            RecordDeclarationSyntax record => record.ClassOrStructKeyword.IsKind(SyntaxKind.StructKeyword) ? "record struct" : "record",
            StructDeclarationSyntax => "struct",
            InterfaceDeclarationSyntax => "interface",
            _ => "class",
        };
        if (symbol.IsRefLikeType)
            keyword = "ref " + keyword;
        return new TypeDeclarationSpec(keyword, symbol.Name, symbol.IsStatic);
    }

    private static List<LevelValues> ReadLevels(INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        var levels = new List<LevelValues>();
        foreach (var attribute in type.GetAttributes())
        {
            if (attribute.AttributeClass?.ToDisplayString() != WalkersGenerator.PageLevelAttributeName)
                continue;
            var syntax = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;
            var location = syntax is null ? default : LocationInfo.From(syntax.GetLocation());
            var values = new AttributeValues(attribute, syntax, location);
            int level = 0;
            bool hasLevel = attribute.ConstructorArguments.Length == 1 && values.TryInt(attribute.ConstructorArguments[0], out level);
            levels.Add(new LevelValues(
                hasLevel ? level : 0,
                values.Int("Shift", 0), values.Int("Entries", 0), values.ULong("Prot"), values.Bool("Leaf"),
                values, !hasLevel || values.HasCompilerError));
        }
        return levels;
    }

    private static bool CheckLevels(List<LevelValues> levels, LocationInfo attributeLocation, List<DiagnosticInfo> diagnostics)
    {
        int before = diagnostics.Count;
        foreach (var level in levels)
        {
            if (level.Entries < 2 || level.Entries > MaxEntries || (level.Entries & (level.Entries - 1)) != 0)
                diagnostics.Add(Error(DiagnosticDescriptors.EntriesNotPowerOfTwo, level.Values.Location("Entries"), level.Level.ToString(), level.Entries.ToString()));
            if (level.Shift is < 1 or > 62)
                diagnostics.Add(Error(DiagnosticDescriptors.BadValue, level.Values.Location("Shift"), $"Level {level.Level} has shift {level.Shift}; a shift is between 1 and 62"));
        }

        if (levels.Count is < MinLevels or > MaxLevels)
        {
            var location = levels.Count > MaxLevels ? levels[MaxLevels].Values.PositionalLocation(0) : attributeLocation;
            diagnostics.Add(Error(DiagnosticDescriptors.LevelCount, location, levels.Count.ToString()));
        }

        var seen = new HashSet<int>();
        foreach (var level in levels)
        {
            if (!seen.Add(level.Level))
                diagnostics.Add(Error(DiagnosticDescriptors.LevelNumbering, level.Values.PositionalLocation(0), $"Level {level.Level} is described twice"));
        }
        var sorted = levels.GroupBy(l => l.Level).Select(g => g.First()).OrderBy(l => l.Level).ToList();
        for (int i = 0; i < sorted.Count; i++)
        {
            if (sorted[i].Level == i + 1)
                continue;
            string message = i == 0
                ? $"The lowest level is {sorted[i].Level}; levels are numbered from 1 (the pages) up to N (the root table)"
                : $"Level {sorted[i].Level} follows level {sorted[i - 1].Level}; levels must be numbered 1..N without gaps";
            diagnostics.Add(Error(DiagnosticDescriptors.LevelNumbering, sorted[i].Values.PositionalLocation(0), message));
            break;
        }
        return diagnostics.Count == before;
    }

    private static void CheckChain(List<LevelValues> levels, int vaBits, AttributeValues pageTable, List<DiagnosticInfo> diagnostics)
    {
        var sorted = levels.OrderBy(l => l.Level).ToList();
        for (int i = 1; i < sorted.Count; i++)
        {
            var below = sorted[i - 1];
            int expected = below.Shift + Log2(below.Entries);
            if (sorted[i].Shift != expected)
            {
                diagnostics.Add(Error(DiagnosticDescriptors.ShiftsDoNotChain, sorted[i].Values.Location("Shift"),
                    sorted[i].Level.ToString(), sorted[i].Shift.ToString(), below.Level.ToString(), below.Shift.ToString(), below.Entries.ToString(), expected.ToString()));
                return;
            }
        }
        var top = sorted[sorted.Count - 1];
        int covered = top.Shift + Log2(top.Entries);
        if (covered != vaBits || vaBits > 63)
            diagnostics.Add(Error(DiagnosticDescriptors.VirtualAddressBits, pageTable.Location("VirtualAddressBits"),
                vaBits.ToString(), top.Shift.ToString(), top.Entries.ToString(), covered > 63 ? covered + " (more than 63)" : covered.ToString()));
    }

    private static void CheckMasks(AttributeValues values, int entryBits, ulong present, ulong address, ulong table, ulong tableValue,
        List<LevelValues> levels, List<DiagnosticInfo> diagnostics)
    {
        ulong entryMask = entryBits == 64 ? ulong.MaxValue : (1UL << entryBits) - 1;
        void Report(string argument, string message) =>
            diagnostics.Add(Error(DiagnosticDescriptors.BadMask, values.Location(argument), message));

        if (present == 0)
            Report("PresentMask", "PresentMask is empty: no entry could ever be present");
        else if ((present & ~entryMask) != 0)
            Report("PresentMask", $"PresentMask 0x{present:X} has bits beyond the {entryBits}-bit entry");
        if (address == 0)
            Report("AddressMask", "AddressMask is empty: entries would hold no address");
        else if ((address & ~entryMask) != 0)
            Report("AddressMask", $"AddressMask 0x{address:X} has bits beyond the {entryBits}-bit entry");
        else if ((present & address) != 0)
            Report("AddressMask", $"AddressMask 0x{address:X} overlaps PresentMask 0x{present:X}");
        if ((table & address) != 0)
            Report("TableMask", $"TableMask 0x{table:X} overlaps AddressMask 0x{address:X}");
        else if ((table & ~entryMask) != 0)
            Report("TableMask", $"TableMask 0x{table:X} has bits beyond the {entryBits}-bit entry");
        if ((tableValue & ~table) != 0)
            Report("TableValue", $"TableValue 0x{tableValue:X} has bits outside TableMask 0x{table:X}: no entry could be a table");
        if (table == 0 && levels.FirstOrDefault(l => l.Leaf && l.Level > 1) is { } leafLevel)
            Report("TableMask", $"TableMask is empty, so every present entry is a table, but level {leafLevel.Level} allows leaves");
    }

    private static int Log2(int value)
    {
        int bits = 0;
        while (bits < 31 && (1 << bits) < value)
            bits++;
        return bits;
    }

    private static DiagnosticInfo Error(DiagnosticDescriptor descriptor, LocationInfo location, params string[] arguments) =>
        new(descriptor.Id, location, arguments.ToEquatableArray());

    private sealed record LevelValues(int Level, int Shift, int Entries, ulong Prot, bool Leaf, AttributeValues Values, bool HasCompilerError);

    /// <summary>Typed access to one attribute's arguments, and the location of each argument for diagnostics.</summary>
    private sealed class AttributeValues(AttributeData? attribute, AttributeSyntax? syntax, LocationInfo fallback)
    {
        private readonly ImmutableArray<KeyValuePair<string, TypedConstant>> _named =
            attribute?.NamedArguments ?? ImmutableArray<KeyValuePair<string, TypedConstant>>.Empty;

        public bool HasCompilerError { get; private set; } =
            attribute is null
            || attribute.AttributeClass is null or IErrorTypeSymbol
            || attribute.ConstructorArguments.Any(a => a.Kind == TypedConstantKind.Error)
            || (attribute.NamedArguments).Any(a => a.Value.Kind == TypedConstantKind.Error);

        public int Int(string name, int missing)
        {
            if (!TryGet(name, out var constant))
                return missing;
            if (TryInt(constant, out int value))
                return value;
            HasCompilerError = true;
            return missing;
        }

        public ulong ULong(string name)
        {
            if (!TryGet(name, out var constant))
                return 0;
            switch (constant.Value)
            {
                case ulong u: return u;
                case long l when l >= 0: return (ulong)l;
                case int i when i >= 0: return (ulong)i;
                case uint u: return u;
                default:
                    HasCompilerError = true;
                    return 0;
            }
        }

        public bool Bool(string name) => TryGet(name, out var constant) && constant.Value is true;

        public bool TryInt(TypedConstant constant, out int value)
        {
            switch (constant.Value)
            {
                case int i: value = i; return true;
                default: value = 0; return false;
            }
        }

        private bool TryGet(string name, out TypedConstant constant)
        {
            foreach (var pair in _named)
            {
                if (pair.Key == name)
                {
                    constant = pair.Value;
                    return true;
                }
            }
            constant = default;
            return false;
        }

        /// <summary>The named argument's expression, else the whole attribute.</summary>
        public LocationInfo Location(string name)
        {
            var argument = syntax?.ArgumentList?.Arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.ValueText == name);
            return argument is null ? fallback : LocationInfo.From(argument.Expression.GetLocation());
        }

        public LocationInfo PositionalLocation(int position)
        {
            var arguments = syntax?.ArgumentList?.Arguments.Where(a => a.NameEquals is null && a.NameColon is null).ToList();
            return arguments is not null && arguments.Count > position ? LocationInfo.From(arguments[position].GetLocation()) : fallback;
        }
    }
}
