using System;
using System.Linq;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;

// Every workload: dotnet run -c Release --project tests/Walkers.Benchmarks -- --filter '*'
// Short mode (under 3 minutes, fewer iterations): add --short. One layout or workload: --filter '*X86_64Translate*'.
bool isShort = args.Contains("--short");
var config = DefaultConfig.Instance;
if (isShort)
    config = config.AddJob(Job.ShortRun.WithLaunchCount(1).WithWarmupCount(2).WithIterationCount(3).WithId("short"));
BenchmarkSwitcher.FromAssembly(typeof(Walkers.Benchmarks.GeneratorWorkloads).Assembly)
    .Run(args.Where(a => a != "--short").ToArray(), config);
