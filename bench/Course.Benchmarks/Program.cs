using BenchmarkDotNet.Running;
using Course.Benchmarks;

// dotnet run -c Release --project bench/Course.Benchmarks -- --filter '*'      (BenchmarkDotNet suites)
// dotnet run -c Release --project bench/Course.Benchmarks -- inference           (latency, TorchSharp vs ORT)
// dotnet run -c Release --project bench/Course.Benchmarks -- inference memory    (resident memory over 10k requests)
// dotnet run -c Release --project bench/Course.Benchmarks -- training [STEPS]     (fine-tuning examples/s, fp32 vs bf16)
if (args is ["gemm"])
{
    TrainingBenchmark.Shapes();
    return;
}
if (args is ["training", .. var steps])
{
    TrainingBenchmark.Run(steps is [var n] ? int.Parse(n) : 30);
    return;
}
if (args is ["inference", .. var rest])
{
    InferenceBenchmark.Run(rest.Contains("memory"));
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
