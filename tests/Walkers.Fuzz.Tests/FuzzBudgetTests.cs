using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using Xunit.Abstractions;

namespace Walkers.Fuzz.Tests;

/// <summary>
/// The short fuzz campaign CI runs (docs/fuzzing.md): every corpus input of every target (regressions included) keeps
/// its contract, and so does every input the mutation driver makes in <see cref="Budget"/> per target. Cases run one
/// after the other (one class), so the three targets share the machine's time evenly, and the whole stays under two
/// minutes. WALKERS_FUZZ_SECONDS and WALKERS_FUZZ_SEED change the budget and the seed (default: fixed, so a CI run
/// repeats the last one's inputs, as far as its time goes). A crash takes the test host down: the input being run is
/// then in the temporary folder, walkers-fuzz-TARGET.current.
/// </summary>
public sealed class FuzzBudgetTests(ITestOutputHelper output)
{
    private static double Budget => double.TryParse(Environment.GetEnvironmentVariable("WALKERS_FUZZ_SECONDS"), NumberStyles.Float, CultureInfo.InvariantCulture, out double s) ? s : 25;

    private static ulong Seed => ulong.TryParse(Environment.GetEnvironmentVariable("WALKERS_FUZZ_SEED"), out ulong s) ? s : 20_251_202;

    public static TheoryData<string> Targets => new(FuzzTarget.All.Select(t => t.Name));

    [Theory]
    [MemberData(nameof(Targets))]
    public void Corpus_replays_clean(string name)
    {
        var target = FuzzTarget.Find(name)!;
        var inputs = MutationDriver.Load(Corpus.Folder(name));
        Assert.NotEmpty(inputs);
        var failures = new StringBuilder();
        int known = 0;
        foreach (var (path, input) in inputs)
        {
            if (MutationDriver.Execute(target, input, out string? defect) is string failure)
                failures.Append(CultureInfo.InvariantCulture, $"{Path.GetRelativePath(Corpus.Folder(name), path)}: {failure}\n");
            else if (defect is not null)
                known++;
        }
        output.WriteLine($"{name}: {inputs.Count} corpus inputs replayed, {known} hit known defects");
        Assert.True(failures.Length == 0, failures.ToString());
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void Mutation_campaign_finds_nothing(string name)
    {
        var target = FuzzTarget.Find(name)!;
        var corpus = MutationDriver.Load(Corpus.Folder(name)).Select(f => f.Input).ToList();
        string current = Path.Combine(Path.GetTempPath(), $"walkers-fuzz-{name}.current");
        var result = MutationDriver.Run(target, corpus, TimeSpan.FromSeconds(Budget), Seed, current);
        File.Delete(current);
        output.WriteLine(result.ToString());
        Console.Error.WriteLine($"fuzz budget: {result}");
        if (result.Failures.Count > 0)
        {
            // Keep the inputs: tests/Walkers.Fuzz/corpus/TARGET/regressions is where they go once understood.
            string folder = Path.Combine(Path.GetTempPath(), "walkers-fuzz-failures", name);
            Directory.CreateDirectory(folder);
            var report = new StringBuilder();
            foreach (var (input, message) in result.Failures)
            {
                string file = Path.Combine(folder, MutationDriver.Name(input));
                File.WriteAllBytes(file, input);
                report.Append(CultureInfo.InvariantCulture, $"{file}: {message}\n");
            }
            Assert.Fail($"{result}\n{report}");
        }
        Assert.True(result.Executions > 0);
    }
}
