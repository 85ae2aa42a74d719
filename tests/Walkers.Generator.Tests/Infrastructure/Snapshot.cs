using System;
using System.IO;
using System.Runtime.CompilerServices;
using DiffPlex.Renderer;
using Xunit.Sdk;

namespace Walkers.Generator.Tests.Infrastructure;

/// <summary>
/// Snapshot testing of generated files, with Verify's naming: <c>Snapshots/{File}.{Method}#{Hint}.verified.cs</c>
/// beside the test's source file (Verify also names by the test's source file; the hint name loses its ".cs").
/// A missing or different snapshot fails; the received text is written next to it as <c>.received.cs</c>.
/// With <c>UPDATE_SNAPSHOTS=1</c> the received text is accepted as the new verified file instead.
/// </summary>
internal static class Snapshot
{
    public const string UpdateVariable = "UPDATE_SNAPSHOTS";

    /// <summary>Compares <paramref name="actual"/> with the verified snapshot of the calling test.</summary>
    public static void Match(string actual, string hintName, [CallerFilePath] string sourceFile = "", [CallerMemberName] string method = "")
    {
        var store = new SnapshotStore(
            Path.Combine(Path.GetDirectoryName(sourceFile)!, "Snapshots"),
            Environment.GetEnvironmentVariable(UpdateVariable) == "1");
        store.Match(Path.GetFileNameWithoutExtension(sourceFile), method, hintName, actual);
    }
}

/// <summary>The snapshot files of one folder. Kept apart from <see cref="Snapshot"/> so the rules can be tested in a temporary folder.</summary>
internal sealed class SnapshotStore(string directory, bool update)
{
    public string VerifiedPath(string owner, string method, string hintName) => PathFor(owner, method, hintName, "verified");

    public string ReceivedPath(string owner, string method, string hintName) => PathFor(owner, method, hintName, "received");

    public void Match(string owner, string method, string hintName, string actual)
    {
        string received = Normalize(actual);
        string verifiedPath = VerifiedPath(owner, method, hintName);
        string receivedPath = ReceivedPath(owner, method, hintName);

        if (update)
        {
            Directory.CreateDirectory(directory);
            File.WriteAllText(verifiedPath, received, Utf8NoBom);
            File.Delete(receivedPath);
            return;
        }

        if (!File.Exists(verifiedPath))
        {
            Directory.CreateDirectory(directory);
            File.WriteAllText(receivedPath, received, Utf8NoBom);
            throw new XunitException(
                $"No verified snapshot at {verifiedPath}.\nThe generated text was written to {receivedPath}; review it, " +
                $"then rename it to .verified.cs or run the tests with {Snapshot.UpdateVariable}=1.");
        }

        string verified = Normalize(File.ReadAllText(verifiedPath));
        if (verified == received)
        {
            File.Delete(receivedPath);
            return;
        }

        File.WriteAllText(receivedPath, received, Utf8NoBom);
        string diff = UnidiffRenderer.GenerateUnidiff(verified, received, Path.GetFileName(verifiedPath), Path.GetFileName(receivedPath),
            ignoreWhitespace: false, ignoreCase: false, contextLines: 3);
        throw new XunitException(
            $"The generated text differs from {verifiedPath} (received: {receivedPath}).\n" +
            $"Accept with {Snapshot.UpdateVariable}=1 once the change is reviewed.\n\n{diff}");
    }

    /// <summary>Line endings to \n, no BOM, so a checkout with CRLF or a BOM-writing editor does not fail the snapshot.</summary>
    public static string Normalize(string text) =>
        text.TrimStart('\uFEFF').Replace("\r\n", "\n").Replace('\r', '\n');

    private string PathFor(string owner, string method, string hintName, string kind)
    {
        string hint = hintName.EndsWith(".cs", StringComparison.Ordinal) ? hintName[..^3] : hintName;
        return Path.Combine(directory, $"{owner}.{method}#{hint}.{kind}.cs");
    }

    private static readonly System.Text.UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);
}
