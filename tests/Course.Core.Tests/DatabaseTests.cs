using Course.Core.Configuration;
using Course.Core.Data;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
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
            .AddCourseDatabase(configuration, new CourseEnvironment(_root))
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

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_root, recursive: true);
    }
}
