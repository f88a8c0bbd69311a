using System.Diagnostics;
using Course.Core.Content;
using Course.Core.Data;
using Course.Grading.Queue;
using Course.Tests.Shared;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace Course.Benchmarks;

/// <summary>
/// The grading queue under a burst: N submissions (tiny configurations on a tiny model) queued as fast as the
/// queue accepts them, then W `course worker` processes on the shared SQLite database grade them all.
/// </summary>
internal static class GradingThroughput
{
    public static async Task RunAsync(int submissions, int workers)
    {
        using var setup = new TinyGradingSetup();
        var database = Path.Combine(setup.Root, "course.db");
        var databases = new PooledDbContextFactory<CourseDbContext>(new DbContextOptionsBuilder<CourseDbContext>().UseSqlite($"Data Source={database}").Options);
        await using (var db = await databases.CreateDbContextAsync())
        {
            await db.Database.MigrateAsync();
            db.Users.AddRange(Enumerable.Range(0, submissions).Select(i => new CourseUser { Id = $"u{i}", UserName = $"u{i}", Email = $"u{i}@example.com" }));
            await db.SaveChangesAsync();
        }
        var assignment = ContentLoader.Load(setup.Content, new ContentLoadOptions(HiddenDataPath: setup.Hidden)).FindAssignment("reviews")!;
        var queue = new SubmissionQueue(databases, TimeProvider.System);

        var submit = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, submissions).Select(i =>
            queue.SubmitAsync($"u{i}", assignment, TinyGradingSetup.Config(2), $"k{i}", setup.DatasetsFolder)));
        submit.Stop();
        Console.WriteLine($"{submissions} submissions accepted and queued in {submit.Elapsed.TotalSeconds:0.0} s");

        var grade = Stopwatch.StartNew();
        // One torch thread per worker: the workers share the cores.
        var processes = Enumerable.Range(0, workers).Select(_ => setup.StartWorker($"Data Source={database}", new Dictionary<string, string> { ["OMP_NUM_THREADS"] = "1" })).ToList();
        try
        {
            while (true)
            {
                await using var db = await databases.CreateDbContextAsync();
                var open = await db.Submissions.CountAsync(s => s.Status == SubmissionStatus.Queued || s.Status == SubmissionStatus.Running);
                if (open == 0) break;
                await Task.Delay(500);
            }
            grade.Stop();
            await using var done = await databases.CreateDbContextAsync();
            var statuses = await done.Submissions.GroupBy(s => s.Status).Select(g => new { g.Key, Count = g.Count() }).ToListAsync();
            var runs = await done.Submissions.Where(s => s.FinishedAt != null && s.StartedAt != null).Select(s => new { s.StartedAt, s.FinishedAt }).ToListAsync();
            var mean = runs.Average(r => (r.FinishedAt!.Value - r.StartedAt!.Value).TotalSeconds);
            Console.WriteLine($"graded by {workers} workers in {grade.Elapsed.TotalSeconds:0.0} s ({submissions / grade.Elapsed.TotalMinutes:0.0} jobs/min, {mean:0.0} s per job on average); " +
                string.Join(", ", statuses.Select(s => $"{s.Count} {s.Key}")));
            // For sizing (docs/deploy.md): the most memory each worker process held, from the kernel's high-water mark.
            Console.WriteLine($"worker peak resident memory (VmHWM): {string.Join(", ", processes.Select(p => $"{PeakResidentMib(p.Id)} MiB"))}");
        }
        finally
        {
            foreach (var process in processes)
            {
                process.Kill(entireProcessTree: true);
                process.Dispose();
            }
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        }
    }

    private static long PeakResidentMib(int processId) =>
        long.Parse(File.ReadLines($"/proc/{processId}/status").Single(l => l.StartsWith("VmHWM:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024;
}
