using System.Diagnostics;
using Course.Core.Configuration;
using Course.Core.Data;
using Course.Tests.Shared;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Course.Core.Tests;

public sealed class SqliteDatabaseProviderTests() : DatabaseProviderTests(null);

[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlDatabaseProviderTests(PostgresServer server) : DatabaseProviderTests(server);

/// <summary>Migrating, seeding, refusing and backing up, on both providers: a SQLite file and a real PostgreSQL server.</summary>
public abstract class DatabaseProviderTests(PostgresServer? server) : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("course-root-").FullName;
    private TestDatabase _database = default!;

    public async Task InitializeAsync() => _database = await TestDatabase.CreateAsync(server);

    /// <summary>A process's services over the test database, as the CLI composes them (Identity for the seed).</summary>
    private ServiceProvider Services(bool? migrateAtStart = null)
    {
        var settings = _database.Settings();
        settings["Data:Path"] = Path.Combine(_root, "data");
        if (migrateAtStart is { } migrate)
        {
            settings["Database:MigrateAtStart"] = migrate.ToString();
        }
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build())
            .AddLogging()
            .AddCourseCore(new CourseEnvironment(_root))
            .AddCourseDatabase();
        services.AddIdentityCore<CourseUser>().AddRoles<IdentityRole>().AddEntityFrameworkStores<CourseDbContext>();
        return services.BuildServiceProvider();
    }

    [Fact]
    public async Task Concurrent_migrate_calls_take_turns_so_the_migrations_apply_once_and_one_instructor_is_seeded()
    {
        // Four processes' worth of services, each with its own connections, all migrating the same empty database at once.
        var reports = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            await using var services = Services();
            return await DatabaseSetup.MigrateAndSeedAsync(services);
        })));

        await using var check = Services();
        await using var db = await check.GetRequiredService<IDbContextFactory<CourseDbContext>>().CreateDbContextAsync();
        Assert.Equal(db.Database.GetMigrations(), reports.Single(r => r.Applied.Count > 0).Applied);
        Assert.Equal(3, reports.Count(r => r.Applied.Count == 0));
        var file = Assert.Single(reports, r => r.InitialInstructorFile is not null).InitialInstructorFile;
        Assert.Equal(Path.Combine(_root, "data", "initial-instructor.txt"), file);
        Assert.Equal(CourseRoles.All.Order(), (await db.Roles.Select(r => r.Name!).ToListAsync()).Order());
        var instructor = Assert.Single(await db.Users.ToListAsync());
        Assert.Equal(("instructor@course.local", true), (instructor.Email, instructor.MustChangePassword));
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
    }

    [Fact]
    public async Task An_unmigrated_database_is_refused_with_what_to_run_and_accepted_once_migrated()
    {
        await using var services = Services(migrateAtStart: false);

        var refused = await Assert.ThrowsAsync<DatabaseNotMigratedException>(() => DatabaseSetup.EnsureReadyAsync(services));

        await using var db = await services.GetRequiredService<IDbContextFactory<CourseDbContext>>().CreateDbContextAsync();
        var migrations = db.Database.GetMigrations().ToList();
        Assert.Equal($"The {(_database.Provider == DatabaseProvider.PostgreSQL ? "PostgreSQL" : "SQLite")} database {DatabaseExtensions.Describe(db)} is not " +
            $"migrated: {migrations.Count} of {migrations.Count} migrations are pending (the first is {migrations[0]}). Run `./course migrate` (with this configuration) first.",
            refused.Message);
        Assert.DoesNotContain(PostgresServer.Password, refused.Message);

        await DatabaseSetup.MigrateAndSeedAsync(services);
        Assert.Null(await DatabaseSetup.EnsureReadyAsync(services)); // checked, nothing done
    }

    [Fact]
    public async Task The_embedded_sqlite_default_migrates_at_start_and_postgresql_waits_for_migrate()
    {
        await using var services = Services();

        if (_database.Provider == DatabaseProvider.Sqlite)
        {
            var report = await DatabaseSetup.EnsureReadyAsync(services);
            Assert.NotEmpty(report!.Applied);
        }
        else
        {
            await Assert.ThrowsAsync<DatabaseNotMigratedException>(() => DatabaseSetup.EnsureReadyAsync(services));
        }
    }

    [Fact]
    public async Task A_backup_is_a_copy_that_restores_and_never_overwrites_a_file()
    {
        await using var services = Services();
        await DatabaseSetup.MigrateAndSeedAsync(services);
        var databases = services.GetRequiredService<IDbContextFactory<CourseDbContext>>();
        await using (var db = await databases.CreateDbContextAsync())
        {
            db.Users.Add(new CourseUser { Id = "u1", UserName = "ada@example.com", Email = "ada@example.com" });
            db.LessonCompletions.Add(new LessonCompletion { UserId = "u1", LessonId = "4.1/hub", CompletedAt = new DateTimeOffset(2026, 12, 1, 9, 30, 0, TimeSpan.FromHours(2)) });
            await db.SaveChangesAsync();
        }
        var backup = Path.Combine(_root, "backups", "copy");

        await databases.BackupAsync(backup);

        var copy = _database.Provider == DatabaseProvider.PostgreSQL ? await RestoreAsync(backup) : $"Data Source={backup}";
        var options = new DbContextOptionsBuilder<CourseDbContext>();
        options.UseCourseDatabase(_database.Provider, copy);
        await using (var restored = new CourseDbContext(options.Options))
        {
            var completion = await restored.LessonCompletions.SingleAsync();
            Assert.Equal(("u1", "4.1/hub", new DateTimeOffset(2026, 12, 1, 7, 30, 0, TimeSpan.Zero)), (completion.UserId, completion.LessonId, completion.CompletedAt));
        }
        var again = await Assert.ThrowsAsync<IOException>(() => databases.BackupAsync(backup));
        Assert.Contains("never overwrites", again.Message);
    }

    /// <summary>pg_restore into a new database of the test server; the password through the environment, as pg_dump got it.</summary>
    private async Task<string> RestoreAsync(string dump)
    {
        var target = await server!.CreateDatabaseAsync();
        var connection = new NpgsqlConnectionStringBuilder(target);
        var start = new ProcessStartInfo(PgTools.Find("pg_restore")) { RedirectStandardError = true, ArgumentList = { "--no-owner", $"--dbname={connection.Database}", dump } };
        (start.Environment["PGHOST"], start.Environment["PGPORT"], start.Environment["PGUSER"], start.Environment["PGPASSWORD"]) =
            (connection.Host, connection.Port.ToString(), connection.Username, connection.Password);
        using var process = Process.Start(start)!;
        var errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, errors);
        return target;
    }

    public async Task DisposeAsync()
    {
        await _database.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }
}
