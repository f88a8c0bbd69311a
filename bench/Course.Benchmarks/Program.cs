using BenchmarkDotNet.Running;
using Course.Benchmarks;

// dotnet run -c Release --project bench/Course.Benchmarks -- --filter '*'      (BenchmarkDotNet suites)
// dotnet run -c Release --project bench/Course.Benchmarks -- inference [memory] (latency and memory table)
if (args is ["inference", .. var rest])
{
    InferenceBenchmark.Run(rest.Contains("memory"));
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
