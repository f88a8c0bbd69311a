using System.Diagnostics;
using Course.Core.Content;
using Microsoft.Playwright;

namespace Course.Benchmarks;

/// <summary>
/// What a circuit costs a site node, for sizing (docs/deploy.md): per page kind (lesson, playground, quiz), the
/// site as its own process (as the soak runs it), one student signed in, and then more and more circuits on that
/// page opened over real SignalR WebSockets by <see cref="CircuitClient"/> (no browser) and held open idle; at the
/// last count every circuit then does the page's one action (marks the lesson complete, runs the pipeline, starts
/// the quiz) and stays open, active. At each step: the site's resident memory, then its live managed heap after a
/// forced full collection (<see cref="LiveHeap"/>), and their growth per circuit over the step with no circuit
/// (after one warm-up circuit has loaded what every later one shares, and ended). With a baseline build (another
/// commit's Course.Web output folder) each page is measured on it first, then on this checkout's build, so the
/// before and after rows come from one run on the same machine; with <c>--types</c> the heap is also walked by type
/// (<see cref="HeapTypes"/>) and the types that grew most per circuit are printed.
/// </summary>
internal static class CircuitMemory
{
    /// <summary>A page, the buttons that are its action (the first one drawn is clicked), and what its answer draws.</summary>
    private sealed record PageKind(string Name, string Path, string[] Actions, string[] Done);

    private sealed record Reading(long Resident, long? Live, Dictionary<string, (long Count, long Bytes)>? Types);

