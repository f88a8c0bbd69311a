using Course.Core.Configuration;
using Course.Core.Data;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Course.Core.Tests;

public sealed class DatabaseTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("course-db-").FullName;

    private IDbContextFactory<CourseDbContext> Factory()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Course"] = "Data Source=data/course.db" })
            .Build();
        return new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddSingleton(new CourseEnvironment(_root))
            .AddCourseDatabase()
            .BuildServiceProvider()
            .GetRequiredService<IDbContextFactory<CourseDbContext>>();
    }

    [Fact]
    public void A_relative_sqlite_path_resolves_against_the_course_root()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Course"] = "Data Source=data/course.db;Cache=Shared" })
            .Build();

        var resolved = new SqliteConnectionStringBuilder(DatabaseExtensions.ResolveConnectionString(configuration, new CourseEnvironment(_root)));

        Assert.Equal(Path.Combine(_root, "data", "course.db"), resolved.DataSource);
        Assert.Equal(SqliteCacheMode.Shared, resolved.Cache);
        Assert.True(Directory.Exists(Path.Combine(_root, "data")));
    }

    [Fact]
    public async Task Migrations_apply_and_the_database_runs_in_wal_mode()
    {
        var factory = Factory();

        await factory.MigrateAsync();

        await using var db = await factory.CreateDbContextAsync();
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        var mode = await db.Database.SqlQueryRaw<string>("PRAGMA journal_mode").ToListAsync();
        Assert.Equal("wal", Assert.Single(mode));
    }

    [Fact]
    public async Task A_backup_is_a_consistent_copy_and_never_overwrites_a_file()
    {
        var factory = Factory();
        await factory.MigrateAsync();
        await using (var db = await factory.CreateDbContextAsync())
        {
            db.Users.Add(new CourseUser { Id = "u1", UserName = "ada@example.com", Email = "ada@example.com" });
            db.LessonCompletions.Add(new LessonCompletion { UserId = "u1", LessonId = "4.1/hub", CompletedAt = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync();
        }
        var backup = Path.Combine(_root, "backups", "copy.db");

        await factory.BackupAsync(backup);

        var options = new DbContextOptionsBuilder<CourseDbContext>().UseSqlite($"Data Source={backup}").Options;
        await using (var copy = new CourseDbContext(options))
        {
            var completion = await copy.LessonCompletions.SingleAsync();
            Assert.Equal(("u1", "4.1/hub"), (completion.UserId, completion.LessonId));
        }
        SqliteConnection.ClearAllPools();
        var again = await Assert.ThrowsAsync<IOException>(() => factory.BackupAsync(backup));
        Assert.Contains("never overwrites", again.Message);
    }

    [Fact]
    public async Task Charged_submissions_of_an_older_database_take_the_slots_of_their_day_in_order()
    {
        var factory = Factory();
        await using (var db = await factory.CreateDbContextAsync())
        {
            await db.GetService<Microsoft.EntityFrameworkCore.Migrations.IMigrator>().MigrateAsync("20261206173316_AccountHardening");
            await db.Database.ExecuteSqlRawAsync("""
                INSERT INTO AspNetUsers (Id, AccessFailedCount, EmailConfirmed, LockoutEnabled, PhoneNumberConfirmed, TwoFactorEnabled, CreatedAt, MustChangePassword)
                VALUES ('ann', 0, 0, 0, 0, 0, '2026-11-01 00:00:00+00:00', 0);
                INSERT INTO Submissions (Id, UserId, AssignmentId, ConfigYaml, IdempotencyKey, Status, CreatedAt, Attempts, CancelRequested, CountsAgainstQuota, Log, KeepWeights, ModelPublished) VALUES
                  (1, 'ann', 'sentiment', '', 'a', 'Succeeded', '2026-11-27 23:59:59.1234567+00:00', 1, 0, 1, '', 0, 0),
                  (2, 'ann', 'sentiment', '', 'b', 'Failed',    '2026-11-28 08:00:00+00:00', 1, 0, 0, '', 0, 0),
                  (3, 'ann', 'sentiment', '', 'c', 'Succeeded', '2026-11-28 09:00:00+00:00', 1, 0, 1, '', 0, 0),
                  (4, 'ann', 'ner',       '', 'd', 'Queued',    '2026-11-28 09:30:00+00:00', 0, 0, 1, '', 0, 0),
                  (5, 'ann', 'sentiment', '', 'e', 'Queued',    '2026-11-28 10:00:00.5+00:00', 0, 0, 1, '', 0, 0);
                """);
        }

        await factory.MigrateAsync();

        await using var migrated = await factory.CreateDbContextAsync();
        var rows = await migrated.Submissions.AsNoTracking().OrderBy(s => s.Id).Select(s => new { s.QuotaDay, s.QuotaSlot }).ToListAsync();
        var (day27, day28) = (new DateOnly(2026, 11, 27), new DateOnly(2026, 11, 28));
        Assert.Equal([(day27, 1), (null, null), (day28, 1), (day28, 1), (day28, 2)], rows.Select(r => ((DateOnly?)r.QuotaDay, (int?)r.QuotaSlot)));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_root, recursive: true);
    }
}
