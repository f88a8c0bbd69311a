using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Course.Core.Configuration;
using Course.Core.Content;
using Microsoft.Playwright;

namespace Course.Benchmarks;

/// <summary>
/// Soak test of the real site over real Blazor circuits: the site runs as a process of its own (SQLite in a
/// temporary folder, no grading workers, tiny demo models, per-address limits off since every simulated person
/// comes from 127.0.0.1), and Debian's Chromium drives S students (register, then round after round: open a
/// lesson, mark it complete once, open its topic, open a quiz) and P playground users (run a pipeline on a
/// model-card example) for the given minutes. Prints p50/p95 per action, errors, and the site's resident memory
/// and managed heap over time, and resident memory per circuit.
/// </summary>
internal static class CircuitSoak
{
    private const string Chromium = "/usr/bin/chromium";
    private const string Password = "Soak-test-2026-long-passphrase";

    private sealed record Sample(TimeSpan At, long ResidentBytes, long? LiveHeapBytes);

    public static async Task RunAsync(int students, int playground, double minutes)
    {
        var root = BenchData.RepoRootPath;
        var data = Directory.CreateTempSubdirectory("course-soak-").FullName;
        Course.Tests.Shared.TinyDemoModels.WriteTo(new Course.Ml.Hub.ModelHub(Path.Combine(data, "hub")));
        var port = FreePort();
        var baseUrl = $"http://127.0.0.1:{port}";
        using var site = StartSite(root, data, baseUrl);
        try
        {
            await WaitUntilUpAsync(baseUrl, site);
            var content = ContentLoader.Load(Path.Combine(root, "content"));
            var lessons = content.Lessons;
            var quizzes = content.Quizzes;
            var idle = Resident(site);

            using var playwright = await Playwright.CreateAsync();
            await using var browser = await LaunchChromiumAsync(playwright);
            var timings = new List<(string Action, double Ms)>();
            var errors = new List<string>();
            void Time(string action, Stopwatch watch)
            {
                lock (timings) timings.Add((action, watch.Elapsed.TotalMilliseconds));
            }

            async Task<IPage> OpenAsync()
            {
                var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = baseUrl });
                context.SetDefaultTimeout(300_000); // a soak reports slow answers as latency; only no answer at all is an error
                var page = await context.NewPageAsync();
                page.Console += (_, message) =>
                {
                    if (message.Type == "error")
                    {
                        lock (errors) errors.Add($"console: {message.Text}");
                    }
                };
                return page;
            }
            async Task GoAsync(IPage page, string path, string action)
            {
                var watch = Stopwatch.StartNew();
                await page.GotoAsync(baseUrl + path);
                await WaitUntilInteractiveAsync(page);
                Time(action, watch);
            }
            // A student follows links, which the router handles inside the circuit they already have; a full page
            // load per click would open a new circuit each time and leave the old one to the server's retention.
            async Task FollowAsync(IPage page, string path, string title, string action)
            {
                var watch = Stopwatch.StartNew();
                await page.EvaluateAsync("path => Blazor.navigateTo(path)", path);
                await page.WaitForFunctionAsync("([path, title]) => location.pathname + location.search === path && document.title === title",
                    new object[] { path, title }, new() { PollingInterval = 100 });
                Time(action, watch);
            }

            // Warm-up: every person opens a circuit (students register and sign in first).
            Console.Error.WriteLine($"soak: {students} students and {playground} playground users on {baseUrl}");
            var pages = new List<(IPage Page, bool Student, int Index)>();
            using var opening = new SemaphoreSlim(8); // eight sign-ups at a time
            await Task.WhenAll(Enumerable.Range(0, students).Select(async s =>
            {
                await opening.WaitAsync();
                try
                {
                    var page = await OpenAsync();
                    await SignUpAsync(page, baseUrl, $"soak-{s}@example.com");
                    lock (pages) pages.Add((page, true, s));
                }
                finally
                {
                    opening.Release();
                }
            }));
            for (var p = 0; p < playground; p++)
            {
                var page = await OpenAsync();
                await GoAsync(page, "/playground/inference?task=text-classification", "warm-up");
                pages.Add((page, false, p));
            }
            var warm = Resident(site);
            lock (timings) timings.Clear();

