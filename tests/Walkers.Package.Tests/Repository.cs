using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;

namespace Walkers.Package.Tests;

/// <summary>Where the repository is, how this test assembly was built, and the version defined once in build/.</summary>
public static partial class Repository
{
    private static string Metadata(string key) =>
        typeof(Repository).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value
        ?? throw new InvalidOperationException($"No {key} metadata.");

    public static string Root { get; } = Path.TrimEndingDirectorySeparator(Metadata("WalkersRoot"));

    public static string Configuration { get; } = Metadata("Configuration");

    public static string PathOf(string relative) => Path.Combine(Root, relative.Replace('/', Path.DirectorySeparatorChar));

    /// <summary>The one version: <c>&lt;WalkersVersion&gt;</c> in build/Walkers.Common.props.</summary>
    public static string Version { get; } = ReadVersion();

    private static string ReadVersion()
    {
        var matches = VersionElement().Matches(File.ReadAllText(PathOf("build/Walkers.Common.props")));
        Assert.Single(matches);
        return matches[0].Groups[1].Value;
    }

    [GeneratedRegex(@"<WalkersVersion>([^<]+)</WalkersVersion>")]
    private static partial Regex VersionElement();
}

/// <summary>Runs a command to completion, with a time limit, and keeps what it printed.</summary>
public static class Command
{
    public sealed record Result(int ExitCode, string Output)
    {
        public Result ShouldSucceed(string what)
        {
            Assert.True(ExitCode == 0, $"{what} failed with exit code {ExitCode}:\n{Output}");
            return this;
        }
    }

    /// <summary>
    /// Runs <c>dotnet</c> with <paramref name="arguments"/> in <paramref name="directory"/>. The MSBuild variables of
    /// the test run that started us are removed, so the child is an ordinary command line build; build servers are
    /// off (<c>--disable-build-servers</c> where the caller passes it), so nothing outlives the test.
    /// </summary>
    public static Result Dotnet(string directory, IEnumerable<string> arguments, TimeSpan? timeout = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
            start.ArgumentList.Add(argument);
        foreach (string name in start.Environment.Keys.ToArray())
        {
            if (name.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || name.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)
                || name is "DOTNET_HOST_PATH" or "MSBUILDNOINPROCNODE")
                start.Environment.Remove(name);
        }
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_UI_LANGUAGE"] = "en";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            start.Environment[name] = value;

        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dotnet {string.Join(' ', arguments)} did not finish in time:\n{output}");
        }
        process.WaitForExit(); // drains the output
        lock (output)
            return new Result(process.ExitCode, output.ToString());
    }
}
