using System;
using System.Linq;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Perfolizer.Horology;

// Every workload: dotnet run -c Release --project tests/Walkers.Benchmarks -- --filter '*'
// Short mode (every workload in under 3 minutes): add --short. It runs in this process (no build and no process per
// benchmark) with few, short iterations: good for ratios within the run and a quick check, not for the last percent.
// One layout or workload: --filter '*X86_64Translate*'.
bool isShort = args.Contains("--short");
var config = DefaultConfig.Instance;
if (isShort)
{
    config = config.AddJob(Job.Default
        .WithToolchain(InProcessEmitToolchain.Instance)
        .WithLaunchCount(1).WithWarmupCount(1).WithIterationCount(3)
        .WithIterationTime(TimeInterval.FromMilliseconds(200))
        .WithId("short"));
}
BenchmarkSwitcher.FromAssembly(typeof(Walkers.Benchmarks.GeneratorWorkloads).Assembly)
    .Run(args.Where(a => a != "--short").ToArray(), config);
