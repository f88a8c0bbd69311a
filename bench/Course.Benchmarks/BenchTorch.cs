using Course.Ml;
using Microsoft.Extensions.Configuration;
using TorchSharp;

namespace Course.Benchmarks;

/// <summary>
/// A bench process's libtorch settings, made before its first GEMM: intra-op threads (<c>COURSE_BENCH_THREADS</c>,
/// default 2) and how oneMKL picks its kernels, from the same setting the site reads
/// (<c>Ml__MklKernelsByCpuFeatures</c>, default true), so a bench measures what the site runs.
/// </summary>
internal static class BenchTorch
{
    public const string MklSetting = "Ml__MklKernelsByCpuFeatures";

    public static int Threads { get; } = int.TryParse(Environment.GetEnvironmentVariable("COURSE_BENCH_THREADS"), out var t) ? t : 2;

    /// <returns>What oneMKL was told, for the bench's host line.</returns>
    public static MklDispatch Setup()
    {
        var mkl = ApplyMkl();
        torch.set_num_threads(Threads);
        return mkl;
    }

    /// <summary>oneMKL's choice alone, for benches that leave libtorch's threads as the site does.</summary>
    public static MklDispatch ApplyMkl()
    {
        // Bound as the site binds it: the same default, and a value that is not a bool is an error, not "true".
        var ml = new ConfigurationBuilder().AddEnvironmentVariables().Build().GetSection(MlOptions.Section).Get<MlOptions>() ?? new MlOptions();
        return MklCpuDispatch.Apply(ml.MklKernelsByCpuFeatures);
    }
}
