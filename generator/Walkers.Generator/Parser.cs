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
        "Layout", "UpperLayout", "LevelTable", "RootFromRegister", "RootsFromRegisters", "Walk", "WalkTree", "GetEntry", "TryTranslate",
        "Map", "Unmap", "Protect", "Mappings", "TranslateMany");

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
            return new ParseResult(null, diagnostics.ToEquatableArray());

        bool levelsUsable = CheckLevels(levels, attributeLocation, diagnostics);
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
            return new ParseResult(null, diagnostics.ToEquatableArray());

        var layout = new LayoutSpec(
            type.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() : null,
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
            return new ParseResult(null, diagnostics.ToEquatableArray());
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
            // One error per mistake, at the argument that is wrong: an address field is one run of bits, so a run
            // is taken as right and the flag mask that reaches into it is blamed; otherwise the address mask is.
            bool addressIsRun = IsRun(address.Mask);
            var overlaps = new List<string>();
            foreach (var (name, mask) in new[] { ("PresentMask", present), ("TableMask", table) })
            {
                if ((address.Mask & mask) == 0)
                    continue;
                if (addressIsRun)
                    Report(name, $"{name} {HexText(mask)} takes {BitsText(address.Mask & mask)} of AddressMask {HexText(address.Mask)}: address bits cannot also be flags");
                else
                    overlaps.Add($"{name} {HexText(mask)} ({BitsText(address.Mask & mask)})");
            }
            if (overlaps.Count > 0)
                Report("AddressMask", $"AddressMask {HexText(address.Mask)} overlaps {string.Join(" and ", overlaps)}: address bits cannot also be flags");
        }
        if (highAddress.Mask != 0 && Fits("HighAddressMask", highAddress.Mask))
        {
            ulong others = present | table | address.Mask;
            if ((highAddress.Mask & others) != 0)
                Report("HighAddressMask", $"HighAddressMask {HexText(highAddress.Mask)} shares {BitsText(highAddress.Mask & others)} with PresentMask, TableMask or AddressMask: it must be bits of its own");
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
