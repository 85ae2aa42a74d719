using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Walkers.Generator;

/// <summary>
/// Every diagnostic Walkers reports (the generator's and the analyzer's), in one place. Each has a help page,
/// docs/diagnostics/WALK00NN.md, at <see cref="HelpLink"/>; a test checks that every page exists.
/// </summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "Walkers";

    /// <summary>The repository's help pages. The project has no published remote yet: this is the pattern it will have.</summary>
    internal const string HelpLinkBase = "https://github.com/walkers-dev/walkers/blob/main/docs/diagnostics/";

    /// <summary>The help page of a rule: <c>{HelpLinkBase}WALK00NN.md</c>.</summary>
    public static string HelpLink(string id) => HelpLinkBase + id + ".md";

    /// <summary>Names of the diagnostic properties the code fixes (generator/Walkers.CodeFixes) read.</summary>
    internal static class Properties
    {
        /// <summary>WALK0001: "true" when adding <c>partial</c> (to the type and its containing types) fixes it.</summary>
        public const string MakePartial = nameof(MakePartial);

        /// <summary>WALK0004: the power of two the fix writes as Entries.</summary>
        public const string Entries = nameof(Entries);

        /// <summary>WALK0005: the shift the chain needs, which the fix writes as Shift.</summary>
        public const string ExpectedShift = nameof(ExpectedShift);
    }

    public static readonly DiagnosticDescriptor TypeNotPartial = Error(
        "WALK0001", "Layout type must be partial and not generic",
        "'{0}' cannot hold a generated walker: {1}",
        "The generator adds the walkers to the type that carries [PageTable]: the type and every type containing it must be declared partial, must not be generic, and must not be an interface, and the type must not be named like a member the generator adds (Layout, Walk, TryTranslate, ...).");

    public static readonly DiagnosticDescriptor LevelNumbering = Error(
        "WALK0002", "Levels must be numbered 1..N without gaps or duplicates",
        "{0}",
        "A layout's [PageLevel] attributes are numbered 1 (the level that maps pages) up to N (the root table), each number once, in any order.");

    public static readonly DiagnosticDescriptor LevelCount = Error(
        "WALK0003", "A layout has 2 to 5 levels",
        "{0}",
        "The generated walkers are unrolled for 2 to 5 levels, which covers every paging mode of x86, RISC-V and AArch64.");

    public static readonly DiagnosticDescriptor EntriesNotPowerOfTwo = Error(
        "WALK0004", "Entries must be a power of two",
        "Level {0} has {1} entries; the number of entries must be a power of two between 2 and 65536",
        "A level's table is indexed by a bit field of the virtual address, so it holds a power of two of entries: 2^(next level's Shift - this level's Shift).");

    public static readonly DiagnosticDescriptor ShiftsDoNotChain = Error(
        "WALK0005", "Level shifts must chain",
        "Level {0} has shift {1}, but level {2} (shift {3}, {4} entries) ends at bit {5}: expected shift {5}",
        "Each level's index starts where the level below it ends: Shift(N+1) = Shift(N) + log2(Entries(N)).");

    public static readonly DiagnosticDescriptor VirtualAddressBits = Error(
        "WALK0006", "Virtual address bits must add up",
        "VirtualAddressBits is {0}, but the top level (shift {1}, {2} entries) covers {3} bits",
        "VirtualAddressBits must equal the top level's Shift plus log2 of its Entries: the bits the root table's index ends at.");

    public static readonly DiagnosticDescriptor BadMask = Error(
        "WALK0007", "Entry masks must be non-empty and must not overlap",
        "{0}",
        "PresentMask and AddressMask must not be empty, every mask must fit in the entry, and address bits cannot also be flag bits (PresentMask, TableMask, a second address field). The error points at the mask that is wrong and names the bits.");

    public static readonly DiagnosticDescriptor UnsafeNotEnabled = Error(
        "WALK0008", "Generated walkers need unsafe code",
        "The walkers generated for '{0}' use pointers: set <AllowUnsafeBlocks>true</AllowUnsafeBlocks> in the project",
        "The generated walkers read page tables through pointers, so the project that declares the layout must allow unsafe code.");

    public static readonly DiagnosticDescriptor BadValue = Error(
        "WALK0009", "Unsupported layout value",
        "{0}",
        "A value is outside what the walkers support: EntryBits 32 or 64, level shifts 1 to 62, address shifts within the entry, TopByteIgnore one of its named values.");

    public static readonly DiagnosticDescriptor AddressShape = Error(
        "WALK0010", "Address space options must agree",
        "{0}",
        "SignExtend, UpperHalf, TopByteIgnore and VirtualAddressBits together say which virtual addresses exist; some combinations contradict each other.");

    public static readonly DiagnosticDescriptor BadEncoding = Error(
        "WALK0011", "Entry encodings must read back as what they mean",
        "{0}",
        "What Map writes must read back as what it meant: a level's Prot links a table, level 1's Prot is a page, level-1 page flags become a leaf at every level that allows one, and leaf rules must be satisfiable.");

    public static readonly DiagnosticDescriptor BadInherit = Error(
        "WALK0012", "Invalid inherit rule",
        "{0}",
        "An [Inherit] rule combines a permission bit of the table entries above a leaf with the leaf's own bit: both bits must be flag bits of the entry and the operation one of InheritOp's.");

    public static readonly DiagnosticDescriptor LevelWithoutPageTable = new(
        "WALK0013", "[PageLevel] and [Inherit] need [PageTable]",
        "'{0}' has [{1}] but no [PageTable], so no walker is generated for it: add [PageTable(...)] describing the entry format, or remove the [{1}] attributes",
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true,
        description: "The generator looks for types with [PageTable]; [PageLevel] and [Inherit] only describe the levels and rules of such a type. Without [PageTable] they are ignored. Reported by an analyzer, so the IDE shows it while typing.",
        helpLinkUri: HelpLink("WALK0013"));

    public static readonly DiagnosticDescriptor LanguageVersionTooLow = Error(
        "WALK0014", "Generated walkers need C# 13 or later",
        "The walkers generated for '{0}' need {1}: {2}",
        "The generated walkers implement static abstract interface members and take ref struct visitors (allows ref struct): that needs C# 13 or later and a runtime that supports both (.NET 9 or later). The generator then emits only placeholders that throw.");

    /// <summary>
    /// The lowest C# version the generated walkers compile with: <c>allows ref struct</c> is C# 13 (found by compiling
    /// the ready layouts' walkers at decreasing versions; a test keeps it true). Compared as numbers, since the
    /// generator runs in compilers newer than the Roslyn it is built against.
    /// </summary>
    public const LanguageVersion MinimumLanguageVersion = LanguageVersion.CSharp13;

    /// <summary>Every descriptor, in id order.</summary>
    public static readonly ImmutableArray<DiagnosticDescriptor> All =
    [
        TypeNotPartial, LevelNumbering, LevelCount, EntriesNotPowerOfTwo, ShiftsDoNotChain, VirtualAddressBits, BadMask, UnsafeNotEnabled, BadValue,
        AddressShape, BadEncoding, BadInherit, LevelWithoutPageTable, LanguageVersionTooLow,
    ];

    private static readonly Dictionary<string, DiagnosticDescriptor> ById = All.ToDictionary(d => d.Id);

    public static DiagnosticDescriptor Get(string id) => ById[id];

    private static DiagnosticDescriptor Error(string id, string title, string message, string description) =>
        new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true, description: description, helpLinkUri: HelpLink(id));
}
