using Course.Core.Content;
using Microsoft.Playwright;

namespace Course.Benchmarks;

/// <summary>
/// First contentful paint and time to interactive of the home, lesson and playground pages in Debian's Chromium.
/// Per build (a baseline build first, when given, then this checkout's): the site is started fresh, and each page is
/// loaded once cold (a new browser context, so nothing cached, and the first time the just-started site serves that
/// page) and then warm (reloaded in the same context, median of <c>warmLoads</c>). Paint is the browser's
/// <c>first-contentful-paint</c> entry; interactive is when the page is parsed and no part marked
/// <c>data-interactive=false</c> is left (the layout up to 920f448, the interactive islands since; a static page has
/// none), which happens once the circuit has started and rendered (clicks before it are lost), recorded in the page
/// by a mutation observer, both in ms from the navigation's start.
/// </summary>
internal static class PageSpeed
{
    // Runs before the page's own scripts: the moment the page is parsed and every interactive part has rendered.
    private const string InteractiveProbe = """
        const check = () => {
            if (window.__interactiveAt === undefined && document.readyState !== 'loading' && !document.querySelector('[data-interactive=false]')) {
                window.__interactiveAt = performance.now();
                observer.disconnect();
            }
        };
        const observer = new MutationObserver(check);
        observer.observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-interactive'] });
        document.addEventListener('DOMContentLoaded', check);
        """;

    public static async Task RunAsync(string? baselineBuild, int warmLoads)
    {
        if (baselineBuild is not null && !File.Exists(Path.Combine(baselineBuild, "Course.Web.dll")))
        {
            throw new ArgumentException($"--baseline names a Course.Web build folder (with Course.Web.dll); {baselineBuild} has none.");
        }
        var root = BenchData.RepoRootPath;
        var lesson = ContentLoader.Load(Path.Combine(root, "content")).Lessons[0].Url;
        (string Name, string Path)[] pages = [("home", "/"), ("lesson", lesson), ("playground", "/playground/inference?task=text-classification")];
        var builds = baselineBuild is null ? new[] { ("this checkout", (string?)null) } : [("baseline", baselineBuild), ("this checkout", null)];
        var rows = new List<string>();
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await CircuitSoak.LaunchChromiumAsync(playwright);
        foreach (var (label, build) in builds)
        {
            var data = Directory.CreateTempSubdirectory("course-pages-").FullName;
            Course.Tests.Shared.TinyDemoModels.WriteTo(new Course.Ml.Hub.ModelHub(Path.Combine(data, "hub")));
            var baseUrl = $"http://127.0.0.1:{CircuitSoak.FreePort()}";
            using var site = CircuitSoak.StartSite(root, data, baseUrl, build);
            try
            {
                await CircuitSoak.WaitUntilUpAsync(baseUrl, site);
                foreach (var (name, path) in pages)
                {
                    var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = baseUrl });
                    context.SetDefaultTimeout(300_000); // a busy machine: slow is a figure, not a failure
                    await context.AddInitScriptAsync(InteractiveProbe);
                    var page = await context.NewPageAsync();
                    var cold = await LoadAsync(page, () => page.GotoAsync(baseUrl + path));
                    var warm = new List<(double Paint, double Interactive)>();
                    for (var i = 0; i < warmLoads; i++)
                    {
                        warm.Add(await LoadAsync(page, () => page.ReloadAsync()));
                    }
                    await context.CloseAsync();
                    rows.Add($"| {name} | {label} | {cold.Paint:0} | {cold.Interactive:0} | {Median(warm.Select(w => w.Paint)):0} | {Median(warm.Select(w => w.Interactive)):0} |");
                }
            }
            finally
            {
                await CircuitSoak.StopSiteAsync(site);
                Directory.Delete(data, recursive: true);
            }
        }
        Console.WriteLine($"| page | site | cold: first contentful paint ms | cold: interactive ms | warm: paint ms (median of {warmLoads}) | warm: interactive ms |");
        Console.WriteLine("|---|---|---|---|---|---|");
        rows.ForEach(Console.WriteLine);
    }

    private static async Task<(double Paint, double Interactive)> LoadAsync(IPage page, Func<Task<IResponse?>> navigate)
    {
        await navigate();
        await page.WaitForFunctionAsync("() => window.__interactiveAt !== undefined && performance.getEntriesByName('first-contentful-paint').length > 0",
            null, new() { PollingInterval = 50 });
        var times = await page.EvaluateAsync<double[]>("() => [performance.getEntriesByName('first-contentful-paint')[0].startTime, window.__interactiveAt]");
        return (times[0], times[1]);
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