    public static async Task RunAsync(IReadOnlyList<int> counts, string? baselineBuild, bool types, IReadOnlyCollection<string>? pages = null)
    {
        if (counts.Count == 0 || counts.Any(c => c <= 0) || counts.Zip(counts.Skip(1)).Any(p => p.Second <= p.First))
        {
            throw new ArgumentException($"circuits takes circuit counts in increasing order, e.g. `circuits 100 200`, not `circuits {string.Join(' ', counts)}`.");
        }
        if (baselineBuild is not null && !File.Exists(Path.Combine(baselineBuild, "Course.Web.dll")))
        {
            throw new ArgumentException($"--baseline names a Course.Web build folder (with Course.Web.dll), e.g. the other commit's src/Course.Web/bin/Release/net10.0; {baselineBuild} has none.");
        }
        var root = BenchData.RepoRootPath;
        var content = ContentLoader.Load(Path.Combine(root, "content"));
        PageKind[] kinds =
        [
            // One student for every circuit: the warm-up circuit marks the lesson complete, the others then mark it not completed.
            new("lesson", content.Lessons[0].Url, ["lesson-complete", "lesson-uncomplete"], ["lesson-completed", "lesson-complete"]),
            new("playground", "/playground/inference?task=text-classification", ["inference-run"], ["inference-output", "inference-error"]),
            new("quiz", $"/quizzes/{content.Quizzes[0].Id}", ["quiz-start"], ["quiz-submit", "quiz-error"]),
        ];
        if (pages is { Count: > 0 } && pages.Except(kinds.Select(k => k.Name)).ToList() is { Count: > 0 } unknown)
        {
            throw new ArgumentException($"--pages takes {string.Join(", ", kinds.Select(k => k.Name))}; not {string.Join(", ", unknown)}.");
        }
        var builds = baselineBuild is null ? new[] { ("this checkout", (string?)null) } : [("baseline", baselineBuild), ("this checkout", null)];
        var rows = new List<string>();
        foreach (var kind in kinds.Where(k => pages is not { Count: > 0 } || pages.Contains(k.Name)))
        {
            foreach (var (label, build) in builds)
            {
                rows.AddRange(await MeasureAsync(root, kind, counts, label, build, types));
            }
        }
        Console.WriteLine("| page | site | circuits | state | resident MiB | live managed heap MiB | resident per circuit KiB | live heap per circuit KiB | live heap per circuit over the row above KiB |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        rows.ForEach(Console.WriteLine);
    }

    private static async Task<List<string>> MeasureAsync(string root, PageKind kind, IReadOnlyList<int> counts, string label, string? build, bool types)
    {
        var data = Directory.CreateTempSubdirectory("course-circuits-").FullName;
        Course.Tests.Shared.TinyDemoModels.WriteTo(new Course.Ml.Hub.ModelHub(Path.Combine(data, "hub")));
        var baseUrl = $"http://127.0.0.1:{CircuitSoak.FreePort()}";
        using var site = CircuitSoak.StartSite(root, data, baseUrl, build);
        var circuits = new List<CircuitClient>();
        var rows = new List<string>();
        using var http = new HttpClient { BaseAddress = new Uri(baseUrl + "/"), Timeout = TimeSpan.FromMinutes(5) };
        // Generous: the figures are memory, and the machine is shared.
        using var patience = new CancellationTokenSource(TimeSpan.FromMinutes(20));
        try
        {
            await CircuitSoak.WaitUntilUpAsync(baseUrl, site);
            var cookies = await SignInAsync(baseUrl);
            Console.Error.WriteLine($"circuits: {label} up and signed in for the {kind.Name} page");

            // The first circuit loads what every later one shares (compiled components, content, the model); it acts
            // too, so the model and the first quiz attempt exist before the baseline. Ended at once, not left to the
            // server's retention of disconnected circuits.
            var first = await CircuitClient.OpenAsync(http, kind.Path, cookies, patience.Token);
            await first.SettleAsync(TimeSpan.FromSeconds(2), patience.Token);
            await ActAsync(first, kind, patience.Token);
            await EndAsync(http, first);
            LiveHeap.Collect(site.Id, TimeSpan.FromMinutes(1)); // the start's garbage collected and handed back first
            var baseline = Read(site, types);
            rows.Add(Row(kind, label, 0, "–", baseline, baseline, null));

            using var opening = new SemaphoreSlim(4);
            Reading? idle = null;
            var before = (Count: 0, Reading: baseline);
            var idleLive = new List<(int Count, long Live)>();
            foreach (var count in counts)
            {
                var opened = await Task.WhenAll(Enumerable.Range(0, count - circuits.Count).Select(async _ =>
                {
                    await opening.WaitAsync(patience.Token);
                    try { return await CircuitClient.OpenAsync(http, kind.Path, cookies, patience.Token); }
                    finally { opening.Release(); }
                }));
                circuits.AddRange(opened);
                await Task.WhenAll(opened.Select(async c =>
                {
                    try { await c.SettleAsync(TimeSpan.FromSeconds(1), patience.Token); }
                    catch (InvalidOperationException) { } // the circuit ended: counted at the end with the server's reason
                }));
                Console.Error.WriteLine($"circuits: {count} {kind.Name} circuits open on {label}");
                idle = Read(site, types && count == counts[^1]);
                rows.Add(Row(kind, label, count, "idle", idle, baseline, (count - before.Count, before.Reading)));
                before = (count, idle);
                if (idle.Live is { } live)
                {
                    idleLive.Add((count, live));
                }
            }
            if (idleLive.Count >= 3)
            {
                rows.Add($"| {kind.Name} | {label} | {idleLive[0].Count}–{idleLive[^1].Count} | idle, least-squares slope | – | – | – | – | {Slope(idleLive) / 1024:0} |");
            }
            if (types)
            {
                // Printed before the actions: a heap walk can fail natively (ClrMD) and take the bench with it.
                HeapTypes.PrintGrowth($"{kind.Name}, {label}, {circuits.Count} idle circuits", baseline.Types!, idle!.Types!, circuits.Count, 25);
            }
            var watch = Stopwatch.StartNew();
            await Task.WhenAll(circuits.Select(async circuit =>
            {
                await opening.WaitAsync(patience.Token);
                try { await ActAsync(circuit, kind, patience.Token); }
                catch (InvalidOperationException) { } // the circuit ended: counted below with the server's reason
                finally { opening.Release(); }
            }));
            Console.Error.WriteLine($"circuits: {circuits.Count} {kind.Name} actions on {label} in {watch.Elapsed.TotalSeconds:0} s");
            var active = Read(site, types);
            rows.Add(Row(kind, label, circuits.Count, "active", active, baseline, (circuits.Count, idle!)));
            var failed = circuits.Where(c => c.Failure is not null).ToList();
            if (failed.Count > 0)
            {
                rows.Add($"{failed.Count} {kind.Name} circuits on {label} ended by the server, e.g.: {failed[0].Failure}");
            }
            if (types)
            {
                HeapTypes.PrintGrowth($"{kind.Name}, {label}, {circuits.Count} active circuits", baseline.Types!, active.Types!, circuits.Count, 25);
            }
        }
        finally
        {
            await Task.WhenAll(circuits.Select(c => c.DisposeAsync().AsTask()));
            await CircuitSoak.StopSiteAsync(site);
            Directory.Delete(data, recursive: true);
        }
        return rows;
    }

    private static async Task ActAsync(CircuitClient circuit, PageKind kind, CancellationToken cancel)
    {
        var done = circuit.WaitForRenderedAsync(kind.Done, cancel);
        await circuit.ClickAsync(kind.Actions, cancel);
        await done;
    }

    /// <summary>Ends a circuit at once, as blazor.web.js does when its page unloads.</summary>
    private static async Task EndAsync(HttpClient http, CircuitClient circuit)
    {
        using var ended = await http.PostAsync("_blazor/disconnect", new FormUrlEncodedContent([new("circuitId", circuit.CircuitId)]));
        await circuit.DisposeAsync();
    }

    /// <summary>One student registered and signed in through the account pages in Chromium; their cookies, for every circuit.</summary>
    private static async Task<string> SignInAsync(string baseUrl)
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await CircuitSoak.LaunchChromiumAsync(playwright);
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = baseUrl });
        context.SetDefaultTimeout(300_000);
        await CircuitSoak.SignUpAsync(await context.NewPageAsync(), baseUrl, "circuits@example.com");
        var cookies = await context.CookiesAsync();
        return string.Join("; ", cookies.Select(c => $"{c.Name}={c.Value}"));
    }

    /// <summary>Resident memory as the system sees it in service (garbage included), then the live heap after a full collection, then its types.</summary>
    private static Reading Read(Process site, bool types) =>
        new(CircuitSoak.Resident(site), LiveHeap.Collect(site.Id, TimeSpan.FromMinutes(1)), types ? HeapTypes.Read(site.Id) : null);

    /// <param name="above">
    /// The row above's reading and the circuits its growth is shared by: between two idle counts, the circuits opened
    /// in between, whose growth leaves out what the site loaded once after the reading with no circuit (caches,
    /// compiled code, pools) and the figure against that reading divides among all the circuits; for the active row,
    /// every circuit, which gives what the action added to each.
    /// </param>
    private static string Row(PageKind kind, string label, int count, string state, Reading now, Reading baseline, (int Circuits, Reading Reading)? above)
    {
        static string PerCircuit(long? value, long? zero, int circuits) => circuits == 0 || value is null || zero is null ? "–" : $"{(value - zero).Value / 1024.0 / circuits:0}";
        var step = above is { } a ? PerCircuit(now.Live, a.Reading.Live, a.Circuits) : "–";
        return $"| {kind.Name} | {label} | {count} | {state} | {Mib(now.Resident)} | {(now.Live is { } live ? Mib(live) : "not reported")} | " +
            $"{PerCircuit(now.Resident, baseline.Resident, count)} | {PerCircuit(now.Live, baseline.Live, count)} | {step} |";
    }

    /// <summary>
    /// Bytes per circuit as the least-squares slope of the live heap over the idle counts: each reading moves by some
    /// MiB with what the site happens to hold (pools, caches, the warm-up circuit's leftovers), and a slope over
    /// several counts averages that out where the difference of two readings cannot.
    /// </summary>
    private static double Slope(IReadOnlyList<(int Count, long Live)> points)
    {
        var (meanX, meanY) = (points.Average(p => (double)p.Count), points.Average(p => (double)p.Live));
        return points.Sum(p => (p.Count - meanX) * (p.Live - meanY)) / points.Sum(p => (p.Count - meanX) * (p.Count - meanX));
    }

    private static string Mib(long bytes) => $"{bytes / 1024.0 / 1024.0:0}";
}
