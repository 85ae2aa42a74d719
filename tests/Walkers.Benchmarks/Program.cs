using System;
using System.Diagnostics;
using System.Linq;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

// Every workload: dotnet run -c Release --project tests/Walkers.Benchmarks -- --filter '*'
// Short mode (every workload in under 3 minutes): add --short. It runs in one process (no build and no process per
// benchmark), one invocation per iteration, with tiered compilation off so that a few iterations already measure
// fully optimised code (the walkers are AggressiveOptimization anyway; the harness and visitors then are too): good
// for ratios within the run and a quick check, not for the last percent. One class: --filter '*X86_64Translate*'.
bool isShort = args.Contains("--short");
if (isShort && Environment.GetEnvironmentVariable("DOTNET_TieredCompilation") != "0")
{
    var start = new ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false };
    if (System.IO.Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
        start.ArgumentList.Add(typeof(Walkers.Benchmarks.GeneratorWorkloads).Assembly.Location);
    foreach (string arg in args)
        start.ArgumentList.Add(arg);
    start.Environment["DOTNET_TieredCompilation"] = "0";
    using var child = Process.Start(start)!;
    child.WaitForExit();
    return child.ExitCode;
}

var config = DefaultConfig.Instance;
if (isShort)
{
    config = config.AddJob(Job.Default
        .WithToolchain(InProcessEmitToolchain.Instance)
        .WithStrategy(RunStrategy.Monitoring)
        .WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(9)
        .WithId("short"));
}
BenchmarkSwitcher.FromAssembly(typeof(Walkers.Benchmarks.GeneratorWorkloads).Assembly)
    .Run(args.Where(a => a != "--short").ToArray(), config);
return 0;
