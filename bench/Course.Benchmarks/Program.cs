using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Course.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
