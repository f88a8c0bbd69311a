using Bunit;
using Bunit.TestDoubles;
using Course.Core.Configuration;
using Course.Core.Content;
using Course.Core.Data;
using Course.Web.Features.Lessons;
using Course.Web.Features.Security;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MudBlazor.Services;

namespace Course.Web.Tests;

/// <summary>
/// Base for component tests: MudBlazor services, a small content folder written per test, an in-memory
/// SQLite database and bUnit's authorization double. Disposes MudBlazor's async services (xunit v2).
/// </summary>
public abstract class CourseComponentTest : BunitContext, IAsyncLifetime
{
    private readonly SqliteConnection _connection = new("Data Source=:memory:");

    protected CourseComponentTest()
    {
        ContentRoot = Directory.CreateTempSubdirectory("course-web-tests-").FullName;
        WriteContent();
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddSingleton(new CourseEnvironment(ContentRoot));
        Services.AddSingleton(Options.Create(new ContentOptions { Path = "." }));
        Services.AddSingleton(NullLogger<ContentRepository>.Instance);
        Services.AddSingleton<ContentRepository>();
        Services.AddSingleton<TimeProvider>(Clock);
        _connection.Open();
        Services.AddDbContextFactory<CourseDbContext>(o => o.UseSqlite(_connection).AddInterceptors(Saves, Commands));
        Services.AddSingleton(Options.Create(RateLimits));
        Services.AddSingleton<RequestLimiter>();
        Services.AddScoped<ClientConnection>();
        Services.AddSingleton<Features.Hub.HubVisibility>();
        Services.AddSingleton<Features.Hub.ModelSharing>();
        Services.AddScoped<LessonProgressService>();
        Services.AddScoped<Features.Quizzes.QuizAttemptService>();
        Services.AddScoped<Features.Quizzes.ProgressDashboardService>();
        Services.AddScoped<Features.Statistics.CourseStatisticsService>();
        Services.AddSingleton(Options.Create(new Grading.GradingOptions()));
        Services.AddSingleton<Grading.Queue.SubmissionQueue>();
        Services.AddScoped<Features.Assignments.AssignmentService>();
        // The node's job changes: tests poll by hand (no poller), so a change reaches the pages when a test says.
        Services.AddSingleton(services => new Features.Assignments.JobChangeHub(services.GetRequiredService<Grading.Queue.SubmissionQueue>(),
            NullLogger<Features.Assignments.JobChangeHub>.Instance));
        // An empty hub (the assignment page's data report counts over-long rows only with the starter model's tokenizer).
        Services.AddSingleton(new Course.Ml.Hub.ModelHub(Directory.CreateDirectory(Path.Combine(DataRoot, "hub")).FullName));
        Services.AddScoped<Features.Assignments.ReportService>();
        // Samples inside the "repository" (practice grading); uploads in a data folder of their own, outside the content.
        Services.AddSingleton(new Grading.HiddenSplits(Path.Combine(DataRoot, Grading.HiddenSplits.UploadFolder), Path.Combine(ContentRoot, "hidden-sample"), ContentRoot));
        Services.AddSingleton(services => new Grading.HiddenSplitUpload(services.GetRequiredService<Grading.HiddenSplits>(), Path.Combine(ContentRoot, "datasets"),
            [ContentRoot], services.GetRequiredService<IDbContextFactory<CourseDbContext>>(), Clock));
        // The playgrounds' service: it loads no model until a request runs.
        Services.AddSingleton(TorchSharp.torch.CPU);
        Services.AddSingleton<Features.Models.DemoBuildStatus>();
        Services.AddSingleton(Options.Create(new Features.Playgrounds.PlaygroundOptions()));
        Services.AddSingleton<Features.Playgrounds.InferenceService>();
        Authorization = AddAuthorization();
        // Last: touching the renderer freezes the service collection.
        Renderer.SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo("Server", isInteractive: true));
    }

    protected string ContentRoot { get; }

    /// <summary>Holds the database's saves while a test interleaves a page's events.</summary>
    protected SaveGate Saves { get; } = new();

    /// <summary>Counts the commands the site's contexts send to the database.</summary>
    protected Course.Tests.Shared.CommandCounter Commands { get; } = new();

    /// <summary>The Data:Path folder (instructors' hidden splits).</summary>
    protected string DataRoot { get; } = Directory.CreateTempSubdirectory("course-web-data-").FullName;

    /// <summary>The site's rate limits; a test changes them before the first limited call.</summary>
    protected RateLimitOptions RateLimits { get; } = new();

    /// <summary>The site's clock, moved by tests that need time limits to pass; it counts the timers pages make.</summary>
    protected TestClock Clock { get; } = new(new DateTimeOffset(2026, 11, 28, 9, 0, 0, TimeSpan.Zero));

    /// <summary>A quiz in content/quizzes/ (reloaded into the repository).</summary>
    protected void WriteQuiz(string fileName, string text)
    {
        Directory.CreateDirectory(Path.Combine(ContentRoot, "quizzes"));
        File.WriteAllText(Path.Combine(ContentRoot, "quizzes", fileName), text);
        Content.Reload();
    }

    protected BunitAuthorizationContext Authorization { get; }

    protected ContentRepository Content => Services.GetRequiredService<ContentRepository>();

    protected void SignIn(string userId, params string[] roles)
    {
        Authorization.SetAuthorized(userId);
        Authorization.SetRoles(roles);
        Authorization.SetClaims(new System.Security.Claims.Claim(System.Security.Claims.ClaimTypes.NameIdentifier, userId));
        if (roles.Contains(CourseRoles.Instructor))
        {
            Authorization.SetPolicies(Extensions.CoursePolicies.Instructor);
        }
    }

    /// <summary>Creates a user row so progress can reference it.</summary>
    protected async Task AddUserAsync(string userId)
    {
        await using var db = await Services.GetRequiredService<IDbContextFactory<CourseDbContext>>().CreateDbContextAsync();
        db.Users.Add(new CourseUser { Id = userId, UserName = userId, Email = $"{userId}@example.com" });
        await db.SaveChangesAsync();
    }

    private void WriteContent()
    {
        File.WriteAllText(Path.Combine(ContentRoot, "module.yaml"), """
            id: m
            title: Working with Transformers
            week: 4
            goal: Use and fine-tune models.
            topics:
              - id: "4.1"
                title: The ecosystem
                folder: 4.1-eco
                duration: 1 hour
                objectives: [Know the Hub]
              - id: "4.2"
                title: Pre-trained models
                folder: 4.2-pre
                duration: 2 hours
                objectives: [Load models]
            """);
        Write("4.1-eco/01-hub.md", "4.1", 1, "The Hub", "Intro.\n\n## Model cards\n\nText.\n\n## Dataset cards\n\nMore.");
        Write("4.1-eco/02-libraries.md", "4.1", 2, "The libraries", "Libraries.");
        Write("4.2-pre/01-auto-classes.md", "4.2", 1, "Auto classes", "Auto.");
    }

    protected void Write(string path, string topic, int order, string title, string body)
    {
        var full = Path.Combine(ContentRoot, "topics", path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, $"---\ntitle: {title}\ntopic: \"{topic}\"\norder: {order}\nduration: 15\nobjectives:\n  - Learn {title}.\n---\n{body}\n");
    }

    public async Task InitializeAsync()
    {
        await using var db = await Services.GetRequiredService<IDbContextFactory<CourseDbContext>>().CreateDbContextAsync();
        await db.Database.EnsureCreatedAsync();
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await _connection.DisposeAsync();
        Directory.Delete(ContentRoot, recursive: true);
        Directory.Delete(DataRoot, recursive: true);
    }
}
