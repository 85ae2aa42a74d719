using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace Walkers.Generator;

/// <summary>Every diagnostic the generator reports, in one place.</summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "Walkers";

    public static readonly DiagnosticDescriptor TypeNotPartial = new(
        "WALK0001", "Layout type must be partial and not generic",
        "'{0}' cannot hold a generated walker: {1}",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor LevelNumbering = new(
        "WALK0002", "Levels must be numbered 1..N without gaps or duplicates",
        "{0}",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor LevelCount = new(
        "WALK0003", "A layout has 2 to 5 levels",
        "The layout has {0} level(s); Walkers supports 2 to 5",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor EntriesNotPowerOfTwo = new(
        "WALK0004", "Entries must be a power of two",
        "Level {0} has {1} entries; the number of entries must be a power of two between 2 and 65536",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor ShiftsDoNotChain = new(
        "WALK0005", "Level shifts must chain",
        "Level {0} has shift {1}, but level {2} (shift {3}, {4} entries) ends at bit {5}: expected shift {5}",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor VirtualAddressBits = new(
        "WALK0006", "Virtual address bits must add up",
        "VirtualAddressBits is {0}, but the top level (shift {1}, {2} entries) covers {3} bits",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor BadMask = new(
        "WALK0007", "Entry masks must be non-empty and must not overlap",
        "{0}",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor UnsafeNotEnabled = new(
        "WALK0008", "Generated walkers need unsafe code",
        "The walkers generated for '{0}' use pointers: set <AllowUnsafeBlocks>true</AllowUnsafeBlocks> in the project",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor BadValue = new(
        "WALK0009", "Unsupported layout value",
        "{0}",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor AddressShape = new(
        "WALK0010", "Address space options must agree",
        "{0}",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor BadEncoding = new(
        "WALK0011", "Entry encodings must read back as what they mean",
        "{0}",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor BadInherit = new(
        "WALK0012", "Invalid inherit rule",
        "{0}",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    private static readonly Dictionary<string, DiagnosticDescriptor> ById =
        new[] { TypeNotPartial, LevelNumbering, LevelCount, EntriesNotPowerOfTwo, ShiftsDoNotChain, VirtualAddressBits, BadMask, UnsafeNotEnabled, BadValue,
            AddressShape, BadEncoding, BadInherit }
            .ToDictionary(d => d.Id);

    public static DiagnosticDescriptor Get(string id) => ById[id];
}
