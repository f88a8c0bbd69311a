using Course.Core.Data;

namespace Course.Web.Extensions;

/// <summary>
/// Before the site listens: the database migrated and seeded (<see cref="DatabaseSetup"/>) where
/// <c>Database:MigratesAtStart</c> (the embedded SQLite default), else only checked, so the site refuses a database
/// <c>./course migrate</c> has not brought up to date. A generated instructor's password file is named, never printed.
/// </summary>
public sealed class DatabaseInitializer(IServiceProvider services, ILogger<DatabaseInitializer> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (await DatabaseSetup.EnsureReadyAsync(services, cancellationToken) is not { InitialInstructorFile: { } file })
        {
            return;
        }
        // Only the path: a password printed to stdout ends up in terminal scroll-back, journald and CI logs.
        Console.WriteLine($"""

            First start: an instructor account was created.
            Its password is in {file} (readable by this account only).
            Sign in with it and choose a new password; the file is deleted then.

            """);
        logger.LogInformation("Created the initial instructor account; its password is in {File}", file);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
