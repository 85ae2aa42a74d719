using System;
using Microsoft.CodeAnalysis.Text;

namespace Walkers.Generator.Tests.Infrastructure;

/// <summary>Source with one expected span marked <c>[|like this|]</c> (never valid C#, so never ambiguous).</summary>
internal static class Markup
{
    public static (string Source, TextSpan Span) Parse(string markup)
    {
        int start = markup.IndexOf("[|", StringComparison.Ordinal);
        int end = markup.IndexOf("|]", StringComparison.Ordinal);
        if (start < 0 || end < start || markup.IndexOf("[|", start + 2, StringComparison.Ordinal) >= 0)
            throw new ArgumentException("The markup must hold exactly one [|span|].", nameof(markup));
        string source = markup.Remove(end, 2).Remove(start, 2);
        return (source, TextSpan.FromBounds(start, end - 2));
    }

    /// <summary><paramref name="source"/> with its one occurrence of <paramref name="original"/> replaced (the test fails if there is not exactly one).</summary>
    public static string Replace(string source, string original, string replacement)
    {
        int at = source.IndexOf(original, StringComparison.Ordinal);
        if (at < 0 || source.IndexOf(original, at + 1, StringComparison.Ordinal) >= 0)
            throw new ArgumentException($"'{original}' must occur exactly once in the source.", nameof(original));
        return source[..at] + replacement + source[(at + original.Length)..];
    }
}
