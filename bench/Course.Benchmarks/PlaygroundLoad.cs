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
/// The playground's inference service under load: N simulated users (default 20) each sending requests one
/// after another, tasks mixed as in the lessons, against the demo models in data/hub. Latency includes the
/// wait for a pool slot, as a student would feel it.
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

    public static async Task RunAsync(int users, int requestsPerUser, int slots)
    {
        var hub = new ModelHub(Path.Combine(BenchData.RepoRootPath, "data", "hub"));
        // The pool alone: no rate limits, no refusals for a long line, and only public demo models (no database asked).
        var unlimited = new RateLimitOptions { Inference = new RateLimitRule { PerUser = 0, PerAddress = 0 } };
        using var limiter = new RequestLimiter(Options.Create(unlimited), TimeProvider.System);
        using var service = new InferenceService(hub, TorchSharp.torch.CPU, new DemoBuildStatus(), new HubVisibility(databases: null!), limiter,
            Options.Create(new PlaygroundOptions { MaxConcurrentInferences = slots, MaxWaitingInferences = users }));
        var requester = new Requester(null, "127.0.0.1", IsInstructor: false);
        foreach (var request in Mix)
        {
            var warm = await service.RunAsync(request, requester); // load each pipeline once, untimed
            if (warm.Error is not null)
            {
                throw new InvalidOperationException($"{request.Model}: {warm.Error} (build the demo models first: ./course models build-demos)");
            }
        }
        var latencies = new List<(string Task, double Ms)>();
        var wall = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, users).Select(user => Task.Run(async () =>
        {
            for (var i = 0; i < requestsPerUser; i++)
            {
                var request = Mix[(user + i) % Mix.Length];
                var watch = Stopwatch.StartNew();
                var result = await service.RunAsync(request, requester);
                watch.Stop();
                if (result.Error is not null) throw new InvalidOperationException(result.Error);
                lock (latencies) latencies.Add((request.Task, watch.Elapsed.TotalMilliseconds));
            }
        })));
        wall.Stop();
        Console.WriteLine($"{users} users × {requestsPerUser} requests, pool of {slots}, {Environment.ProcessorCount} cores: {latencies.Count / wall.Elapsed.TotalSeconds:0.0} requests/s");
        Console.WriteLine("| task | requests | p50 ms | p95 ms | max ms |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        foreach (var group in latencies.GroupBy(l => l.Task).Append(latencies.GroupBy(_ => "all").Single()))
        {
            var sorted = group.Select(l => l.Ms).Order().ToArray();
            double At(double q) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
            Console.WriteLine($"| {group.Key} | {sorted.Length} | {At(0.5):0} | {At(0.95):0} | {sorted[^1]:0} |");
        }
    }
}
