using Course.Core.Assignments;
using Course.Core.Configuration;
using Course.Core.Content;
using Course.Core.Data;
using Course.Grading;
using Course.Grading.Queue;
using Course.Grading.Workers;
using Course.Ml;
using Course.Ml.Hub;
using Course.Ml.Training;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Logging;

namespace Course.Cli;

/// <summary>The grading verbs: assignments list, grade (offline), submit, worker, submissions show.</summary>
internal sealed class GradingCommands(CourseSettings settings)
{
    private string ContentRoot => settings.ContentRoot;
    private HiddenSplits HiddenSplits => settings.HiddenSplits;
    private ModelHub Hub => settings.Hub;

    private Assignment FindAssignment(string? id, ContentLoadOptions? options = null)
    {
        if (id is null)
        {
            throw new UsageException("--assignment ID is required");
        }
        var snapshot = ContentLoader.Load(ContentRoot, options);
        if (snapshot.FindAssignment(id) is { } assignment)
        {
            return assignment;
        }
        throw snapshot.AssignmentFiles.Any(f => f.SourcePath == $"assignments/{id}/assignment.md")
            ? (Exception)new InvalidDataException($"assignment '{id}' does not validate (./course content validate shows why)")
            : new UsageException($"unknown assignment '{id}' (assignments: {string.Join(", ", snapshot.Assignments.Select(a => a.Id))})");
    }

    public int List()
    {
        CommandLine.WriteResult(ContentLoader.Load(ContentRoot).Assignments.Select(a => new
        {
            id = a.Id,
            title = a.Title,
            metric = a.Rules.Metric,
            starter_config = Path.GetRelativePath(settings.Environment.Root, a.StarterPath).Replace('\\', '/'),
        }));
        return 0;
    }

    /// <summary>
    /// Grades the unchanged starter on validation and the sample hidden split, so a rubric's pass mark can be set
    /// above it (content validate refuses one that is not); <c>--write</c> records the figures in the front matter.
    /// </summary>
    public int Calibrate(string id, bool write)
    {
        // A recorded calibration the starter now passes is what this verb re-measures, so that check is off here.
        var assignment = FindAssignment(id, new ContentLoadOptions { CheckCalibration = false });
        var result = GradingRun.Execute(assignment, File.ReadAllText(assignment.StarterPath), Path.Combine(ContentRoot, "datasets"), HiddenSplits.SampleOnly(), Hub, settings.Device,
            log: new InlineProgress<string>(m => Console.Error.WriteLine(m)));
        var calibration = new StarterCalibration
        {
            StarterValidation = Math.Round(result.PublicScore, 4), StarterHiddenSample = Math.Round(result.PrivateScore, 4),
            Measured = DateTime.UtcNow.ToString("yyyy-MM-dd"),
        };
        var passes = Math.Max(calibration.StarterValidation, calibration.StarterHiddenSample) >= assignment.PassMark;
        if (write)
        {
            AssignmentCalibration.Write(Path.Combine(ContentRoot, assignment.SourcePath), calibration);
            Console.Error.WriteLine($"calibration written to {Path.Combine(ContentRoot, assignment.SourcePath)}");
        }
        if (passes)
        {
            Console.Error.WriteLine($"the unchanged starter reaches the pass mark ({assignment.Rules.Metric} {assignment.PassMark:0.###}): raise the rubric");
        }
        CommandLine.WriteResult(new
        {
            assignment = assignment.Id,
            metric = assignment.Rules.Metric,
            starter_validation = calibration.StarterValidation,
            starter_hidden_sample = calibration.StarterHiddenSample,
            starter_points_validation = assignment.PointsFor(result.Metrics, "eval"),
            starter_points_hidden_sample = result.Grade,
            pass_mark = Math.Round(assignment.PassMark, 4),
            starter_passes = passes,
            train_runtime = result.Receipt.WallTimeSeconds,
        });
        return passes ? 1 : 0;
    }

