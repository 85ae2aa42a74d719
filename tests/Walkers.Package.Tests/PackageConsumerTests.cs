using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Walkers.Package.Tests;

/// <summary>
/// The packages as a new user gets them: packed from this build into a folder, then consumer projects outside the
/// repository that reference the packages and nothing else. One builds README.md's project settings and program and
/// prints what README.md says it prints; one follows docs/getting-started.md command by command; one declares a wrong
/// layout and gets the generator's error, with its id and help link.
/// </summary>
public sealed class PackageConsumerTests(PackageFeed feed) : IClassFixture<PackageFeed>
{
    /// <summary>What `dotnet new console` writes for net10.0, around the settings a document adds.</summary>
    private static string ConsoleProject(string settings) => $"""
        <Project Sdk="Microsoft.NET.Sdk">
          <PropertyGroup>
            <OutputType>Exe</OutputType>
            <TargetFramework>net10.0</TargetFramework>
            <ImplicitUsings>enable</ImplicitUsings>
            <Nullable>enable</Nullable>
            <!-- The test's own addition: a warning in generated code would fail here, not pass unseen. -->
            <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
            <EmitCompilerGeneratedFiles>true</EmitCompilerGeneratedFiles>
          </PropertyGroup>
        {settings}
        </Project>

        """;

    [Fact]
    public void The_README_project_settings_and_program_build_against_the_package_alone_and_print_what_the_README_shows()
    {
        string settings = Markdown.BlockAfter("README.md", "<!-- consumer:project -->").Text;
        string program = Markdown.BlockAfter("README.md", "<!-- consumer:Program.cs -->").Text;
        string expected = Markdown.BlockAfter("README.md", "<!-- consumer:output -->").Text;
        Assert.Contains("<PackageReference Include=\"Walkers\"", settings);
        Assert.Contains("<LangVersion>13</LangVersion>", settings); // the oldest C# the generated code needs: built here

        string folder = feed.NewConsumer("readme");
        File.WriteAllText(Path.Combine(folder, "readme.csproj"), ConsoleProject(Indent(settings)));
        File.WriteAllText(Path.Combine(folder, "Program.cs"), program);
        feed.Dotnet(folder, "build", "-c", "Release", "--disable-build-servers", "-nologo").ShouldSucceed("building README.md's program");

        AssertUsedThePackage(folder);
        var run = feed.Dotnet(folder, "bin/Release/net10.0/readme.dll".Split(' ')).ShouldSucceed("running README.md's program");
        Assert.Equal(Lines(expected), Lines(run.Output));
    }

    [Fact]
    public void Getting_started_from_an_empty_folder_works_step_by_step_with_the_packed_package()
    {
        const string document = "docs/getting-started.md";
        string text = File.ReadAllText(Repository.PathOf(document));
        // The commands the document gives, in its order; the test runs the same ones.
        string[] commands = ["dotnet new console -o first-walker", "dotnet add package Walkers --version " + Repository.Version, "dotnet run"];
        int at = 0;
        foreach (string command in commands)
        {
            int found = text.IndexOf(command, at, StringComparison.Ordinal);
            Assert.True(found >= 0, $"{document} no longer says `{command}` (after the previous step): update the document and this test together");
            at = found + command.Length;
        }

        // The document's feed is ../walkers-feed beside the project: the fixture's feed is that folder.
        string root = feed.Scratch;
        Assert.True(Directory.Exists(Path.Combine(root, "walkers-feed")));
        feed.Dotnet(root, "new", "console", "-o", "first-walker", "--no-update-check").ShouldSucceed("dotnet new console");
        string project = Path.Combine(root, "first-walker");

        string nugetConfig = Markdown.BlockAfter(document, "<!-- step:nuget.config -->").Text;
        Assert.Contains("../walkers-feed", nugetConfig);
        // The document names nuget.org; this machine may reach its packages through another source.
        foreach (string source in feed.MachineSources.Where(s => !nugetConfig.Contains(s, StringComparison.Ordinal)).Take(1))
            nugetConfig = nugetConfig.Replace("https://api.nuget.org/v3/index.json", source, StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(project, "nuget.config"), nugetConfig);

        feed.Dotnet(project, "add", "package", "Walkers", "--version", Repository.Version).ShouldSucceed("dotnet add package Walkers");
        string added = File.ReadAllText(Path.Combine(project, "first-walker.csproj"));
        Assert.Contains($"<PackageReference Include=\"Walkers\" Version=\"{Repository.Version}\" />", added);

        string csproj = Markdown.BlockAfter(document, "<!-- step:csproj -->").Text;
        Assert.Contains($"<PackageReference Include=\"Walkers\" Version=\"{Repository.Version}\" />", csproj);
        File.WriteAllText(Path.Combine(project, "first-walker.csproj"), csproj);
        File.WriteAllText(Path.Combine(project, "Program.cs"), Markdown.BlockAfter(document, "<!-- step:Program.cs -->").Text);

        var run = feed.Dotnet(project, "run", "--disable-build-servers").ShouldSucceed("dotnet run");
        AssertUsedThePackage(project, emitsGeneratedFiles: false); // MyLayout.Map exists only if the generator ran
        Assert.Equal(Lines(Markdown.BlockAfter(document, "<!-- step:output -->").Text), Lines(run.Output));
    }