            var samples = new List<Sample>();
            var clock = Stopwatch.StartNew();
            var end = TimeSpan.FromMinutes(minutes);
            using var sampling = new CancellationTokenSource();
            var sampler = Task.Run(async () =>
            {
                // Resident memory every 10 s; once a minute a forced full collection, so the live heap is read
                // without the garbage a busy server collector leaves for later.
                for (var tick = 0; !sampling.IsCancellationRequested; tick++)
                {
                    var live = tick % 6 == 0 ? LiveHeap.Collect(site.Id, TimeSpan.FromMinutes(1)) : null;
                    lock (samples) samples.Add(new Sample(clock.Elapsed, Resident(site), live));
                    try { await Task.Delay(TimeSpan.FromSeconds(10), sampling.Token); } catch (OperationCanceledException) { }
                }
            });
            var rounds = 0;
            await Task.WhenAll(pages.Select(person => Task.Run(async () =>
            {
                var random = new Random(person.Index * 2 + (person.Student ? 0 : 1));
                var completed = new HashSet<string>();
                while (clock.Elapsed < end)
                {
                    try
                    {
                        if (person.Student)
                        {
                            var lesson = lessons[random.Next(lessons.Count)];
                            await FollowAsync(person.Page, lesson.Url, lesson.Title, "open lesson");
                            if (completed.Add(lesson.Url) && await person.Page.GetByRole(AriaRole.Button, new() { Name = "Mark as complete" }).CountAsync() > 0)
                            {
                                var watch = Stopwatch.StartNew();
                                await person.Page.GetByRole(AriaRole.Button, new() { Name = "Mark as complete" }).ClickAsync();
                                await person.Page.GetByTestId("lesson-completed").WaitForAsync();
                                Time("mark complete", watch);
                            }
                            var topic = content.Module.FindTopic(lesson.TopicId)!;
                            await FollowAsync(person.Page, $"/topics/{topic.Id}", $"{topic.Id} {topic.Title}", "open topic");
                            var quiz = quizzes[random.Next(quizzes.Count)];
                            await FollowAsync(person.Page, $"/quizzes/{quiz.Id}", quiz.Title, "open quiz");
                        }
                        else
                        {
                            var watch = Stopwatch.StartNew();
                            await person.Page.Locator("[aria-label='Examples from the model card'] .mud-chip").First.ClickAsync();
                            await person.Page.GetByTestId("inference-run").ClickAsync();
                            await person.Page.Locator("[data-testid=inference-time]").WaitForAsync();
                            Time("run pipeline", watch);
                            if (await person.Page.GetByTestId("inference-error").CountAsync() > 0)
                            {
                                var message = await person.Page.GetByTestId("inference-error").InnerTextAsync();
                                lock (errors) errors.Add($"inference: {message}");
                            }
                            await FollowAsync(person.Page, "/", content.Module.Title, "open home");
                            await FollowAsync(person.Page, "/playground/inference?task=text-classification", "Inference playground", "open playground");
                        }
                        Interlocked.Increment(ref rounds);
                        await Task.Delay(TimeSpan.FromMilliseconds(500 + random.Next(1000))); // reading time
                    }
                    catch (Exception ex) when (ex is PlaywrightException or TimeoutException)
                    {
                        lock (errors) errors.Add($"{(person.Student ? "student" : "playground")} {person.Index}: {ex.Message.Split('\n')[0]}");
                    }
                }
            })));
            await sampling.CancelAsync();
            await sampler;