    /// <summary>Grades a configuration here and now, without the queue (an instructor checking a rubric, or CI).</summary>
    public int Grade(string? assignmentId, string? config)
    {
        var assignment = FindAssignment(assignmentId);
        var path = config ?? throw new UsageException("--config FILE is required");
        var log = new InlineProgress<string>(m => Console.Error.WriteLine(m));
        var bar = new InlineProgress<TrainerProgress>(p =>
        {
            if (p.Event == TrainerEvent.Log)
            {
                Console.Error.WriteLine($"step {p.Step}/{p.TotalSteps}  loss {p.Loss:0.0000}");
            }
        });
        GradingResult result;
        try
        {
            result = GradingRun.Execute(assignment, File.ReadAllText(path), Path.Combine(ContentRoot, "datasets"), HiddenSplits, Hub, settings.Device, bar, log);
        }
        catch (TrainingConfigException ex)
        {
            ex.Errors.ToList().ForEach(e => Console.Error.WriteLine(e.ToString().Replace("submission.yaml", path)));
            return 1;
        }
        CommandLine.WriteResult(new
        {
            metrics = result.Metrics,
            public_score = result.PublicScore,
            private_score = result.PrivateScore,
            grade = result.Grade,
            receipt = result.Receipt,
        });
        return 0;
    }

    /// <summary>
    /// Stores an instructor's real hidden test split for an assignment (checked row by row, nothing stored on any
    /// error); prints the report: rows, SHA-256, where it went, and the label distribution beside the public splits.
    /// </summary>
    public async Task<int> HiddenAsync(string? assignmentId, string? file)
    {
        var assignment = FindAssignment(assignmentId);
        var path = file ?? throw new UsageException("--file FILE is required");
        if (!File.Exists(path))
        {
            Console.Error.WriteLine($"{path}:1: file not found");
            return 1;
        }
        if (new FileInfo(path).Length > HiddenSplitUpload.MaxBytes)
        {
            Console.Error.WriteLine($"{path}:1: the file is {new FileInfo(path).Length:N0} bytes; a hidden split has at most {HiddenSplitUpload.MaxBytes:N0}");
            return 1;
        }
        await using var scope = settings.Services.CreateAsyncScope();
        var services = scope.ServiceProvider;
        await ReadyAsync(services);
        var databases = services.GetRequiredService<IDbContextFactory<CourseDbContext>>();
        var upload = new HiddenSplitUpload(HiddenSplits, Path.Combine(ContentRoot, "datasets"), [ContentRoot, settings.WebRoot], databases, TimeProvider.System);
        var (report, errors) = await upload.UploadAsync(assignment, await File.ReadAllTextAsync(path), path, $"cli:{Environment.UserName}");
        if (report is null)
        {
            errors.ToList().ForEach(e => Console.Error.WriteLine(e));
            return 1;
        }
        Console.Error.WriteLine($"{assignment.Id}: {report.Rows} rows stored at {report.StoredAt}; the next grading run uses them");
        CommandLine.WriteResult(new
        {
            assignment = report.Assignment, rows = report.Rows, sha256 = report.Sha256, stored_at = report.StoredAt,
            labels = report.Labels, public_labels = report.PublicLabels,
        });
        return 0;
    }

