using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security;

namespace Walkers.Package.Tests;

/// <summary>
/// The repository's packages packed once into a folder (from this build: <c>dotnet pack --no-build</c>), and a
/// scratch folder for consumer projects with a NuGet.config that takes Walkers* from that folder and everything else
/// from the sources this machine is configured with, and a packages folder of its own, so a re-packed version is
/// never served stale from the global cache.
/// </summary>
public sealed class PackageFeed : IDisposable
{
    public static readonly string[] Packages = ["Walkers", "Walkers.Layouts", "Walkers.Images"];

    private static readonly string[] Projects = ["runtime/Walkers/Walkers.csproj", "runtime/Walkers.Layouts/Walkers.Layouts.csproj", "runtime/Walkers.Images/Walkers.Images.csproj"];

    public PackageFeed()
    {
        Scratch = Path.Combine(Path.GetTempPath(), "walkers-package-tests-" + Guid.NewGuid().ToString("N")[..8]);
        Feed = Path.Combine(Scratch, "walkers-feed");
        PackagesFolder = Path.Combine(Scratch, "packages");
        Directory.CreateDirectory(Feed);
        // Consumers live here, outside the repository: nothing of its Directory.Build.* may reach them.
        File.WriteAllText(Path.Combine(Scratch, "Directory.Build.props"), "<Project />\n");
        File.WriteAllText(Path.Combine(Scratch, "Directory.Build.targets"), "<Project />\n");
        File.WriteAllText(Path.Combine(Scratch, "Directory.Packages.props"), "<Project />\n");

        foreach (string project in Projects)
            Command.Dotnet(Repository.Root, ["pack", project, "-c", Repository.Configuration, "--no-build", "-o", Feed, "--disable-build-servers", "-v:q", "-nologo"])
                .ShouldSucceed($"dotnet pack {project}");

        MachineSources = ReadMachineSources();
        File.WriteAllText(Path.Combine(Scratch, "NuGet.config"), NuGetConfig(Feed, MachineSources));
    }

    /// <summary>The root of the consumers' folders (it has the NuGet.config).</summary>
    public string Scratch { get; }

    /// <summary>The packed .nupkg and .snupkg files.</summary>
    public string Feed { get; }

    /// <summary>The consumers' own global packages folder (NUGET_PACKAGES).</summary>
    public string PackagesFolder { get; }

    /// <summary>The package sources this machine's NuGet configuration names (the offline mirror here).</summary>
    public IReadOnlyList<string> MachineSources { get; }

    public string PackagePath(string id, string extension = "nupkg") => Path.Combine(Feed, $"{id}.{Repository.Version}.{extension}");

    /// <summary>A new, empty folder for one consumer.</summary>
    public string NewConsumer(string name)
    {
        string folder = Path.Combine(Scratch, name);
        Directory.CreateDirectory(folder);
        return folder;
    }

    /// <summary>Runs dotnet in a consumer folder with the consumers' packages folder.</summary>
    public Command.Result Dotnet(string directory, params string[] arguments) =>
        Command.Dotnet(directory, arguments, environment: new Dictionary<string, string>
        {
            ["NUGET_PACKAGES"] = PackagesFolder,
            // The listings format numbers: the same text whatever the machine's locale.
            ["DOTNET_SYSTEM_GLOBALIZATION_INVARIANT"] = "1",
        });

    private List<string> ReadMachineSources()
    {
        // Asked from a folder outside the repository and the scratch folder: what the user and machine configs name.
        string outside = Path.Combine(Path.GetTempPath(), "walkers-nuget-sources-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(outside);
        try
        {
            var result = Command.Dotnet(outside, ["nuget", "list", "source", "--format", "short"]).ShouldSucceed("dotnet nuget list source");
            // Lines look like "E https://api.nuget.org/v3/index.json" (E enabled, D disabled).
            var sources = result.Output.Split('\n').Select(l => l.Trim())
                .Where(l => l.StartsWith("E ", StringComparison.Ordinal)).Select(l => l[2..].Trim()).ToList();
            Assert.True(sources.Count > 0, "no enabled NuGet source on this machine:\n" + result.Output);
            return sources;
        }
        finally
        {
            Directory.Delete(outside, recursive: true);
        }
    }

    private static string NuGetConfig(string feed, IReadOnlyList<string> sources)
    {
        var adds = sources.Select((s, i) => $"    <add key=\"machine-{i}\" value=\"{SecurityElement.Escape(s)}\" />");
        var maps = sources.Select((s, i) => $"    <packageSource key=\"machine-{i}\">\n      <package pattern=\"*\" />\n    </packageSource>");
        return $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="walkers-local" value="{SecurityElement.Escape(feed)}" />
            {string.Join("\n", adds)}
              </packageSources>
              <!-- Walkers* only from the folder just packed, whatever a feed may hold under that name. -->
              <packageSourceMapping>
                <packageSource key="walkers-local">
                  <package pattern="Walkers" />
                  <package pattern="Walkers.*" />
                </packageSource>
            {string.Join("\n", maps)}
              </packageSourceMapping>
            </configuration>

            """;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Scratch, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open: the temporary folder is cleaned by the system.
        }
    }
}
