using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;

namespace Walkers.Package.Tests;

/// <summary>
/// One version everywhere (defined once, as WalkersVersion in build/Walkers.Common.props), and README.md's ptdump
/// examples, run on the repository's captures, print what README.md shows.
/// </summary>
public sealed partial class VersionAndReadmeTests
{
    [Fact]
    public void The_version_is_a_plain_semantic_version()
    {
        Assert.Matches(@"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$", Repository.Version);
    }

    [Theory]
    [InlineData("runtime/Walkers/bin/{0}/net10.0/Walkers.dll")]
    [InlineData("runtime/Walkers.Layouts/bin/{0}/net10.0/Walkers.Layouts.dll")]
    [InlineData("runtime/Walkers.Images/bin/{0}/net10.0/Walkers.Images.dll")]
    [InlineData("generator/Walkers.Generator/bin/{0}/netstandard2.0/Walkers.Generator.dll")]
    [InlineData("samples/PtDump/bin/{0}/net10.0/ptdump.dll")]
    public void Every_shipped_assembly_has_the_one_version(string path)
    {
        string file = Repository.PathOf(string.Format(System.Globalization.CultureInfo.InvariantCulture, path, Repository.Configuration));
        var info = FileVersionInfo.GetVersionInfo(file);
        Assert.Equal(Repository.Version, info.ProductVersion); // the informational version, no "+commit" suffix
        Assert.StartsWith(Repository.Version.Split('-')[0] + ".", info.FileVersion);
        Assert.Equal(Version.Parse(Repository.Version.Split('-')[0] + ".0"), System.Reflection.AssemblyName.GetAssemblyName(file).Version);
    }

    [Fact]
    public void Generated_code_names_the_generator_with_the_one_version()
    {
        // The ready layouts are generated code: their [GeneratedCode] says which generator made them, and its version.
        string file = Repository.PathOf($"runtime/Walkers.Layouts/bin/{Repository.Configuration}/net10.0/Walkers.Layouts.dll");
        var context = new System.Runtime.Loader.AssemblyLoadContext("layouts", isCollectible: true);
        try
        {
            var layouts = context.LoadFromAssemblyPath(file);
            var attribute = layouts.GetType("Walkers.Layouts.X86_64+Layout", throwOnError: true)!
                .GetCustomAttributesData().Single(a => a.AttributeType.FullName == "System.CodeDom.Compiler.GeneratedCodeAttribute");
            Assert.Equal("Walkers.Generator", attribute.ConstructorArguments[0].Value);
            Assert.Equal(Repository.Version, attribute.ConstructorArguments[1].Value);
        }
        finally
        {
            context.Unload();
        }
    }

    [Fact]
    public void Ptdump_version_prints_the_one_version()
    {
        var run = Ptdump("--version");
        Assert.Equal(0, run.ExitCode);
        Assert.Equal(Repository.Version, run.Output.Trim());
    }

    [Fact]
    public void Documents_and_samples_name_the_one_version_wherever_they_name_a_Walkers_package()
    {
        var files = Markdown.Documents().Select(Repository.PathOf)
            .Concat(Directory.GetFiles(Repository.PathOf("samples"), "*.csproj", SearchOption.AllDirectories));
        int seen = 0;
        foreach (string file in files)
            foreach (Match match in PackageReference().Matches(File.ReadAllText(file)))
            {
                seen++;
                Assert.True(match.Groups[2].Value == Repository.Version,
                    $"{Path.GetRelativePath(Repository.Root, file)} names {match.Groups[1].Value} {match.Groups[2].Value}, the version is {Repository.Version}");
            }
        Assert.True(seen >= 2, "README.md and docs/getting-started.md name the package with its version");
    }

    [Fact]
    public void The_README_ptdump_examples_on_the_repository_captures_print_what_the_README_shows()
    {
        var blocks = Markdown.Blocks("README.md");
        int checkedExamples = 0;
        for (int i = 0; i + 1 < blocks.Count; i++)
        {
            string command = blocks[i].Text.Replace("\\\n", " ").Trim();
            const string prefix = "dotnet run --project samples/PtDump -- ";
            if (blocks[i].Language != "sh" || !command.StartsWith(prefix, StringComparison.Ordinal) || command.Contains('\n') || blocks[i + 1].Language != "text")
                continue;
            string[] arguments = command[prefix.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Select(a => a.StartsWith("tests/", StringComparison.Ordinal) ? Repository.PathOf(a) : a).ToArray();
            var run = Ptdump(arguments);
            Assert.True(run.ExitCode == 0, $"README.md:{blocks[i].Line}: ptdump failed:\n{run.Output}");
            Assert.Equal(blocks[i + 1].Text.TrimEnd('\n'), run.Output.Replace("\r", "").TrimEnd('\n'));
            checkedExamples++;
        }
        Assert.True(checkedExamples >= 3, $"README.md has {checkedExamples} ptdump examples with their output; it had 3");
    }

    private static Command.Result Ptdump(params string[] arguments) =>
        Command.Dotnet(Repository.Root, [Repository.PathOf($"samples/PtDump/bin/{Repository.Configuration}/net10.0/ptdump.dll"), .. arguments]);

    [GeneratedRegex(@"Include=""(Walkers(?:\.Layouts|\.Images)?)""\s+Version=""([^""]+)""")]
    private static partial Regex PackageReference();
}
