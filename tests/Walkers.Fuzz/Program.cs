using System;
using System.Globalization;
using System.IO;
using System.Linq;
using SharpFuzz;

namespace Walkers.Fuzz;

/// <summary>
/// <c>Walkers.Fuzz TARGET</c>: run under AFL++ through SharpFuzz (input on stdin or the file AFL++ names);
/// <c>--libfuzzer</c>: under libFuzzer (libfuzzer-dotnet); <c>--replay PATH...</c>: run files or folders once;
/// <c>--mutate SECONDS [--seed N] [--corpus DIR] [--out DIR]</c>: the built-in campaign;
/// <c>seeds DIR</c>: write the fixed seeds. Targets: images, walkers, generator (docs/fuzzing.md).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length == 2 && args[0] == "seeds")
        {
            Seeds.Write(args[1]);
            return 0;
        }
        if (args.Length == 0 || FuzzTarget.Find(args[0]) is not FuzzTarget target)
        {
            Console.Error.WriteLine($"usage: Walkers.Fuzz {string.Join('|', FuzzTarget.All.Select(t => t.Name))} [--libfuzzer | --replay PATH... | --mutate SECONDS [--seed N] [--corpus DIR] [--out DIR]]");
            Console.Error.WriteLine("       Walkers.Fuzz seeds DIR");
            return 2;
        }
        var rest = args[1..];
        // Under AFL++ and libFuzzer a known, reported defect is not a crash unless WALKERS_FUZZ_STRICT=1.
        bool strict = Environment.GetEnvironmentVariable("WALKERS_FUZZ_STRICT") == "1";
        void RunOnce(ReadOnlySpan<byte> input)
        {
            try
            {
                target.Run(input);
            }
            catch (KnownDefect) when (!strict)
            {
            }
        }
        if (rest.Length == 0)
        {
            // AFL++: SharpFuzz runs each input in a child process, so a crash of the runtime is reported as one.
            Fuzzer.OutOfProcess.Run(stream =>
            {
                using var buffer = new MemoryStream();
                stream.CopyTo(buffer);
                RunOnce(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
            });
            return 0;
        }
        if (rest[0] == "--libfuzzer")
        {
            Fuzzer.LibFuzzer.Run(span => RunOnce(span));
            return 0;
        }
        if (rest[0] == "--replay")
            return Replay(target, rest[1..]);
        if (rest[0] == "--mutate" && rest.Length >= 2)
            return Mutate(target, rest);
        Console.Error.WriteLine($"unknown arguments: {string.Join(' ', rest)}");
        return 2;
    }

    private static int Replay(FuzzTarget target, string[] paths)
    {
        if (paths.Length == 0)
            paths = [Corpus.Folder(target.Name)];
        int runs = 0, failures = 0;
        foreach (var path in paths)
        {
            var inputs = Directory.Exists(path) ? MutationDriver.Load(path) : [(path, File.ReadAllBytes(path))];
            foreach (var (file, input) in inputs)
            {
                runs++;
                if (MutationDriver.Execute(target, input, out string? known) is string failure)
                {
                    failures++;
                    Console.WriteLine($"FAIL {file}: {failure}");
                }
                else if (known is not null)
                {
                    Console.WriteLine($"KNOWN {known} {file}");
                }
            }
        }
        Console.WriteLine($"{target.Name}: {runs} inputs replayed, {failures} failures");
        return failures == 0 ? 0 : 1;
    }

    private static int Mutate(FuzzTarget target, string[] rest)
    {
        double seconds = double.Parse(rest[1], CultureInfo.InvariantCulture);
        ulong seed = (ulong)Environment.TickCount64;
        string corpus = Corpus.Folder(target.Name);
        string? output = null;
        for (int i = 2; i + 1 < rest.Length; i += 2)
        {
            switch (rest[i])
            {
                case "--seed": seed = ulong.Parse(rest[i + 1], CultureInfo.InvariantCulture); break;
                case "--corpus": corpus = rest[i + 1]; break;
                case "--out": output = rest[i + 1]; break;
                default:
                    Console.Error.WriteLine($"unknown option {rest[i]}");
                    return 2;
            }
        }
        var inputs = MutationDriver.Load(corpus).Select(f => f.Input).ToList();
        string current = Path.Combine(Path.GetTempPath(), $"walkers-fuzz-{target.Name}-{Environment.ProcessId}.current");
        Console.WriteLine($"{target.Name}: seed {seed}, {inputs.Count} corpus inputs, {seconds} s; the input being run is in {current}");
        var result = MutationDriver.Run(target, inputs, TimeSpan.FromSeconds(seconds), seed, current);
        File.Delete(current);
        foreach (var (input, message) in result.Failures)
        {
            string name = MutationDriver.Name(input);
            if (output is not null)
            {
                Directory.CreateDirectory(output);
                File.WriteAllBytes(Path.Combine(output, name), input);
            }
            Console.WriteLine($"FAIL {name}: {message}");
        }
        Console.WriteLine(result);
        return result.Failures.Count == 0 ? 0 : 1;
    }
}

/// <summary>Where the corpus lives: tests/Walkers.Fuzz/corpus/TARGET, found from the binaries or the working folder.</summary>
public static class Corpus
{
    public static string Root { get; } = FindRoot();

    public static string Folder(string target) => Path.Combine(Root, target);

    private static string FindRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                var candidate = Path.Combine(directory.FullName, "tests", "Walkers.Fuzz", "corpus");
                if (Directory.Exists(candidate) || File.Exists(Path.Combine(directory.FullName, "Walkers.sln")))
                    return candidate;
            }
        }
        return Path.Combine(Environment.CurrentDirectory, "corpus");
    }
}
