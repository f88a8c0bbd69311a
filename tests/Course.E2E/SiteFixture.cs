using System.Net;
using Course.Core.Content;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Course.E2E;

/// <summary>
/// The real site on Kestrel (127.0.0.1, a free port) over a fresh data folder, driven by Debian's
/// Chromium through Playwright. <see cref="RestartAsync"/> stops the host and starts a new one on the
/// same data, as a restart of `./course run` would.
/// </summary>
public sealed class SiteFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private WebApplicationFactory<Program>? _factory;
    private IPlaywright? _playwright;

    public string DataPath { get; } = Directory.CreateTempSubdirectory("course-e2e-").FullName;

    public string ContentPath => Path.Combine(DataPath, "content");

    public string BaseUrl { get; private set; } = "";

    public IBrowser Browser { get; private set; } = default!;

    public IServiceProvider Services => _factory!.Services;

    /// <summary>The most rows a validation split keeps in the site's copy of the content.</summary>
    private const int LargeSplitRows = 300;

    /// <summary>The site's clock: the system's, moved forward by a test that needs a due date behind it (and back after).</summary>
    public ShiftedClock Clock { get; } = new();

    public async Task InitializeAsync()
    {
        // The authoring tests edit content in the browser: the site serves a copy, never the repository's files.
        CopyFolder(Course.Core.Configuration.CourseEnvironment.Discover().Resolve("content"), ContentPath);
        // The grading journey trains the real starters on the real model, on a slice of each train split: a job
        // small enough to finish quickly while the machine is busy with other suites.
        foreach (var brief in Directory.EnumerateFiles(Path.Combine(ContentPath, "assignments"), "assignment.md", SearchOption.AllDirectories))
        {
            File.WriteAllText(brief, System.Text.RegularExpressions.Regex.Replace(File.ReadAllText(brief), @"(?m)^(  max_train_examples:) \d+", "$1 64"));
        }
        // Evaluation predicts every validation row: SQuAD's 1,151 questions would make the journey's QA job the
        // longest of the suite on a busy machine, so a split that large keeps its first rows (the hidden sample stays whole).
        foreach (var split in Directory.EnumerateFiles(Path.Combine(ContentPath, "datasets"), "validation.jsonl", SearchOption.AllDirectories))
        {
            var rows = File.ReadAllLines(split);
            if (rows.Length > LargeSplitRows)
            {
                File.WriteAllLines(split, rows[..LargeSplitRows]);
            }
        }
        // Playground tests run on tiny random models under the demo ids, not the full demo build.
        Course.Tests.Shared.TinyDemoModels.WriteTo(new Course.Ml.Hub.ModelHub(Path.Combine(DataPath, "hub")));
        StartSite();
        _playwright = await Playwright.CreateAsync();
        // Expect(…) waits 5 s by default, independently of the page's timeout: the same 60 s for a busy machine.
        Assertions.SetDefaultExpectTimeout(60_000);
        Browser = await LaunchChromiumAsync(_playwright);
    }

    /// <summary>Debian's Chromium, headless, without the background traffic a test does not want.</summary>
    public static async Task<IBrowser> LaunchChromiumAsync(IPlaywright playwright)
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"{ChromiumPath} is missing: run ./course test (it installs Debian's chromium) or apt-get install chromium.");
        }
        return await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    public async Task RestartAsync()
    {
        await _factory!.DisposeAsync();
        StartSite();
    }

    private void StartSite()
    {
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
            builder.ConfigureAppConfiguration((_, configuration) => configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ConnectionStrings:Course"] = $"Data Source={Path.Combine(DataPath, "course.db")}",
                ["Data:Path"] = DataPath,
                ["Content:Path"] = ContentPath,
                // Tokenizers for computed quiz keys install into a hub of this run; no demo models are built.
                ["Ml:HubPath"] = Path.Combine(DataPath, "hub"),
                ["Ml:BuildDemoModels"] = "false",
                // Every browser here comes from 127.0.0.1: the per-address limits would count the whole suite as one visitor.
                ["RateLimits:SignIn:PerAddress"] = "0",
                ["RateLimits:Registration:PerAddress"] = "0",
                // And every journey signs the one instructor in again: more than the 10 sign-ins per 5 minutes a person
                // gets, and those made while a journey moves the clock months ahead stay inside the window after it.
                ["RateLimits:SignIn:PerUser"] = "0",
            }))
            .ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Clock)));
        _factory.UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        _factory.StartServer();
        BaseUrl = _factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    /// <summary>The first published lesson of the repository's content, whatever it is called today.</summary>
    public Lesson FirstLesson => Services.GetRequiredService<ContentRepository>().Current.Lessons[0];

    /// <summary>The generated instructor's password once the first sign-in has replaced it.</summary>
    public const string InstructorPassword = "Instructor-chosen-2026";

    private bool _instructorPasswordChanged;

    public string InstructorEmail => Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Course.Core.Configuration.AccountOptions>>().Value.InitialInstructorEmail;

    /// <summary>
    /// The generated instructor, signed in. The first call signs in with the generated password from
    /// data/initial-instructor.txt, is held on the change-password page and chooses <see cref="InstructorPassword"/>,
    /// after which the file is gone; later calls sign in with that password.
    /// </summary>
    public async Task<BrowserSession> SignInInstructorAsync()
    {
        var session = await BrowserSession.OpenAsync(this);
        if (_instructorPasswordChanged)
        {
            await session.SignInAsync(InstructorEmail, InstructorPassword);
            return session;
        }
        var file = Path.Combine(DataPath, "initial-instructor.txt");
        var lines = File.ReadAllLines(file);
        Assert.Equal($"email: {InstructorEmail}", lines[0]);
        var generated = lines[1]["password: ".Length..];
        await session.SignInAsync(InstructorEmail, generated);
        await Assertions.Expect(session.Page.GetByTestId("must-change-password")).ToBeVisibleAsync();
        await session.ChangePasswordAsync(generated, InstructorPassword);
        if (File.Exists(file))
        {
            throw new InvalidOperationException($"{file} is still there after the first password change.");
        }
        _instructorPasswordChanged = true;
        return session;
    }

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        _playwright?.Dispose();
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }
        Directory.Delete(DataPath, recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class SiteCollection : ICollectionFixture<SiteFixture>
{
    public const string Name = "site";
}

/// <summary>The system clock plus an offset a test sets; timers run on real time.</summary>
public sealed class ShiftedClock : TimeProvider
{
    public TimeSpan Offset { get; set; }

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + Offset;
}
