using BenchmarkDotNet.Running;

// Run all: dotnet run -c Release --project tests/Walkers.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Walkers.Benchmarks.AddressSpace).Assembly).Run(args);
