using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace Walkers.Package.Tests;

/// <summary>A fenced code block of a Markdown file: its info string (<c>csharp</c>, <c>xml</c>...), first line and text.</summary>
internal sealed record CodeBlock(string File, int Line, string Language, string Text)
{
    public override string ToString() => $"{File}:{Line}";
}

internal static class Markdown
{
    /// <summary>
    /// The documents whose C# must compile: README.md and docs/*.md. docs/diagnostics/ is left out: its pages show
    /// code that is wrong on purpose (each diagnostic's trigger).
    /// </summary>
    public static IEnumerable<string> Documents() =>
        new[] { "README.md" }.Concat(
            Directory.GetFiles(Repository.PathOf("docs"), "*.md")
                .Select(f => Path.GetRelativePath(Repository.Root, f).Replace(Path.DirectorySeparatorChar, '/'))
                .Order(StringComparer.Ordinal));

    /// <summary>Every fenced block (``` or ~~~, indented or not) of <paramref name="relativePath"/>, in order.</summary>
    public static IReadOnlyList<CodeBlock> Blocks(string relativePath)
    {
        var lines = File.ReadAllLines(Repository.PathOf(relativePath));
        var blocks = new List<CodeBlock>();
        for (int i = 0; i < lines.Length; i++)
        {
            string trimmed = lines[i].TrimStart();
            if (!(trimmed.StartsWith("```", StringComparison.Ordinal) || trimmed.StartsWith("~~~", StringComparison.Ordinal)))
                continue;
            int indent = lines[i].Length - trimmed.Length;
            string fence = trimmed[..(trimmed.TakeWhile(c => c == trimmed[0]).Count())];
            string language = trimmed[fence.Length..].Trim();
            var body = new List<string>();
            int j = i + 1;
            for (; j < lines.Length; j++)
            {
                string closing = lines[j].Trim();
                if (closing.Length >= fence.Length && closing.All(c => c == fence[0]))
                    break;
                string line = lines[j];
                int strip = Math.Min(indent, line.Length - line.TrimStart().Length);
                body.Add(line[strip..]);
            }
            Assert.True(j < lines.Length, $"{relativePath}:{i + 1}: the code block is not closed");
            blocks.Add(new CodeBlock(relativePath, i + 1, language, string.Join("\n", body) + "\n"));
            i = j;
        }
        return blocks;
    }

    /// <summary>The blocks with this exact info string.</summary>
    public static IReadOnlyList<CodeBlock> Blocks(string relativePath, string language) =>
        Blocks(relativePath).Where(b => b.Language == language).ToList();

    /// <summary>The blocks that follow a line containing <paramref name="marker"/> (an HTML comment such as <c>&lt;!-- consumer:Program.cs --&gt;</c>).</summary>
    public static CodeBlock BlockAfter(string relativePath, string marker)
    {
        var lines = File.ReadAllLines(Repository.PathOf(relativePath));
        int at = Array.FindIndex(lines, l => l.Contains(marker, StringComparison.Ordinal));
        Assert.True(at >= 0, $"{relativePath} has no {marker}");
        var block = Blocks(relativePath).FirstOrDefault(b => b.Line > at + 1);
        Assert.True(block is not null, $"{relativePath}: no code block after {marker}");
        return block!;
    }
}
