using Course.Core.Content;
using Microsoft.Playwright;

namespace Course.Benchmarks;

/// <summary>
/// What an open page costs a site node, for sizing (docs/deploy.md): the site as its own process (as the soak runs it),
/// Debian's Chromium opening the first lesson in more and more tabs, each a Blazor circuit held open and idle. At 0
/// (the site has served one page, since closed) and at each count: the site's resident memory, then its live managed
/// heap after a forced full collection (<see cref="LiveHeap"/>), and their growth per page added since the previous
/// count. Resident memory at 0 still holds memory the runtime hands back over the next collections, so the growth
/// per page reads best between the later rows; the live heap has no such lag.
/// </summary>
internal static class CircuitMemory
{
    public static async Task RunAsync(IReadOnlyList<int> counts)
    {
        if (counts.Any(c => c <= 0) || counts.Zip(counts.Skip(1)).Any(p => p.Second <= p.First))
        {
            throw new ArgumentException($"circuits takes page counts in increasing order, e.g. `circuits 10 20 40`, not `circuits {string.Join(' ', counts)}`.");
        }
        var root = BenchData.RepoRootPath;
        var data = Directory.CreateTempSubdirectory("course-circuits-").FullName;
        Course.Tests.Shared.TinyDemoModels.WriteTo(new Course.Ml.Hub.ModelHub(Path.Combine(data, "hub")));
        var baseUrl = $"http://127.0.0.1:{CircuitSoak.FreePort()}";
        using var site = CircuitSoak.StartSite(root, data, baseUrl);
        try
        {
            await CircuitSoak.WaitUntilUpAsync(baseUrl, site);
            var lesson = ContentLoader.Load(Path.Combine(root, "content")).Lessons[0].Url;
            using var playwright = await Playwright.CreateAsync();
            await using var browser = await CircuitSoak.LaunchChromiumAsync(playwright);
            var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = baseUrl });
            context.SetDefaultTimeout(300_000); // a page on a busy machine: the figures are memory, not latency
            async Task<IPage> OpenAsync()
            {
                var page = await context.NewPageAsync();
                await page.GotoAsync(baseUrl + lesson);
                await page.Locator(".mud-layout[data-interactive=true]").WaitForAsync();
                return page;
            }

            // The first page loads what every later one shares (compiled components, content, the lesson's Markdown).
            await (await OpenAsync()).CloseAsync();
            // The start's garbage collected and handed back first, so the baseline is not inflated by it.
            LiveHeap.Collect(site.Id, TimeSpan.FromMinutes(1));
            var pages = new List<IPage>();
            Console.WriteLine($"| open pages (circuits) | resident MiB | live managed heap MiB | resident per added page MiB | live heap per added page MiB |");
            Console.WriteLine("|---|---|---|---|---|");
            (int Count, long Resident, long? Live) previous = default;
            foreach (var count in counts.Prepend(0))
            {
                while (pages.Count < count)
                {
                    pages.Add(await OpenAsync());
                }
                // Resident memory as the system sees it in service (garbage included), then the live heap after a full
                // collection, which also hands memory back: the resident figure after it would undercount.
                var resident = CircuitSoak.Resident(site);
                var live = LiveHeap.Collect(site.Id, TimeSpan.FromMinutes(1));
                string PerPage(long? now, long? then) => count == 0 || now is null || then is null ? "–" : $"{(now - then).Value / 1024.0 / 1024.0 / (count - previous.Count):0.00}";
                Console.WriteLine($"| {count} | {Mib(resident)} | {(live is { } bytes ? Mib(bytes) : "not reported")} | {PerPage(resident, previous.Resident)} | {PerPage(live, previous.Live)} |");
                previous = (count, resident, live);
            }
            await context.CloseAsync();
        }
        finally
        {
            await CircuitSoak.StopSiteAsync(site);
            Directory.Delete(data, recursive: true);
        }
    }

    private static string Mib(long bytes) => $"{bytes / 1024.0 / 1024.0:0}";
}