            Console.WriteLine($"| action | count | p50 ms | p95 ms | max ms |");
            Console.WriteLine($"|---|---|---|---|---|");
            foreach (var group in timings.GroupBy(t => t.Action).OrderBy(g => g.Key))
            {
                var sorted = group.Select(t => t.Ms).Order().ToList();
                double At(double q) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];
                Console.WriteLine($"| {group.Key} | {sorted.Count} | {At(0.5):0} | {At(0.95):0} | {sorted[^1]:0} |");
            }
            var circuits = students + playground;
            Console.WriteLine();
            Console.WriteLine($"rounds: {rounds}; errors: {errors.Count}; circuits: {circuits}; minutes: {minutes}");
            foreach (var error in errors.Distinct().Take(10))
            {
                Console.WriteLine($"  {error}");
            }
            // One reading moves with the garbage collector; the run's mean against the idle site is steadier.
            var mean = (long)samples.Average(x => x.ResidentBytes);
            Console.WriteLine($"site resident memory: {Mb(idle)} before any circuit, {Mb(warm)} once {circuits} circuits were open, " +
                $"{Mb(mean)} on average during the run ({(mean - idle) / 1024.0 / 1024.0 / Math.Max(1, circuits):0.0} MiB per circuit)");
            var settled = LiveHeap.Collect(site.Id, TimeSpan.FromMinutes(1));
            Console.WriteLine($"live managed heap after a forced full collection, every circuit still open and no one acting: {(settled is { } bytes ? Mb(bytes) : "not reported")}");
            Console.WriteLine("| minute | resident MiB | live managed heap MiB |");
            Console.WriteLine("|---|---|---|");
            foreach (var minute in samples.GroupBy(s => (int)s.At.TotalMinutes))
            {
                var live = minute.Select(s => s.LiveHeapBytes).OfType<long>().ToList();
                Console.WriteLine($"| {minute.Key} | {minute.Average(s => s.ResidentBytes) / 1024.0 / 1024.0:0} | " +
                    $"{(live.Count == 0 ? "–" : $"{live.Average() / 1024.0 / 1024.0:0}")} |");
            }
        }
        finally
        {
            await StopSiteAsync(site);
            Directory.Delete(data, recursive: true);
        }
    }

    /// <summary>
    /// Until every part of the page that is marked <c>data-interactive=false</c> when prerendered has turned true: the
    /// layout before the interactive islands (920f448 and earlier), the islands since; a static page is ready at once.
    /// </summary>
    internal static Task WaitUntilInteractiveAsync(IPage page) =>
        page.WaitForFunctionAsync("() => document.querySelector('[data-interactive=false]') === null");

    /// <summary>Registers a student and signs them in, as a person does with the account pages; returns once the page is interactive.</summary>
    internal static async Task SignUpAsync(IPage page, string baseUrl, string email)
    {
        await page.GotoAsync(baseUrl + "/Account/Register");
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password (12 characters").FillAsync(Password);
        await page.GetByLabel("Confirm password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Register" }).ClickAsync();
        await page.GetByRole(AriaRole.Status).WaitForAsync();
        await page.GotoAsync(baseUrl + "/Account/Login");
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).Last.ClickAsync();
        await page.Locator(".account-name").WaitForAsync();
        await WaitUntilInteractiveAsync(page);
    }

    /// <summary>Debian's Chromium, headless, without background traffic.</summary>
    internal static Task<IBrowser> LaunchChromiumAsync(IPlaywright playwright) => playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
    {
        ExecutablePath = Chromium, Headless = true,
        Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    });

    /// <summary>
    /// SIGTERM, as systemd stops the site, then a wait for it to exit; killed after 3 minutes (its readings are taken
    /// by then, and a loaded machine once took more than 30 s to end a site that had held 200 circuits).
    /// </summary>
    internal static async Task StopSiteAsync(Process site)
    {
        using (var term = Process.Start("kill", ["-TERM", site.Id.ToString()])) { await term!.WaitForExitAsync(); }
        try
        {
            await site.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromMinutes(3)).Token);
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine($"the site (pid {site.Id}) did not exit within 3 minutes of SIGTERM; killed");
            site.Kill();
            await site.WaitForExitAsync();
        }
    }

    private static string Mb(long bytes) => $"{bytes / 1024.0 / 1024.0:0} MiB";

    internal static long Resident(Process process)
    {
        process.Refresh();
        return process.WorkingSet64;
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>
    /// The site as its own process on a SQLite file in <paramref name="data"/>: tiny demo models, no grading worker,
    /// per-address limits off; the checkout's Release build, or the build in <paramref name="build"/> (another commit's).
    /// </summary>
    internal static Process StartSite(string root, string data, string url, string? build = null)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root,
        };
        start.ArgumentList.Add(Path.Combine(build ?? Path.Combine(root, "src", "Course.Web", "bin", "Release", "net10.0"), "Course.Web.dll"));
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add(url);
        var settings = new Dictionary<string, string>
        {
            ["ConnectionStrings__Course"] = $"Data Source={Path.Combine(data, "course.db")}",
            ["Data__Path"] = data,
            ["Ml__HubPath"] = Path.Combine(data, "hub"),
            ["Ml__BuildDemoModels"] = "false",
            ["Grading__Workers"] = "0",
            ["COURSE_ROOT"] = root,
            ["Logging__LogLevel__Default"] = "Warning",
        };
        foreach (var rule in new[] { "SignIn", "Registration", "Inference", "QuizAnswer" })
        {
            (settings[$"RateLimits__{rule}__PerUser"], settings[$"RateLimits__{rule}__PerAddress"]) = ("0", "0");
        }
        foreach (var (key, value) in settings)
        {
            start.Environment[key] = value;
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start the site");
        // The console logger writes a failure's first line ("fail: category[id]") to standard output and the message and
        // exception on the lines after it: those are echoed, up to the next entry.
        string[] failures = ["fail:", "crit:"], others = ["info:", "warn:", "dbug:", "trce:"];
        var failing = false;
        var echoing = new Lock(); // both streams report on pool threads
        void Echo(string? line)
        {
            if (line is null)
            {
                return;
            }
            lock (echoing)
            {
                bool Starts(string[] prefixes) => prefixes.Any(p => line.StartsWith(p, StringComparison.Ordinal));
                failing = Starts(failures) || (failing && !Starts(others));
                if (failing)
                {
                    Console.Error.WriteLine($"site: {line}");
                }
            }
        }
        process.OutputDataReceived += (_, e) => Echo(e.Data);
        process.ErrorDataReceived += (_, e) => Echo(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    internal static async Task WaitUntilUpAsync(string baseUrl, Process site)
    {
        using var http = new HttpClient();
        for (var tries = 0; tries < 600; tries++)
        {
            if (site.HasExited)
            {
                throw new InvalidOperationException($"the site exited with code {site.ExitCode}");
            }
            try
            {
                if ((await http.GetAsync(baseUrl + "/")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(500);
        }
        throw new TimeoutException("the site did not answer within 5 minutes");
    }
}
