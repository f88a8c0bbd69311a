using BenchmarkDotNet.Running;
using Course.Benchmarks;
using Course.Core.Data;

// dotnet run -c Release --project bench/Course.Benchmarks -- --filter '*'      (BenchmarkDotNet suites)
// dotnet run -c Release --project bench/Course.Benchmarks -- inference [RUNS]    (latency, TorchSharp vs ORT, RUNS tables in one process)
// dotnet run -c Release --project bench/Course.Benchmarks -- inference mkl [ROUNDS] (the same, oneMKL by vendor beside by CPU features)
// dotnet run -c Release --project bench/Course.Benchmarks -- inference memory    (resident memory over 10k requests)
// dotnet run -c Release --project bench/Course.Benchmarks -- training [STEPS]     (fine-tuning examples/s, fp32 vs bf16)
// dotnet run -c Release --project bench/Course.Benchmarks -- load [USERS] [REQUESTS] [SLOTS] (playground inference under load: pool beside batcher)
if (args is ["load", .. var load])
{
    int Arg(int i, int fallback) => load.Length > i ? int.Parse(load[i]) : fallback;
    await PlaygroundLoad.RunAsync(Arg(0, 20), Arg(1, 10), Arg(2, 2));
    return;
}
// dotnet run -c Release --project bench/Course.Benchmarks -- class-scale [--baseline BUILD]
//   (issue 25's tables in one run: 50 users pool beside batcher, memory per circuit at 100, 200 and 300, inference with oneMKL by vendor and by CPU features ×3, page speed)
if (args is ["class-scale", .. var scale])
{
    var (baseline, _) = Option(scale, "--baseline");
    await PlaygroundLoad.RunAsync(50, 10, 2);
    await CircuitMemory.RunAsync([100, 200, 300], baseline, types: false);
    InferenceBenchmark.CompareMkl(rounds: 3);
    await PageSpeed.RunAsync(baseline, 5);
    return;
}
// dotnet run -c Release --project bench/Course.Benchmarks -- soak [STUDENTS] [PLAYGROUND] [MINUTES]  (real circuits in Chromium)
if (args is ["soak", .. var soak])
{
    await CircuitSoak.RunAsync(soak.Length > 0 ? int.Parse(soak[0]) : 100, soak.Length > 1 ? int.Parse(soak[1]) : 20,
        soak.Length > 2 ? double.Parse(soak[2], System.Globalization.CultureInfo.InvariantCulture) : 10);
    return;
}
// dotnet run -c Release --project bench/Course.Benchmarks -- circuits [--baseline BUILD] [--pages lesson,playground,quiz] [--types] [COUNTS…]
//   (site memory per idle and active circuit on the lesson, playground and quiz pages; BUILD: another commit's Course.Web output)
if (args is ["circuits", .. var circuits])
{
    var (baseline, others) = Option(circuits, "--baseline");
    var (pages, countArgs) = Option(others, "--pages");
    var counts = countArgs.Where(a => a != "--types").Select(int.Parse).ToList();
    await CircuitMemory.RunAsync(counts.Count > 0 ? counts : [100, 200], baseline, circuits.Contains("--types"), pages?.Split(',', StringSplitOptions.TrimEntries));
    return;
}
// dotnet run -c Release --project bench/Course.Benchmarks -- pages [--baseline BUILD] [WARM_LOADS]
//   (first contentful paint and time to interactive of the home, lesson and playground pages in Chromium, cold and warm)
if (args is ["pages", .. var pageArgs])
{
    var (baseline, others) = Option(pageArgs, "--baseline");
    await PageSpeed.RunAsync(baseline, others is [var warm] ? int.Parse(warm) : 5);
    return;
}
// dotnet run -c Release --project bench/Course.Benchmarks -- grading [SUBMISSIONS] [WORKERS]  (queue burst, worker processes)
if (args is ["grading", .. var grading])
{
    await GradingThroughput.RunAsync(grading.Length > 0 ? int.Parse(grading[0]) : 100, grading.Length > 1 ? int.Parse(grading[1]) : 2);
    return;
}
// dotnet run -c Release --project bench/Course.Benchmarks -- progress [--provider sqlite|postgresql] [SECONDS] [PAGES…]
//   (database commands/s of N live assignment pages; PostgreSQL: a server named by COURSE_BENCH_POSTGRES, see ProgressPush)
if (args is ["progress", .. var progress])
{
    var provider = DatabaseProvider.Sqlite;
    if (progress is ["--provider", var name, .. var measured])
    {
        provider = Enum.TryParse<DatabaseProvider>(name, ignoreCase: true, out var parsed) ? parsed
            : throw new ArgumentException($"progress --provider is sqlite or postgresql, not '{name}'.");
        progress = measured;
    }
    var pages = progress.Skip(1).Select(int.Parse).ToList();
    await ProgressPush.RunAsync(provider, pages.Count > 0 ? pages : [50, 500], progress.Length > 0 ? double.Parse(progress[0], System.Globalization.CultureInfo.InvariantCulture) : 20);
    return;
}
// dotnet run -c Release --project bench/Course.Benchmarks -- profile [STEPS] [sst2]  (where a training step's time goes)
if (args is ["profile", .. var profile])
{
    TrainingBenchmark.Profile(profile.Length > 0 && int.TryParse(profile[0], out var n) ? n : 10, profile.Contains("sst2"));
    return;
}
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
    var count = rest.Select(a => int.TryParse(a, out var n) ? n : 0).FirstOrDefault(n => n > 0, rest.Contains("mkl") ? 3 : 1);
    if (rest.Contains("mkl"))
    {
        InferenceBenchmark.CompareMkl(count);
        return;
    }
    var p50 = InferenceBenchmark.Run(rest.Contains("memory"), count);
    if (rest.Contains("--p50-json"))
    {
        InferenceBenchmark.PrintP50Json(p50);
    }
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);

// The value after `name` in a verb's arguments (null when absent), and the arguments without the two.
static (string? Value, string[] Others) Option(string[] arguments, string name) =>
    Array.IndexOf(arguments, name) is var i and >= 0 && i + 1 < arguments.Length
        ? (arguments[i + 1], [.. arguments[..i], .. arguments[(i + 2)..]])
        : (null, arguments);