    [Fact]
    public void A_wrong_layout_in_a_package_consumer_is_a_WALK_error_on_the_attribute_with_its_id_and_help_link()
    {
        string settings = Markdown.BlockAfter("README.md", "<!-- consumer:project -->").Text;
        string folder = feed.NewConsumer("wrong-layout");
        File.WriteAllText(Path.Combine(folder, "wrong.csproj"), ConsoleProject(Indent(settings) + """

              <PropertyGroup>
                <ErrorLog>diagnostics.sarif,version=2.1</ErrorLog>
              </PropertyGroup>
            """));
        File.WriteAllText(Path.Combine(folder, "Program.cs"), """
            using Walkers;

            System.Console.WriteLine(Wrong.LevelTable);

            [PageTable(VirtualAddressBits = 48, SignExtend = true, PresentMask = 0x1, AddressMask = 0x000F_FFFF_FFFF_F000,
                       TableMask = 0x80, TableValue = 0)]
            [PageLevel(4, Shift = 39, Entries = 512)]
            [PageLevel(3, Shift = 30, Entries = 512)]
            [PageLevel(2, Shift = 21, Entries = 500)]
            [PageLevel(1, Shift = 12, Entries = 512)]
            static partial class Wrong;

            """);
        var build = feed.Dotnet(folder, "build", "-c", "Release", "--disable-build-servers", "-nologo");
        Assert.NotEqual(0, build.ExitCode);
        // The error names the attribute argument: Program.cs line 9, where "Entries = 500" is.
        var error = Regex.Match(build.Output, @"Program\.cs\((\d+),(\d+)\): error (WALK\d{4}): ([^\[\r\n]*)");
        Assert.True(error.Success, "no WALK error in the build output:\n" + build.Output);
        Assert.Equal("WALK0004", error.Groups[3].Value);
        Assert.Equal("9", error.Groups[1].Value);
        Assert.Contains("500", error.Groups[4].Value);

        using var sarif = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "diagnostics.sarif")));
        var run = sarif.RootElement.GetProperty("runs")[0];
        Assert.Contains(run.GetProperty("results").EnumerateArray(), r => r.GetProperty("ruleId").GetString() == "WALK0004");
        var rule = run.GetProperty("tool").GetProperty("driver").GetProperty("rules").EnumerateArray()
            .Single(r => r.GetProperty("id").GetString() == "WALK0004");
        // The help link, where the generator gives one (https://walkers.invalid/docs/diagnostics/WALK0004.md style):
        // it names this diagnostic's page. Once every descriptor has one, make this unconditional.
        if (rule.TryGetProperty("helpUri", out var helpUri))
        {
            Assert.True(Uri.TryCreate(helpUri.GetString(), UriKind.Absolute, out var uri), $"help link {helpUri} is not an absolute URI");
            Assert.EndsWith("/WALK0004.md", uri!.AbsolutePath, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_Walkers_package_has_the_runtime_the_generator_readme_license_symbols_repository_and_one_version()
    {
        string version = Repository.Version;
        using (var package = ZipFile.OpenRead(feed.PackagePath("Walkers")))
        {
            var files = package.Entries.Select(e => e.FullName).ToHashSet();
            foreach (string file in new[] { "lib/net10.0/Walkers.dll", "lib/net10.0/Walkers.xml", "analyzers/dotnet/cs/Walkers.Generator.dll", "README.md", "LICENSE" })
                Assert.Contains(file, files);
            var nuspec = Nuspec(package, "Walkers");
            Assert.Equal(version, nuspec("version"));
            Assert.Equal("MIT", nuspec("license"));
            Assert.Equal("README.md", nuspec("readme"));
            Assert.Equal("the Walkers authors", nuspec("authors"));
            Assert.Contains("2026 the Walkers authors", nuspec("copyright"));
            var repository = NuspecElement(package, "Walkers", "repository");
            Assert.Equal("git", repository.Attribute("type")?.Value);
            Assert.False(string.IsNullOrEmpty(repository.Attribute("url")?.Value), "the nuspec has no repository url");

            // The generator the package carries has the package's version (its [GeneratedCode] is to name it).
            string generator = Extract(package, "analyzers/dotnet/cs/Walkers.Generator.dll");
            Assert.Equal(version, System.Diagnostics.FileVersionInfo.GetVersionInfo(generator).ProductVersion);
            string runtime = Extract(package, "lib/net10.0/Walkers.dll");
            Assert.Equal(version, System.Diagnostics.FileVersionInfo.GetVersionInfo(runtime).ProductVersion);
        }
        using (var symbols = ZipFile.OpenRead(feed.PackagePath("Walkers", "snupkg")))
            Assert.Contains("lib/net10.0/Walkers.pdb", symbols.Entries.Select(e => e.FullName));

        foreach (string id in PackageFeed.Packages.Skip(1))
        {
            using var package = ZipFile.OpenRead(feed.PackagePath(id));
            Assert.Contains($"lib/net10.0/{id}.dll", package.Entries.Select(e => e.FullName));
            var dependency = NuspecElement(package, id, "dependencies").Descendants().Single(d => d.Name.LocalName == "dependency" && d.Attribute("id")?.Value == "Walkers");
            Assert.Equal(version, dependency.Attribute("version")?.Value);
            Assert.True(File.Exists(feed.PackagePath(id, "snupkg")), $"{id} has no symbol package");
        }
    }

    /// <summary>The consumer restored Walkers from the packed folder (a package, not a project) and the generator ran.</summary>
    private void AssertUsedThePackage(string folder, bool emitsGeneratedFiles = true)
    {
        using var assets = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "obj", "project.assets.json")));
        var library = assets.RootElement.GetProperty("libraries").GetProperty($"Walkers/{Repository.Version}");
        Assert.Equal("package", library.GetProperty("type").GetString());
        Assert.True(File.Exists(Path.Combine(feed.PackagesFolder, "walkers", Repository.Version, $"walkers.{Repository.Version}.nupkg")),
            "Walkers was not restored into the consumers' own packages folder");
        if (!emitsGeneratedFiles)
            return;
        var generated = Directory.GetFiles(Path.Combine(folder, "obj"), "*.Walkers.g.cs", SearchOption.AllDirectories);
        Assert.True(generated.Length > 0, "the generator from the package wrote no walker");
    }

    private static string Indent(string xml) => string.Join("\n", xml.TrimEnd().Split('\n').Select(l => "  " + l));

    private static string[] Lines(string text) => text.Replace("\r", "").TrimEnd('\n').Split('\n').Select(l => l.TrimEnd()).ToArray();

    private static Func<string, string?> Nuspec(ZipArchive package, string id) => name => NuspecElement(package, id, name).Value;

    private static XElement NuspecElement(ZipArchive package, string id, string name)
    {
        using var stream = package.GetEntry(id + ".nuspec")!.Open();
        var metadata = XDocument.Load(stream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
        var element = metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name);
        Assert.True(element is not null, $"{id}.nuspec has no <{name}>");
        return element!;
    }

    private string Extract(ZipArchive package, string entry)
    {
        string path = Path.Combine(feed.Scratch, "extracted", entry);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        package.GetEntry(entry)!.ExtractToFile(path, overwrite: true);
        return path;
    }
}
