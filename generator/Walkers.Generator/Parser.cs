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
    /// The members the emitter adds to the user's type (entry points and the nested <c>Layout</c> structs): a type
    /// with one of these names would not compile (CS0542), so it gets WALK0001 instead. Taken from the stub's member
    /// lists (StubEmitter), which a test keeps in sync with the emitter.
    /// </summary>
    internal static readonly ImmutableHashSet<string> GeneratedMemberNames =
        StubEmitter.EntryPoints.Select(m => m.Name).Concat(StubEmitter.LayoutTypes.Select(t => t.Name)).ToImmutableHashSet();

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
        string? ns = type.ContainingNamespace is { IsGlobalNamespace: false } containingNamespace ? containingNamespace.ToDisplayString() : null;
        // A layout that cannot be generated still gets the walker's members (throwing), when its type can take them.
        StubSpec? Stub(int entryBits, bool upperHalf) => containing is null ? null
            : new StubSpec(ns, containing.ToEquatableArray(), Declaration(declaration, type), entryBits == 32 ? 32 : 64, upperHalf, attributeLocation);
        ParseResult Failed(int entryBits = 64, bool upperHalf = false) => new(null, diagnostics.ToEquatableArray(), Stub(entryBits, upperHalf));

        var values = new AttributeValues(pageTable, pageTableSyntax, attributeLocation);
        var levels = ReadLevels(type, cancellationToken);
        if (pageTable is null || values.HasCompilerError || levels.Any(l => l.HasCompilerError))
            return Failed();

        int vaBits = values.Int("VirtualAddressBits", 0);
        bool signExtend = values.Bool("SignExtend");
        bool upperHalf = values.Bool("UpperHalf");
        int topByteIgnore = values.Int("TopByteIgnore", 0);
        int entryBits = values.Int("EntryBits", 64);
        ulong presentMask = values.ULong("PresentMask");
        var address = new AddressField(values.ULong("AddressMask"), values.Int("AddressShift", 0));
        var highAddress = new AddressField(values.ULong("HighAddressMask"), values.Int("HighAddressShift", 0));
        ulong tableMask = values.ULong("TableMask");
        ulong tableValue = values.ULong("TableValue");
        bool strict = values.Bool("Strict");
        ulong faultMask = values.ULong("FaultMask");
        ulong faultValue = values.ULong("FaultValue");
        bool alignedLeaves = values.Bool("AlignedLeaves");
        var rootField = new AddressField(values.ULong("RootMask"), values.Int("RootShift", 0));
        var rootHigh = new AddressField(values.ULong("RootHighMask"), values.Int("RootHighShift", 0));
        var inherits = ReadInherits(type, cancellationToken);
        if (values.HasCompilerError || inherits.Any(i => i.HasCompilerError))
            return Failed(entryBits, upperHalf);

        bool levelsUsable = CheckLevels(levels, vaBits, attributeLocation, diagnostics);
        if (levelsUsable)
            CheckChain(levels, vaBits, values, diagnostics);

        if (entryBits is not (32 or 64))
            diagnostics.Add(Error(DiagnosticDescriptors.BadValue, values.Location("EntryBits"), $"EntryBits is {entryBits}; entries are 32 or 64 bits wide"));
        else
        {
            CheckMasks(values, entryBits, presentMask, address, highAddress, tableMask, tableValue, faultMask, faultValue, levels, diagnostics);
            CheckLeafRules(levels, entryBits, address.Mask | highAddress.Mask, diagnostics);
            CheckInherits(inherits, entryBits, address.Mask | highAddress.Mask, diagnostics);
        }
        CheckShift(values, "AddressShift", address.Shift, 32, diagnostics);
        CheckShift(values, "HighAddressShift", highAddress.Shift, 63, diagnostics);
        CheckShift(values, "RootShift", rootField.Shift, 63, diagnostics);
        CheckShift(values, "RootHighShift", rootHigh.Shift, 63, diagnostics);
        if (!rootHigh.IsEmpty && rootField.IsEmpty)
            diagnostics.Add(Error(DiagnosticDescriptors.BadValue, values.Location("RootHighMask"),
                $"RootHighMask {HexText(rootHigh.Mask)} needs RootMask: with RootMask 0 the root register is taken as the address itself"));
        CheckShape(values, vaBits, signExtend, upperHalf, topByteIgnore, diagnostics);

        if (diagnostics.Count > 0 || containing is null)
            return Failed(entryBits, upperHalf);

        var layout = new LayoutSpec(
            ns,
            containing.ToEquatableArray(),
            Declaration(declaration, type),
            vaBits,
            upperHalf ? AddressShape.Split : signExtend ? AddressShape.SignExtended : AddressShape.Low,
            (topByteIgnore & 1) != 0, (topByteIgnore & 2) != 0,
            entryBits, presentMask, address, highAddress, tableMask, tableValue,
            strict, faultMask, faultValue, alignedLeaves, rootField, rootHigh,
            inherits.Select(i => new InheritSpec(i.Bit, (InheritKind)i.Op, i.TableBit < 0 ? i.Bit : i.TableBit)).ToEquatableArray(),
            levels.OrderBy(l => l.Level).Select(l => new LevelSpec(l.Level, l.Shift, l.Entries, l.Prot, LeafAllowed: l.Leaf || l.Level == 1,
                l.LeafMask, l.LeafValue, l.NoPermissions)).ToEquatableArray(),
            attributeLocation);
        CheckEncodings(layout, levels, diagnostics);
        if (diagnostics.Count > 0)
            return Failed(entryBits, upperHalf);
        return new ParseResult(layout, EquatableArray<DiagnosticInfo>.Empty);
    }

    /// <summary>
    /// What the project must have for generated walkers to compile: unsafe code (WALK0008), C# 13 and a runtime with
    /// static abstract members and ref struct type arguments (WALK0014). Without them the type gets a stub the
    /// project can compile, and only the WALK diagnostic shows. Checked for every type that gets a walker or a stub.
    /// </summary>
    public static ParseResult CheckCompilation(ParseResult result, CompilationFacts facts)
    {
        var stub = result.Stub ?? (result.Layout is { } layout ? StubSpec.From(layout) : null);
        bool languageSupported = (int)facts.LanguageVersion >= (int)DiagnosticDescriptors.MinimumLanguageVersion;
        if (stub is null)
            return result;
        if (facts.AllowUnsafe && languageSupported && facts.RuntimeSupportsWalkers)
            return result;

        var diagnostics = result.Diagnostics.Items.ToBuilder();
        var name = new[] { stub.Type.Name };
        if (!facts.AllowUnsafe)
            diagnostics.Add(new DiagnosticInfo(DiagnosticDescriptors.UnsafeNotEnabled.Id, stub.AttributeLocation, name.ToEquatableArray()));
        if (!languageSupported)
            diagnostics.Add(new DiagnosticInfo(DiagnosticDescriptors.LanguageVersionTooLow.Id, stub.AttributeLocation,
                new[] { stub.Type.Name, "C# 13 or later",
                    $"the project uses C# {VersionText(facts.LanguageVersion)}: set <LangVersion>13</LangVersion> or later in the project (or remove <LangVersion> to use the SDK's default)" }.ToEquatableArray()));
        else if (!facts.RuntimeSupportsWalkers)
            diagnostics.Add(new DiagnosticInfo(DiagnosticDescriptors.LanguageVersionTooLow.Id, stub.AttributeLocation,
                new[] { stub.Type.Name, "a runtime with static abstract interface members and ref struct type arguments",
                    "the target framework has no RuntimeFeature.ByRefLikeGenerics: target .NET 9 or later (the Walkers runtime is built for net10.0)" }.ToEquatableArray()));
        return new ParseResult(null, diagnostics.ToImmutable().ToEquatableArray(),
            stub with
            {
                AllowUnsafe = facts.AllowUnsafe,
                ImplementsInterfaces = languageSupported && facts.RuntimeSupportsWalkers,
                NullableAnnotations = (int)facts.LanguageVersion >= (int)LanguageVersion.CSharp8,
            });
    }

    /// <summary>Whether the target runtime can run generated walkers (the compiler's own test for <c>allows ref struct</c>).</summary>
    public static bool RuntimeSupportsWalkers(Compilation compilation)
    {
        var corLibrary = compilation.GetSpecialType(SpecialType.System_Object).ContainingAssembly;
        if (corLibrary is null)
            return true; // no core library at all: the compiler's own errors say enough
        var features = corLibrary.GetTypeByMetadataName("System.Runtime.CompilerServices.RuntimeFeature");
        return features is not null
            && !features.GetMembers("ByRefLikeGenerics").IsEmpty
            && !features.GetMembers("VirtualStaticsInInterfaces").IsEmpty;
    }

    /// <summary>"12.0", "7.3": LanguageVersion's numbering (1200, 703, 7), without its facts (newer compilers have versions Roslyn 4.14 does not name).</summary>
    internal static string VersionText(LanguageVersion version)
    {
        int value = (int)version;
        return value >= 100 ? $"{value / 100}.{value % 100}" : $"{value}.0";
    }

    /// <summary>The containing type declarations, outermost first; null when the type cannot be extended.</summary>
    private static List<TypeDeclarationSpec>? CheckType(INamedTypeSymbol type, TypeDeclarationSyntax declaration, LocationInfo location, List<DiagnosticInfo> diagnostics)
    {
        string? problem = null;
        bool partialFixes = false;
        if (!declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
            (problem, partialFixes) = ("it is not partial", true);
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
                (problem, partialFixes) = ($"its containing type '{outerSymbol.Name}' is not partial", true);
            else if (problem is null && outerSymbol.Arity > 0)
                problem = $"its containing type '{outerSymbol.Name}' is generic";
            containing.Insert(0, Declaration(outer, outerSymbol));
            outerSymbol = outerSymbol.ContainingType;
        }

        if (problem is null)
            return containing;
        var diagnostic = Error(DiagnosticDescriptors.TypeNotPartial, location, type.Name, problem);
        diagnostics.Add(partialFixes ? diagnostic.WithProperty(DiagnosticDescriptors.Properties.MakePartial, "true") : diagnostic);
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
                values.ULong("LeafMask"), values.ULong("LeafValue"), values.Bool("NoPermissions"),
                values, !hasLevel || values.HasCompilerError));
        }
        return levels;
    }

    private static List<InheritValues> ReadInherits(INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        var rules = new List<InheritValues>();
        foreach (var attribute in type.GetAttributes())
        {
            if (attribute.AttributeClass?.ToDisplayString() != WalkersGenerator.InheritAttributeName)
                continue;
            var syntax = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;
            var location = syntax is null ? default : LocationInfo.From(syntax.GetLocation());
            var values = new AttributeValues(attribute, syntax, location);
            int bit = 0, op = 0;
            bool complete = attribute.ConstructorArguments.Length == 2
                && values.TryInt(attribute.ConstructorArguments[0], out bit) && values.TryInt(attribute.ConstructorArguments[1], out op);
            rules.Add(new InheritValues(bit, op, values.Int("TableBit", -1), values, !complete || values.HasCompilerError));
        }
        return rules;
    }

    private static bool CheckLevels(List<LevelValues> levels, int vaBits, LocationInfo attributeLocation, List<DiagnosticInfo> diagnostics)
    {
        int before = diagnostics.Count;
        foreach (var level in levels)
        {
            if (level.Entries < 2 || level.Entries > MaxEntries || (level.Entries & (level.Entries - 1)) != 0)
                diagnostics.Add(Error(DiagnosticDescriptors.EntriesNotPowerOfTwo, level.Values.Location("Entries"), level.Level.ToString(), level.Entries.ToString())
                    .WithProperty(DiagnosticDescriptors.Properties.Entries, SuggestEntries(level, levels, vaBits).ToString(System.Globalization.CultureInfo.InvariantCulture)));
            if (level.Shift is < 1 or > 62)
                diagnostics.Add(Error(DiagnosticDescriptors.BadValue, level.Values.Location("Shift"), $"Level {level.Level} has shift {level.Shift}; a shift is between 1 and 62"));
        }

        // Levels may be written in any order (usually the root first): every check below is by number, never by position.
        var seen = new HashSet<int>();
        bool duplicates = false;
        foreach (var level in levels)
        {
            if (level.Level < 1)
                diagnostics.Add(Error(DiagnosticDescriptors.LevelNumbering, level.Values.PositionalLocation(0),
                    $"Level {level.Level} is not a level number: levels are numbered 1 (the pages) to N (the root table)"));
            else if (!seen.Add(level.Level))
            {
                duplicates = true;
                diagnostics.Add(Error(DiagnosticDescriptors.LevelNumbering, level.Values.PositionalLocation(0), $"Level {level.Level} is described twice"));
            }
        }

        var numbers = seen.OrderBy(n => n).ToList();
        if (numbers.Count > 0)
        {
            // A level number can be anything up to int.MaxValue: name the missing ones up to a few past the levels a
            // layout can have, and say there are more.
            int highest = numbers[numbers.Count - 1];
            int named = System.Math.Min(highest, numbers.Count + MaxLevels);
            var missing = Enumerable.Range(1, named).Where(n => !seen.Contains(n)).ToList();
            if (missing.Count > 0)
            {
                // At the level just above the first gap: renumbering it (or adding the missing one below it) fixes it.
                var above = levels.First(l => l.Level == numbers.First(n => n > missing[0]));
                string what = highest > named ? $"Levels {ListText(missing)} and others below {highest} are missing"
                    : missing.Count == 1 ? $"Level {missing[0]} is missing" : $"Levels {ListText(missing)} are missing";
                diagnostics.Add(Error(DiagnosticDescriptors.LevelNumbering, above.Values.PositionalLocation(0),
                    $"{what}: the layout describes {(numbers.Count == 1 ? "level" : "levels")} {ListText(numbers)}, and levels are numbered 1 (the pages) to N (the root table) without gaps"));
            }
        }

        if (levels.Count < MinLevels)
            diagnostics.Add(Error(DiagnosticDescriptors.LevelCount, attributeLocation, levels.Count == 0
                ? "The layout has no levels: describe each of its 2 to 5 levels with [PageLevel(n, Shift = ..., Entries = ...)]"
                : "The layout has 1 level; Walkers supports 2 to 5 (a root table and the tables below it)"));
        else if (levels.Count > MaxLevels)
        {
            // At the first level beyond 5, wherever it is written. With no number above 5 the count comes from a
            // duplicate, which WALK0002 already names.
            var extra = levels.Where(l => l.Level > MaxLevels).OrderBy(l => l.Level).Select(l => l.Level).Distinct().ToList();
            if (extra.Count > 0 || !duplicates)
            {
                var at = extra.Count > 0 ? levels.First(l => l.Level == extra[0]) : levels[levels.Count - 1];
                string remove = extra.Count == 0 ? "remove a level"
                    : extra.Count == 1 ? $"level {extra[0]} is one too many"
                    : $"levels {ListText(extra)} are too many";
                diagnostics.Add(Error(DiagnosticDescriptors.LevelCount, at.Values.PositionalLocation(0),
                    $"The layout has {levels.Count} levels; Walkers supports 2 to 5: {remove}"));
            }
        }
        return diagnostics.Count == before;
    }

    /// <summary>
    /// The Entries that WALK0004's fix writes: the count the chain needs (2^(next shift - this shift), or up to
    /// VirtualAddressBits at the top) when that is a valid count, else the nearest power of two in range.
    /// </summary>
    private static int SuggestEntries(LevelValues level, List<LevelValues> levels, int vaBits)
    {
        var above = levels.Where(l => l.Level == level.Level + 1).ToList();
        bool isTop = above.Count == 0 && levels.All(l => l.Level <= level.Level) && levels.Count(l => l.Level == level.Level) == 1;
        int? end = above.Count == 1 ? above[0].Shift : isTop && vaBits > 0 ? vaBits : null;
        if (end is int top && level.Shift is >= 1 and <= 62 && top - level.Shift is >= 1 and <= 16)
            return 1 << (top - level.Shift);
        long value = System.Math.Abs((long)level.Entries);
        if (value <= 2)
            return 2;
        if (value >= MaxEntries)
            return MaxEntries;
        long lower = 1;
        while (lower * 2 <= value)
            lower *= 2;
        return (int)(value - lower < lower * 2 - value ? lower : lower * 2);
    }

    /// <summary>"3", "3 and 5", "2, 3 and 4".</summary>
    private static string ListText(IReadOnlyList<int> values) =>
        values.Count == 1 ? values[0].ToString(System.Globalization.CultureInfo.InvariantCulture)
        : string.Join(", ", values.Take(values.Count - 1)) + " and " + values[values.Count - 1];

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
                    sorted[i].Level.ToString(), sorted[i].Shift.ToString(), below.Level.ToString(), below.Shift.ToString(), below.Entries.ToString(), expected.ToString())
                    .WithProperty(DiagnosticDescriptors.Properties.ExpectedShift, expected.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                return;
            }
        }
        var top = sorted[sorted.Count - 1];
        int covered = top.Shift + Log2(top.Entries);
        if (covered != vaBits || vaBits > 63)
            diagnostics.Add(Error(DiagnosticDescriptors.VirtualAddressBits, pageTable.Location("VirtualAddressBits"),
                vaBits.ToString(), top.Shift.ToString(), top.Entries.ToString(), covered > 63 ? covered + " (more than 63)" : covered.ToString()));
    }

    private static void CheckMasks(AttributeValues values, int entryBits, ulong present, AddressField address, AddressField highAddress,
        ulong table, ulong tableValue, ulong faultMask, ulong faultValue, List<LevelValues> levels, List<DiagnosticInfo> diagnostics)
    {
        ulong entryMask = EntryMask(entryBits);
        void Report(string argument, string message) =>
            diagnostics.Add(Error(DiagnosticDescriptors.BadMask, values.Location(argument), message));
        bool Fits(string argument, ulong mask)
        {
            if ((mask & ~entryMask) == 0)
                return true;
            Report(argument, $"{argument} {HexText(mask)} has bits beyond the {entryBits}-bit entry ({BitsText(mask & ~entryMask)})");
            return false;
        }

        if (present == 0)
            Report("PresentMask", "PresentMask is empty: no entry could ever be present");
        else
            Fits("PresentMask", present);
        if (address.Mask == 0)
            Report("AddressMask", "AddressMask is empty: entries would hold no address");
        else if (Fits("AddressMask", address.Mask))
        {
            // One error per mistake, at the argument that is wrong: an address field is one run of bits that starts
            // no lower than a level-1 page (its Shift), so such a run is taken as right and the flag mask that
            // reaches into it is blamed; otherwise (a mask with holes, or one that reaches into the page offset,
            // where flags live) the address mask is, once, naming every mask it overlaps.
            int pageShift = levels.Where(l => l.Level == 1).Select(l => l.Shift).FirstOrDefault();
            ulong pageOffset = pageShift is >= 1 and <= 62 ? (1UL << pageShift) - 1 : 0;
            var overlaps = new List<(string Name, ulong Mask)>();
            foreach (var (name, mask) in new[] { ("PresentMask", present), ("TableMask", table) })
            {
                if ((address.Mask & mask) != 0)
                    overlaps.Add((name, mask));
            }
            bool addressIsWrong = !IsRun(address.Mask) || overlaps.Any(o => (address.Decode(address.Mask & o.Mask) & pageOffset) != 0);
            if (overlaps.Count > 0 && addressIsWrong)
            {
                string reach = IsRun(address.Mask) ? $", and reaches below bit {pageShift}, where a level-1 page's address starts" : "";
                Report("AddressMask", $"AddressMask {HexText(address.Mask)} overlaps {string.Join(" and ", overlaps.Select(o => $"{o.Name} {HexText(o.Mask)} ({BitsText(address.Mask & o.Mask)})"))}{reach}: address bits cannot also be flags");
            }
            else
            {
                foreach (var (name, mask) in overlaps)
                    Report(name, $"{name} {HexText(mask)} takes {BitsText(address.Mask & mask)} of AddressMask {HexText(address.Mask)}: address bits cannot also be flags");
            }
        }
        if (highAddress.Mask != 0 && Fits("HighAddressMask", highAddress.Mask))
        {
            var shared = new[] { ("PresentMask", present), ("TableMask", table), ("AddressMask", address.Mask) }
                .Where(o => (highAddress.Mask & o.Item2) != 0)
                .Select(o => $"{o.Item1} {HexText(o.Item2)} ({BitsText(highAddress.Mask & o.Item2)})")
                .ToList();
            if (shared.Count > 0)
                Report("HighAddressMask", $"HighAddressMask {HexText(highAddress.Mask)} overlaps {string.Join(" and ", shared)}: a second address field must be bits of its own");
            else if ((address.Decode(ulong.MaxValue) & highAddress.Decode(ulong.MaxValue)) != 0)
                Report("HighAddressMask", $"HighAddressMask {HexText(highAddress.Mask)} << {highAddress.Shift} gives physical {BitsText(address.Decode(ulong.MaxValue) & highAddress.Decode(ulong.MaxValue))}, which AddressMask already gives");
        }
        else if (highAddress.Mask == 0 && highAddress.Shift != 0)
            diagnostics.Add(Error(DiagnosticDescriptors.BadValue, values.Location("HighAddressShift"), "HighAddressShift is set but HighAddressMask is empty: there is no second address field to shift"));
        if (Fits("TableMask", table) && (tableValue & ~table) != 0)
            Report("TableValue", $"TableValue {HexText(tableValue)} has bits outside TableMask {HexText(table)} ({BitsText(tableValue & ~table)}): no entry could be a table");
        if (table == 0 && levels.FirstOrDefault(l => l.Leaf && l.Level > 1) is { } leafLevel)
            Report("TableMask", $"TableMask is empty, so every present entry is a table, but level {leafLevel.Level} allows leaves");
        if (Fits("FaultMask", faultMask) && (faultValue & ~faultMask) != 0)
            Report("FaultValue", $"FaultValue {HexText(faultValue)} has bits outside FaultMask {HexText(faultMask)} ({BitsText(faultValue & ~faultMask)}): no entry could match it");
    }

    /// <summary>A level's leaf rule must be satisfiable and leave the address alone; only levels with leaves have one.</summary>
    private static void CheckLeafRules(List<LevelValues> levels, int entryBits, ulong addressBits, List<DiagnosticInfo> diagnostics)
    {
        foreach (var level in levels)
        {
            if (level.LeafMask == 0 && level.LeafValue == 0)
                continue;
            var location = level.Values.Location(level.LeafMask == 0 ? "LeafValue" : "LeafMask");
            string? problem =
                level.Level > 1 && !level.Leaf ? $"level {level.Level} has a leaf rule but allows no leaves (add Leaf = true, or drop LeafMask and LeafValue)"
                : level.LeafMask == 0 ? $"level {level.Level} has LeafValue {HexText(level.LeafValue)} without a LeafMask"
                : (level.LeafMask & ~EntryMask(entryBits)) != 0 ? $"level {level.Level}'s LeafMask {HexText(level.LeafMask)} has bits beyond the {entryBits}-bit entry"
                : (level.LeafValue & ~level.LeafMask) != 0 ? $"level {level.Level}'s LeafValue {HexText(level.LeafValue)} has bits outside its LeafMask {HexText(level.LeafMask)} ({BitsText(level.LeafValue & ~level.LeafMask)}): no entry could be a leaf"
                : (level.LeafMask & addressBits) != 0 ? $"level {level.Level}'s LeafMask {HexText(level.LeafMask)} takes address bits ({BitsText(level.LeafMask & addressBits)})"
                : null;
            if (problem is not null)
                diagnostics.Add(Error(DiagnosticDescriptors.BadEncoding, location, problem));
        }
    }

    private static void CheckInherits(List<InheritValues> inherits, int entryBits, ulong addressBits, List<DiagnosticInfo> diagnostics)
    {
        foreach (var rule in inherits)
        {
            int tableBit = rule.TableBit < 0 ? rule.Bit : rule.TableBit;
            string? problem =
                rule.Op is < 0 or > 2 ? $"Inherit operation {rule.Op} is not an InheritOp (And, Or, AndNot)"
                : rule.Bit < 0 || rule.Bit >= entryBits ? $"bit {rule.Bit} is not a bit of a {entryBits}-bit entry"
                : tableBit >= entryBits || rule.TableBit < -1 ? $"TableBit {rule.TableBit} is not a bit of a {entryBits}-bit entry"
                : (addressBits >> rule.Bit & 1) != 0 ? $"bit {rule.Bit} of a leaf is an address bit, not a permission"
                : (addressBits >> tableBit & 1) != 0 ? $"bit {tableBit} of a table entry is an address bit, not a permission"
                : null;
            if (problem is not null)
                diagnostics.Add(Error(DiagnosticDescriptors.BadInherit, rule.Values.PositionalLocation(0), problem));
        }
    }

    private static void CheckShift(AttributeValues values, string argument, int shift, int max, List<DiagnosticInfo> diagnostics)
    {
        if (shift < 0 || shift > max)
            diagnostics.Add(Error(DiagnosticDescriptors.BadValue, values.Location(argument), $"{argument} is {shift}; it must be between 0 and {max}"));
    }

    /// <summary>SignExtend, UpperHalf and TopByteIgnore describe which addresses exist; they must agree.</summary>
    private static void CheckShape(AttributeValues values, int vaBits, bool signExtend, bool upperHalf, int topByteIgnore, List<DiagnosticInfo> diagnostics)
    {
        void Report(string argument, string message) =>
            diagnostics.Add(Error(DiagnosticDescriptors.AddressShape, values.Location(argument), message));
        if (signExtend && upperHalf)
            Report("UpperHalf", "UpperHalf and SignExtend cannot both be set: a sign-extended table holds both halves under one root (x86-64, RISC-V), UpperHalf gives the upper half a root of its own (AArch64 TTBR1)");
        else if (upperHalf && vaBits > 55)
            Report("UpperHalf", $"an upper half of {vaBits} bits leaves no bit 55 to tell the halves apart: UpperHalf needs VirtualAddressBits of 55 or fewer");
        if (topByteIgnore is < 0 or > 3)
            diagnostics.Add(Error(DiagnosticDescriptors.BadValue, values.Location("TopByteIgnore"), $"TopByteIgnore is {topByteIgnore}; it is None, Lower, Upper or Both"));
        else if (topByteIgnore != 0 && signExtend)
            Report("TopByteIgnore", "TopByteIgnore needs halves of their own (UpperHalf, or a lower half alone): in a sign-extended layout the top byte is part of the address");
        else if ((topByteIgnore & 2) != 0 && !upperHalf)
            Report("TopByteIgnore", "TopByteIgnore names the upper half, but the layout has none (set UpperHalf = true)");
        else if (topByteIgnore != 0 && vaBits > 56)
            Report("TopByteIgnore", $"TopByteIgnore makes bits 63:56 a tag, but the layout has {vaBits}-bit addresses");
    }

    /// <summary>
    /// What the operations write must read back as what they meant: a level's Prot links a table, level-1 Prot is a
    /// page, and level-1 page flags become a leaf at every level that allows one.
    /// </summary>
    private static void CheckEncodings(LayoutSpec layout, List<LevelValues> levels, List<DiagnosticInfo> diagnostics)
    {
        var byLevel = levels.ToDictionary(l => l.Level);
        ulong pageProt = layout.Level(1).Prot;
        if (pageProt != 0)
        {
            var kind = layout.Kind(layout.MakeEntry(0, pageProt), 1);
            if (kind != EntryKindValue.Leaf)
                diagnostics.Add(Error(DiagnosticDescriptors.BadEncoding, byLevel[1].Values.Location("Prot"),
                    $"level 1's Prot {HexText(pageProt)} is not a page by the layout's rules: an entry with these flags is {KindText(kind)}"));
        }
        foreach (var level in layout.Levels)
        {
            if (level.Level == 1)
                continue;
            if (level.Prot != 0 && layout.Kind(layout.MakeEntry(0, level.Prot), level.Level) is var tableKind && tableKind != EntryKindValue.Table)
                diagnostics.Add(Error(DiagnosticDescriptors.BadEncoding, byLevel[level.Level].Values.Location("Prot"),
                    $"level {level.Level}'s Prot {HexText(level.Prot)} does not link a table: a new table linked with it would read as {KindText(tableKind)}"));
            if (pageProt == 0 || !level.LeafAllowed || layout.Kind(layout.MakeEntry(0, pageProt), 1) != EntryKindValue.Leaf)
                continue;
            ulong leaf = layout.LeafFlags(pageProt, level.Level);
            var leafKind = layout.Kind(layout.MakeEntry(0, leaf), level.Level);
            if (leafKind != EntryKindValue.Leaf || layout.PageFlags(leaf, level.Level) != pageProt)
                diagnostics.Add(Error(DiagnosticDescriptors.BadEncoding, byLevel[level.Level].Values.Location(level.LeafMask != 0 ? "LeafMask" : "Leaf"),
                    leafKind != EntryKindValue.Leaf
                        ? $"level-1 pages (Prot {HexText(pageProt)}) cannot be written as level-{level.Level} leaves: the flags become {HexText(leaf)}, which is {KindText(leafKind)} at level {level.Level}"
                        : $"level-{level.Level} leaves written from level-1 pages (Prot {HexText(pageProt)} -> {HexText(leaf)}) do not read back as the same page flags ({HexText(layout.PageFlags(leaf, level.Level))})"));
        }
    }

    /// <summary>One contiguous run of set bits.</summary>
    private static bool IsRun(ulong mask)
    {
        if (mask == 0)
            return false;
        ulong lowest = mask & (~mask + 1);
        return ((mask + lowest) & mask) == 0; // adding the lowest bit carries through a run and clears it
    }

    private static string KindText(EntryKindValue kind) => kind switch
    {
        EntryKindValue.Absent => "not present",
        EntryKindValue.Table => "a table pointer",
        EntryKindValue.Leaf => "a page",
        _ => "a fault (an encoding the hardware rejects)",
    };

    private static ulong EntryMask(int entryBits) => entryBits == 64 ? ulong.MaxValue : (1UL << entryBits) - 1;

    /// <summary>Hex as a person writes a mask: 0x000F_FFFF_FFFF_F000.</summary>
    internal static string HexText(ulong value)
    {
        string digits = value.ToString("X", System.Globalization.CultureInfo.InvariantCulture);
        if (digits.Length <= 4)
            return "0x" + digits;
        digits = digits.PadLeft((digits.Length + 3) / 4 * 4, '0');
        var grouped = new System.Text.StringBuilder("0x");
        for (int i = 0; i < digits.Length; i += 4)
        {
            if (i > 0)
                grouped.Append('_');
            grouped.Append(digits, i, 4);
        }
        return grouped.ToString();
    }

    /// <summary>"bit 7", "bits 12-51", "bits 1, 7": the set bits of a mask, as ranges.</summary>
    internal static string BitsText(ulong mask)
    {
        var parts = new List<string>();
        int count = 0;
        for (int bit = 0; bit < 64; bit++)
        {
            if ((mask >> bit & 1) == 0)
                continue;
            int end = bit;
            while (end < 63 && (mask >> (end + 1) & 1) != 0)
                end++;
            parts.Add(end == bit ? bit.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{bit}-{end}");
            count += end - bit + 1;
            bit = end;
        }
        return (count == 1 ? "bit " : "bits ") + string.Join(", ", parts);
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

    private sealed record LevelValues(int Level, int Shift, int Entries, ulong Prot, bool Leaf, ulong LeafMask, ulong LeafValue, bool NoPermissions,
        AttributeValues Values, bool HasCompilerError);

    private sealed record InheritValues(int Bit, int Op, int TableBit, AttributeValues Values, bool HasCompilerError);

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
