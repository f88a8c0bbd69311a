using BenchmarkDotNet.Running;
using Course.Benchmarks;

// dotnet run -c Release --project bench/Course.Benchmarks -- --filter '*'      (BenchmarkDotNet suites)
// dotnet run -c Release --project bench/Course.Benchmarks -- inference           (latency, TorchSharp vs ORT)
// dotnet run -c Release --project bench/Course.Benchmarks -- inference memory    (resident memory over 10k requests)
if (args is ["inference", .. var rest])
{
    InferenceBenchmark.Run(rest.Contains("memory"));
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
