using System.Globalization;
using System.IO;
using System.Text;

namespace Walkers.PtDump.Roots;

/// <summary>Prints a scan: a text table, or JSON Lines.</summary>
internal static class RootsReport
{
    /// <summary>
    /// Text: a header line, one line per root (ROOT MODE ROLE USER-PAGES KERNEL-PAGES BACKREFS EVIDENCE) and a last
    /// line "N roots in X ms (mode M)". JSON (<paramref name="json"/>): one object per root, nothing else.
    /// </summary>
    public static void Write(ScanResult result, TextWriter output, bool json)
    {
        if (json)
        {
            foreach (var root in result.Roots)
                output.WriteLine(Json(root));
            return;
        }
        output.WriteLine($"{"ROOT",-18}  {"MODE",-18}  {"ROLE",-15}  {"USER-PAGES",10}  {"KERNEL-PAGES",12}  {"BACKREFS",8}  EVIDENCE");
        foreach (var root in result.Roots)
        {
            string backReferences = root.BackReferences < 0 ? "-" : root.BackReferences.ToString(CultureInfo.InvariantCulture);
            output.WriteLine($"0x{root.Root:x16}  {Mode(root),-18}  {Role(root.Role),-15}  {root.UserPages,10}  {root.KernelPages,12}  {backReferences,8}  {root.Evidence}");
        }
        string milliseconds = result.Elapsed.TotalMilliseconds.ToString("0.0", CultureInfo.InvariantCulture);
        output.WriteLine($"{result.Roots.Length} roots in {milliseconds} ms (mode {result.Mode?.Name ?? "none"})");
    }

    /// <summary>The layout's name; an AArch64 TTBR1 table's is its upper layout's (arm64-4k-48-upper).</summary>
    private static string Mode(FoundRoot root) => root.UpperHalf ? root.Layout.Name + "-upper" : root.Layout.Name;

    public static string Role(RootRole role) => role switch
    {
        RootRole.Kernel => "kernel",
        RootRole.PtiUserOfKernel => "pti-user-kernel",
        RootRole.Process => "process",
        RootRole.PtiUser => "pti-user",
        RootRole.KernelOwned => "kernel-owned",
        RootRole.KernelLowMap => "kernel-lowmap",
        RootRole.Trampoline => "trampoline",
        RootRole.IdMap => "idmap",
        RootRole.Auxiliary => "aux",
        _ => "mixed",
    };

    private static string Json(FoundRoot root)
    {
        var line = new StringBuilder(256);
        var invariant = CultureInfo.InvariantCulture;
        line.Append(invariant, $"{{\"root\":\"0x{root.Root:x}\",\"mode\":\"{root.Layout.Name}\",\"upperHalf\":{(root.UpperHalf ? "true" : "false")}");
        line.Append(invariant, $",\"role\":\"{Role(root.Role)}\",\"userPages\":{root.UserPages},\"kernelPages\":{root.KernelPages}");
        line.Append(",\"backReferences\":").Append(root.BackReferences < 0 ? "null" : root.BackReferences.ToString(invariant));
        line.Append(",\"pairedWith\":").Append(root.PairedWith is { } partner ? $"\"0x{partner:x}\"" : "null");
        line.Append(",\"evidence\":\"");
        foreach (char c in root.Evidence)
        {
            if (c is '"' or '\\')
                line.Append('\\').Append(c);
            else if (c < ' ')
                line.Append(invariant, $"\\u{(int)c:x4}");
            else
                line.Append(c);
        }
        return line.Append("\"}").ToString();
    }
}
