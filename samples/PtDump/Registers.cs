using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text.RegularExpressions;

namespace Walkers.PtDump;

/// <summary>
/// Register values from a text file: every <c>NAME=0x...</c> or <c>NAME=hex</c> word (the shared captures' regs.txt,
/// QEMU's <c>info registers</c>), by upper-case name; the first value of a name wins.
/// </summary>
internal static partial class Registers
{
    [GeneratedRegex(@"(?<![A-Za-z0-9_])([A-Za-z][A-Za-z0-9_]*)=(?:0x)?([0-9a-fA-F]{1,16})(?![0-9a-fA-F])")]
    private static partial Regex Assignment();

    public static Dictionary<string, ulong> Read(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BadInputException($"{path}: cannot read the register file: {e.Message.ReplaceLineEndings(" ")}");
        }
        var values = new Dictionary<string, ulong>(StringComparer.OrdinalIgnoreCase);
        foreach (Match match in Assignment().Matches(text))
            values.TryAdd(match.Groups[1].Value.ToUpperInvariant(), ulong.Parse(match.Groups[2].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
        if (values.Count == 0)
            throw new BadInputException($"{path}: no NAME=0x... register values in it");
        return values;
    }

    /// <summary>A value given on the command line (hex, 0x optional, _ allowed).</summary>
    public static ulong ParseHex(string text, string what)
    {
        var digits = text.Trim().Replace("_", "", StringComparison.Ordinal);
        if (digits.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            digits = digits[2..];
        if (digits.Length is 0 or > 16 || !ulong.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong value))
            throw new UsageException($"{what} '{text}' is not a 64-bit hex number");
        return value;
    }
}
