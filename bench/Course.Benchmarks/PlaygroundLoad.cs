using System.Diagnostics;
using Course.Ml.Hub;
using Course.Ml.Pipelines;
using Course.Web.Features.Hub;
using Course.Web.Features.Models;
using Course.Web.Features.Playgrounds;
using Course.Web.Features.Security;
using Microsoft.Extensions.Options;

namespace Course.Benchmarks;

/// <summary>
/// The playground's inference service under load, the pool without batching (<c>MaxBatchSize=1</c>: each request
/// alone) beside the micro-batcher, in one run: N simulated users (default 20) each sending requests one after
/// another, tasks mixed as in the lessons, against the demo models in the hub (<c>Ml__HubPath</c>, else data/hub;
/// a demo model the hub lacks drops out of the mix). Both modes also run with one user first (at least 30
/// requests): a single request's latency at low load. Latency includes the wait in line, as a student would feel it.
/// </summary>
internal static class PlaygroundLoad
{
    private static readonly InferenceRequest[] Mix =
    [
        new(Pipeline.TextClassification, "course/minilm-sentiment", "The blender is powerful and easy to clean, but the lid cracked after two weeks."),
        new(Pipeline.TokenClassification, "course/minilm-ner", "Ada Lovelace worked with Charles Babbage in London on the Analytical Engine."),
        new(Pipeline.QuestionAnswering, "course/minilm-qa", "How long do I have to return an item?",
            "You can return any item within 30 days of delivery for a full refund. Items must be unused and in their original packaging."),
        new(Pipeline.FillMask, "course/minilm-fill-mask", "I drink a cup of [MASK] every morning."),
    ];

    private sealed record Row(string Mode, int Users, int Requests, double P50, double P95, double Throughput, double MeanBatch);

    public static async Task RunAsync(int users, int requestsPerUser, int slots)
    {
        var mkl = BenchTorch.ApplyMkl(); // as the site's device resolution does
        var hub = new ModelHub(Environment.GetEnvironmentVariable("Ml__HubPath") ?? Path.Combine(BenchData.RepoRootPath, "data", "hub"));
        var mix = Mix.Where(r => hub.Contains(r.Model)).ToArray();
        if (mix.Length == 0)
        {
            throw new InvalidOperationException($"No demo model in {hub.Root} (build them first: ./course models build-demos, or point Ml__HubPath at a hub with them).");
        }
        var defaults = new PlaygroundOptions();
        var modes = new[]
        {
            ("pool (MaxBatchSize=1)", new PlaygroundOptions { MaxConcurrentInferences = slots, MaxBatchSize = 1 }),
            ($"batched (MaxBatchSize={defaults.MaxBatchSize}, {defaults.BatchWindowMilliseconds} ms, {defaults.MaxPerUserInBatch}/user)",
                new PlaygroundOptions { MaxConcurrentInferences = slots }),
        };
        foreach (var (_, options) in modes)
        {
            // No refusals for a long line: every simulated request is measured.
            options.MaxWaitingInferences = Math.Max(users, defaults.MaxWaitingInferences);
        }
        // Untimed: the process's first requests run .NET's unoptimised first-tier code and would slow whichever row came first.
        await MeasureAsync(hub, mix, "warm-up", modes[0].Item2, users, 2);
        // Low load first for both modes, then the crowd: a burst of other work on a shared machine then hits one kind of row, not one mode.
        var rows = new List<Row>();
        foreach (var load in new[] { 1, users })
        {
            foreach (var (mode, options) in modes)
            {
                rows.Add(await MeasureAsync(hub, mix, mode, options, load, load == 1 ? Math.Max(requestsPerUser, 30) : requestsPerUser));
            }
        }
        Console.WriteLine($"{string.Join(", ", mix.Select(r => r.Task))} mixed; pool of {slots}; {Environment.ProcessorCount} cores; hub {hub.Root}; {mkl.Reason}");
        Console.WriteLine("| mode | users | requests | p50 ms | p95 ms | requests/s | mean batch |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var row in rows)
        {
            Console.WriteLine($"| {row.Mode} | {row.Users} | {row.Requests} | {row.P50:0} | {row.P95:0} | {row.Throughput:0.0} | {row.MeanBatch:0.0} |");
        }
        var (poolAlone, batchedAlone, pool, batched) = (rows[0], rows[1], rows[2], rows[3]);
        Console.WriteLine($"throughput at {users} users, batched / pool: {batched.Throughput / pool.Throughput:0.00}× (goal ≥ 2×)");
        Console.WriteLine($"p95 at 1 user, batched / a single request's latency (pool p50 at 1 user): {batchedAlone.P95 / poolAlone.P50:0.00}× (goal ≤ 1.5×)");
        // On a loaded machine the pool's own p95 at 1 user is several times its p50: this ratio shows what batching adds.
        Console.WriteLine($"p95 at 1 user, batched / pool: {batchedAlone.P95 / poolAlone.P95:0.00}×");
        Console.WriteLine($"p95 at {users} users, batched / a single request's latency: {batched.P95 / poolAlone.P50:0.00}×");
    }

    private static async Task<Row> MeasureAsync(ModelHub hub, InferenceRequest[] mix, string mode, PlaygroundOptions options, int users, int requestsPerUser)
    {
        // The service alone: no rate limits, and only public demo models (no database asked).
        var unlimited = new RateLimitOptions { Inference = new RateLimitRule { PerUser = 0, PerAddress = 0 } };
        using var limiter = new RequestLimiter(Options.Create(unlimited), TimeProvider.System);
        using var service = new InferenceService(hub, TorchSharp.torch.CPU, new DemoBuildStatus(), new HubVisibility(databases: null!, content: null!, TimeProvider.System), limiter,
            Options.Create(options), TimeProvider.System);
        foreach (var request in mix)
        {
            var warm = await service.RunAsync(request, new Requester(null, "127.0.0.1", IsInstructor: false)); // load each pipeline once, untimed
            if (warm.Error is not null)
            {
                throw new InvalidOperationException($"{request.Model}: {warm.Error}");
            }
        }
        var (batches, batched) = (0, 0);
        service.BatchTaken += batch => { Interlocked.Increment(ref batches); Interlocked.Add(ref batched, batch.Requesters.Count); };
        var latencies = new List<double>();
        var wall = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, users).Select(user => Task.Run(async () =>
        {
            // Each simulated user is a requester of their own, as the fair share sees students.
            var requester = new Requester($"user-{user}", "127.0.0.1", IsInstructor: false);
            for (var i = 0; i < requestsPerUser; i++)
            {
                var request = mix[(user + i) % mix.Length];
                var watch = Stopwatch.StartNew();
                var result = await service.RunAsync(request, requester);
                watch.Stop();
                if (result.Error is not null) throw new InvalidOperationException(result.Error);
                lock (latencies) latencies.Add(watch.Elapsed.TotalMilliseconds);
            }
        })));
        wall.Stop();
        var sorted = latencies.Order().ToArray();
        double At(double q) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
        return new Row(mode, users, sorted.Length, At(0.5), At(0.95), sorted.Length / wall.Elapsed.TotalSeconds, (double)batched / batches);
    }
}