    /// <summary>Queues a configuration for a student (an instructor tool); a new account gets no password until a reset link is issued.</summary>
    public async Task<int> SubmitAsync(string? assignmentId, string? config, string? user, string? reportPath)
    {
        var assignment = FindAssignment(assignmentId);
        var path = config ?? throw new UsageException("--config FILE is required");
        var email = user ?? throw new UsageException("--user EMAIL is required");
        // Read before anything is written, so a missing report file creates no account.
        var report = reportPath is null ? null
            : File.Exists(reportPath) ? File.ReadAllText(reportPath) : throw new UsageException($"--report: no file '{reportPath}'");
        await using var scope = settings.Services.CreateAsyncScope();
        var services = scope.ServiceProvider;
        await ReadyAsync(services);
        var users = services.GetRequiredService<UserManager<CourseUser>>();
        var student = await users.FindByEmailAsync(email);
        if (student is null)
        {
            student = new CourseUser { UserName = email, Email = email, CreatedAt = DateTimeOffset.UtcNow };
            var created = await users.CreateAsync(student);
            if (!created.Succeeded)
            {
                throw new UsageException($"cannot create {email}: {string.Join("; ", created.Errors.Select(e => e.Description))}");
            }
            await users.AddToRoleAsync(student, CourseRoles.Student);
        }
        try
        {
            var submission = await services.GetRequiredService<SubmissionQueue>().SubmitAsync(student.Id, assignment, File.ReadAllText(path),
                $"cli-{Guid.NewGuid():N}", Path.Combine(ContentRoot, "datasets"), report);
            CommandLine.WriteResult(new { id = submission.Id, status = submission.Status.ToString() });
            return 0;
        }
        catch (SubmissionRefusedException ex)
        {
            Console.Error.WriteLine(ex.Message);
            ex.Errors.ToList().ForEach(e => Console.Error.WriteLine(e.ToString().Replace("submission.yaml", path)));
            return 1;
        }
    }

    public async Task<int> ShowAsync(long number)
    {
        await using var scope = settings.Services.CreateAsyncScope();
        var services = scope.ServiceProvider;
        await ReadyAsync(services); // a fresh checkout has no database yet: then there is no such submission either
        var databases = services.GetRequiredService<IDbContextFactory<CourseDbContext>>();
        await using var db = await databases.CreateDbContextAsync();
        var submission = await db.Submissions.AsNoTracking().SingleOrDefaultAsync(s => s.Id == number)
            ?? throw new UsageException($"no submission {number}");
        var result = GradingResult.FromJson(submission.ResultJson);
        CommandLine.WriteResult(new
        {
            id = submission.Id,
            status = submission.Status.ToString(),
            attempts = submission.Attempts,
            result = result is null ? null : new { metrics = result.Metrics, public_score = result.PublicScore, private_score = result.PrivateScore, grade = result.Grade, receipt = result.Receipt },
            error = submission.Error,
            report = submission.Report,
        });
        return 0;
    }

    /// <summary>The database migrated and seeded where this configuration migrates at start, else checked; a generated instructor is said.</summary>
    private static async Task ReadyAsync(IServiceProvider services)
    {
        if (await DatabaseSetup.EnsureReadyAsync(services) is { InitialInstructorFile: { } file })
        {
            Console.Error.WriteLine(InstructorCreated(file));
        }
    }

    private static string InstructorCreated(string file) => $"an instructor account was created; its password is in {file} (readable by this account only)";

    /// <summary>
    /// <c>./course migrate</c>: the migrations and the seed, under the migration lock (concurrent calls take turns);
    /// prints <c>{provider, database, applied, initial_instructor_file}</c>.
    /// </summary>
    public async Task<int> MigrateAsync()
    {
        var report = await DatabaseSetup.MigrateAndSeedAsync(settings.Services);
        var databases = settings.Services.GetRequiredService<IDbContextFactory<CourseDbContext>>();
        await using var db = await databases.CreateDbContextAsync();
        var provider = settings.Services.GetRequiredService<IOptions<DatabaseOptions>>().Value.Provider;
        Console.Error.WriteLine(report.Applied.Count == 0 ? "the database is up to date" : $"applied {report.Applied.Count} migrations");
        if (report.InitialInstructorFile is { } file)
        {
            Console.Error.WriteLine(InstructorCreated(file));
        }
        CommandLine.WriteResult(new
        {
            provider = provider.ToString(), database = DatabaseExtensions.Describe(db), applied = report.Applied,
            initial_instructor_file = report.InitialInstructorFile,
        });
        return 0;
    }

    public async Task<int> WorkerAsync()
    {
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        return await WorkerProcess.RunAsync(settings.Environment, settings.Configuration, stop.Token);
    }
}
