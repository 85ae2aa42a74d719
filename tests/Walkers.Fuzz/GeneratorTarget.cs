using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.IO;
using System.Reflection;
using System.Runtime.Loader;
using System.Linq;
using System.Text;
using CsCheck;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace Walkers.Fuzz;

/// <summary>
/// The generator on random attribute tables. Input: a consistent layout (page shift, levels, index bits per level,
/// entry width, masks) read from the first bytes, then mutations (any argument set to a random or extreme value,
/// dropped, or added twice; a level renumbered, dropped or duplicated; inherit rules; the target type's shape). The
/// source always compiles by itself (every value fits its property's type), so every error is the generator's.
/// Contract: the generator never throws (no CS8785 / CS8784, no exception in its run result), and either reports a
/// WALK error or its output compiles with no error, and no warning in the generated files.
/// </summary>
public static class GeneratorTarget
{
    public const int MaxInputBytes = 4096;

    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    private static readonly ImmutableArray<MetadataReference> References =
        [.. Basic.Reference.Assemblies.Net100.References.All, MetadataReference.CreateFromFile(typeof(PageTableAttribute).Assembly.Location)];

    private static readonly CSharpCompilation Empty = CSharpCompilation.Create("Walkers.Fuzz.GeneratorInput", [], References,
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true, nullableContextOptions: NullableContextOptions.Enable));

    private static readonly string[] TableInts = ["VirtualAddressBits", "EntryBits", "AddressShift", "HighAddressShift", "RootShift", "RootHighShift"];
    private static readonly string[] TableMasks = ["PresentMask", "AddressMask", "HighAddressMask", "TableMask", "TableValue", "FaultMask", "FaultValue", "RootMask", "RootHighMask"];
    private static readonly string[] TableBools = ["SignExtend", "UpperHalf", "Strict", "AlignedLeaves"];
    private static readonly string[] LevelInts = ["Shift", "Entries"];
    private static readonly string[] LevelMasks = ["Prot", "LeafMask", "LeafValue"];
    private static readonly string[] LevelBools = ["Leaf", "NoPermissions"];

    public static void Run(ReadOnlySpan<byte> input)
    {
        if (input.Length > MaxInputBytes)
            return;
        string source = Source(input);
        var tree = CSharpSyntaxTree.ParseText(SourceText.From(source, Encoding.UTF8), ParseOptions, "Layout.cs");
        var compilation = Empty.AddSyntaxTrees(tree);
        GeneratorDriver driver = CSharpGeneratorDriver.Create([new Walkers.Generator.WalkersGenerator().AsSourceGenerator()], parseOptions: ParseOptions);
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out var driverDiagnostics);
        var result = driver.GetRunResult().Results.Single();
        Check.That(result.Exception is null, $"the generator threw {result.Exception?.GetType().Name}: {result.Exception?.Message}\n{source}");
        foreach (var diagnostic in driverDiagnostics)
            Check.That(diagnostic.Id is not ("CS8785" or "CS8784" or "AD0001"), $"the generator failed: {diagnostic}\n{source}");
        if (result.Diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error))
        {
            foreach (var diagnostic in result.Diagnostics)
                Check.That(diagnostic.Id.StartsWith("WALK", StringComparison.Ordinal), $"the generator reported {diagnostic}\n{source}");
            return;
        }
        // The user's source alone compiles: every problem of the output is in, or caused by, what was generated.
        var problems = output.GetDiagnostics()
            .Where(d => d.Severity == DiagnosticSeverity.Error
                || d.Severity == DiagnosticSeverity.Warning && d.Location.SourceTree is { } t && t != tree)
            .ToList();
        Check.That(problems.Count == 0,
            $"no WALK error, but the output does not compile cleanly:\n{string.Join("\n", problems.Take(5))}\n{source}");
        if (input.Length > 0 && (input[0] & 0x80) != 0)
            RunGenerated(output, input, source);
    }

    /// <summary>
    /// Loads what was generated and runs the walkers target's checks on it (generated walkers against the reference
    /// walker over the generated LevelTable, lookups, Mappings, Map/Protect/Unmap), with tables built from the input.
    /// </summary>
    private static void RunGenerated(Compilation output, ReadOnlySpan<byte> input, string source)
    {
        using var image = new MemoryStream();
        var emitted = output.Emit(image);
        Check.That(emitted.Success, $"the output compiles but does not emit: {string.Join("\n", emitted.Diagnostics.Take(5))}\n{source}");
        image.Position = 0;
        var context = new AssemblyLoadContext("walkers-fuzz-generated", isCollectible: true);
        try
        {
            var assembly = context.LoadFromStream(image);
            // Hostile tables for the layout, as the walkers target's generator makes them, seeded by the input.
            ulong seed = 14_695_981_039_346_656_037; // FNV-1a
            foreach (byte b in input)
                seed = (seed ^ b) * 1_099_511_628_211;
            var tables = WalkersTarget.Structured.Generate(new CsCheck.PCG((uint)seed, seed), null, out _);
            foreach (var type in assembly.GetTypes())
            {
                var layout = type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IPageTableLayout<>));
                if (layout is null || !type.IsValueType)
                    continue;
                try
                {
                    RunLayout.MakeGenericMethod(type, layout.GetGenericArguments()[0]).Invoke(null, [tables]);
                }
                catch (TargetInvocationException e) when (e.InnerException is KnownDefect known)
                {
                    throw new KnownDefect(known.Defect, $"{known.Message}\nlayout {type.FullName} generated from\n{source}");
                }
                catch (TargetInvocationException e) when (e.InnerException is ContractViolation violation)
                {
                    throw new ContractViolation($"{violation.Message}\nlayout {type.FullName} generated from\n{source}");
                }
            }
        }
        finally
        {
            context.Unload();
        }
    }

    private static readonly MethodInfo RunLayout = typeof(GeneratorTarget).GetMethod(nameof(RunLayoutOf), BindingFlags.NonPublic | BindingFlags.Static)!;

    private static void RunLayoutOf<TLayout, TEntry>(byte[] tables)
        where TLayout : struct, IPageTableLayout<TEntry>
        where TEntry : unmanaged, System.Numerics.IBinaryInteger<TEntry>, System.Numerics.IUnsignedNumber<TEntry> =>
        WalkersTarget.RunLayout<TLayout, TEntry>(tables);

    private sealed record Level(int Number, Dictionary<string, string> Arguments);

    /// <summary>The attribute source the input stands for.</summary>
    public static string Source(ReadOnlySpan<byte> input)
    {
        var reader = new InputReader(input);
        // A consistent layout first.
        bool wide = reader.Byte() % 4 != 0;
        int pageShift = 10 + reader.Byte() % 7;
        int levels = 1 + reader.Byte() % 5;
        int entryBytesLog = wide ? 3 : 2;
        var table = new Dictionary<string, string>();
        var list = new List<Level>();
        int shift = pageShift;
        for (int level = 1; level <= levels; level++)
        {
            int bits = Math.Max(1, Math.Min(pageShift - entryBytesLog + (reader.Byte() % 3) - 1, 13));
            if (shift + bits > 64)
                bits = Math.Max(1, 64 - shift);
            var arguments = new Dictionary<string, string>
            {
                ["Shift"] = Int(shift),
                ["Entries"] = Int(1 << bits),
                ["Prot"] = Hex(level == 1 ? 0x63UL : 0x67UL),
            };
            if (level > 1 && reader.Bool())
                arguments["Leaf"] = "true";
            list.Add(new Level(level, arguments));
            shift += bits;
        }
        int vaBits = Math.Min(shift, 64);
        ulong addressMask = Bits(pageShift, Math.Min(wide ? 52 : 32, 64)) ;
        table["VirtualAddressBits"] = Int(vaBits);
        if (!wide)
            table["EntryBits"] = "32";
        table["PresentMask"] = "0x1";
        table["AddressMask"] = Hex(addressMask);
        table["TableMask"] = "0x80";
        table["TableValue"] = "0";
        if (wide && reader.Bool() && vaBits < 64)
            table["SignExtend"] = "true";

        // Then mutations, until the input ends.
        var inherits = new List<string>();
        int targetShape = 0;
        while (!reader.AtEnd)
        {
            byte what = reader.Byte();
            switch (what % 12)
            {
                case 0: table[TableInts[reader.Choose(TableInts.Length)]] = IntValue(ref reader); break;
                case 1: table[TableMasks[reader.Choose(TableMasks.Length)]] = MaskValue(ref reader); break;
                case 2: table[TableBools[reader.Choose(TableBools.Length)]] = reader.Bool() ? "true" : "false"; break;
                case 3: table.Remove(reader.Choose(2) == 0 ? TableMasks[reader.Choose(TableMasks.Length)] : TableInts[reader.Choose(TableInts.Length)]); break;
                case 4:
                    if (list.Count > 0)
                        list[reader.Choose(list.Count)].Arguments[LevelInts[reader.Choose(LevelInts.Length)]] = IntValue(ref reader);
                    break;
                case 5:
                    if (list.Count > 0)
                        list[reader.Choose(list.Count)].Arguments[LevelMasks[reader.Choose(LevelMasks.Length)]] = MaskValue(ref reader);
                    break;
                case 6:
                    if (list.Count > 0)
                        list[reader.Choose(list.Count)].Arguments[LevelBools[reader.Choose(LevelBools.Length)]] = reader.Bool() ? "true" : "false";
                    break;
                case 7: // renumber, drop or duplicate a level
                    if (list.Count > 0)
                    {
                        int at = reader.Choose(list.Count);
                        switch (reader.Byte() % 3)
                        {
                            case 0: list[at] = list[at] with { Number = (sbyte)reader.Byte() }; break;
                            case 1: list.RemoveAt(at); break;
                            default: list.Add(list[at] with { Arguments = new Dictionary<string, string>(list[at].Arguments) }); break;
                        }
                    }
                    break;
                case 8:
                    inherits.Add($"[Inherit({(sbyte)reader.Byte()}, (InheritOp){reader.Byte() % 4}{(reader.Bool() ? $", TableBit = {(sbyte)reader.Byte()}" : "")})]");
                    break;
                case 9: table["TopByteIgnore"] = $"(TopByteIgnore){reader.Byte() % 5}"; break;
                case 10: targetShape = reader.Byte(); break;
                default:
                    if (list.Count > 0)
                        list[reader.Choose(list.Count)].Arguments.Remove(LevelInts.Concat(LevelMasks).Concat(LevelBools).ElementAt(reader.Choose(7)));
                    break;
            }
        }

        var attributes = new StringBuilder();
        attributes.Append("[PageTable(").Append(string.Join(", ", table.Select(kv => $"{kv.Key} = {kv.Value}"))).Append(")]\n");
        foreach (var level in list.OrderByDescending(l => l.Number))
            attributes.Append($"[PageLevel({level.Number}").Append(string.Concat(level.Arguments.Select(kv => $", {kv.Key} = {kv.Value}"))).Append(")]\n");
        foreach (var inherit in inherits)
            attributes.Append(inherit).Append('\n');
        string type = (targetShape % 6) switch
        {
            0 or 1 => "public static partial class FuzzLayout;",
            2 => "public partial struct FuzzLayout;",
            3 => "internal static partial class FuzzLayout { }",
            4 => "public readonly partial struct FuzzLayout { }",
            _ => "public partial class FuzzLayout { public int Other; }",
        };
        string body = attributes + type;
        if (targetShape / 6 % 3 == 1)
            body = $"partial class Outer\n{{\n{body}\n}}";
        string ns = targetShape / 18 % 2 == 1 ? "namespace Fuzz.Layouts;\n" : "";
        return $"using Walkers;\n{ns}\n{body}\n";
    }

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Hex(ulong value) => "0x" + value.ToString("X", CultureInfo.InvariantCulture);

    private static ulong Bits(int from, int to) => to >= 64 ? ~0UL << from : ((1UL << to) - 1) & ~((1UL << from) - 1);

    private static string IntValue(ref InputReader reader) => (reader.Byte() % 6) switch
    {
        0 => Int((sbyte)reader.Byte()),
        1 => Int(1 << reader.Byte() % 31),
        2 => Int((int)reader.U32()),
        3 => Int(reader.Byte() % 70),
        4 => "int.MaxValue",
        _ => Int(reader.Byte() % 2 == 0 ? 0 : -1),
    };

    private static string MaskValue(ref InputReader reader) => (reader.Byte() % 6) switch
    {
        0 => Hex(1UL << reader.Byte() % 64),
        1 => Hex(reader.U64()),
        2 => Hex(Bits(reader.Byte() % 64, 1 + reader.Byte() % 64)),
        3 => "0",
        4 => "ulong.MaxValue",
        _ => Hex(reader.U16()),
    };

    /// <summary>The fixed seeds: a consistent layout per shape, and a few with typical mistakes.</summary>
    public static IEnumerable<(string Name, byte[] Input)> Seeds()
    {
        yield return ("x86-64-like", [1, 2, 3, 1, 1, 1, 1]);
        yield return ("two-levels-32-bit", [0, 2, 1, 1, 1]);
        yield return ("five-levels-sign-extended", [1, 2, 4, 1, 1, 1, 1, 1, 1]);
        yield return ("one-level", [1, 2, 0, 1, 1]);
        yield return ("64k-pages", [1, 6, 2, 1, 1, 1, 0]);
        yield return ("mutated-masks", [1, 2, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2, 12, 5, 0, 2, 2, 0, 9]);
        yield return ("level-renumbered", [1, 2, 3, 1, 1, 1, 1, 7, 1, 0, 9]);
        yield return ("inherit-rules", [1, 2, 3, 1, 1, 1, 1, 8, 1, 1, 8, 63, 1, 1, 62]);
        yield return ("upper-half-tbi", [1, 2, 3, 1, 1, 1, 1, 2, 1, 1, 9, 2]);
        yield return ("nested-struct", [1, 2, 3, 1, 1, 1, 1, 10, 8]);
        // The top bit of the first byte: also emitted, loaded and walked.
        yield return ("run-x86-64-like", [0x81, 2, 3, 1, 1, 1, 1]);
        yield return ("run-two-levels-32-bit", [0x80, 2, 1, 1, 1]);
        yield return ("run-five-levels", [0x81, 2, 4, 1, 1, 1, 1, 1, 1]);
        yield return ("run-64k-pages", [0x81, 6, 2, 1, 1, 1, 0]);
        yield return ("run-16k-pages-leaves", [0x81, 4, 3, 2, 2, 2, 2]);
    }

    /// <summary>Structured inputs: a consistent start and up to 24 mutations.</summary>
    public static Gen<byte[]> Structured { get; } =
        Gen.Select(Gen.Byte.Array[9], Gen.Byte.Array[0, 72], (start, mutations) => (byte[])[.. start, .. mutations]);
}
