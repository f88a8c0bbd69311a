using System.Security.Cryptography;
using Course.Core.Configuration;
using Course.Core.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Course.Web.Extensions;

/// <summary>
/// Before the site listens: applies migrations, creates the roles and, on the very first start, an
/// instructor account with a generated password, written to an owner-only file (never printed, never
/// committed) and to be changed at its first sign-in.
/// </summary>
public sealed class DatabaseInitializer(
    IDbContextFactory<CourseDbContext> databases,
    IServiceScopeFactory scopes,
    IOptions<AccountOptions> accounts,
    IOptions<DataOptions> data,
    CourseEnvironment course,
    ILogger<DatabaseInitializer> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await databases.MigrateAsync(cancellationToken);

        await using var scope = scopes.CreateAsyncScope();
        var roles = scope.ServiceProvider.GetRequiredService<RoleManager<IdentityRole>>();
        foreach (var role in CourseRoles.All)
        {
            if (!await roles.RoleExistsAsync(role))
            {
                Check(await roles.CreateAsync(new IdentityRole(role)));
            }
        }

        var users = scope.ServiceProvider.GetRequiredService<UserManager<CourseUser>>();
        if ((await users.GetUsersInRoleAsync(CourseRoles.Instructor)).Count > 0)
        {
            return;
        }

        var email = accounts.Value.InitialInstructorEmail;
        var password = GeneratePassword();
        var instructor = new CourseUser
        {
            UserName = email, Email = email, EmailConfirmed = true, DisplayName = "Instructor",
            // The password sits in a file on the server until it is changed; the site asks for nothing else first.
            MustChangePassword = true,
        };
        Check(await users.CreateAsync(instructor, password));
        Check(await users.AddToRoleAsync(instructor, CourseRoles.Instructor));

        var file = InitialInstructorFile(course, data.Value);
        OwnerOnly.CreateFolder(Path.GetDirectoryName(file)!);
        await OwnerOnly.WriteAllTextAsync(file, $"email: {email}\npassword: {password}\n", cancellationToken);
        // Only the path: a password printed to stdout ends up in terminal scroll-back, journald and CI logs.
        Console.WriteLine($"""

            First start: an instructor account was created ({email}).
            Its password is in {file} (readable by this account only).
            Sign in with it and choose a new password; the file is deleted then.

            """);
        logger.LogInformation("Created the initial instructor account {Email}", email);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Where the generated instructor's credentials wait until the first sign-in changes the password.</summary>
    public static string InitialInstructorFile(CourseEnvironment course, DataOptions data) =>
        Path.Combine(course.Resolve(data.Path), "initial-instructor.txt");

    /// <summary>20 random characters without look-alikes (about 115 bits): over the 12-character minimum and in no common list.</summary>
    private static string GeneratePassword() =>
        RandomNumberGenerator.GetString("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789", 20);

    private static void Check(IdentityResult result)
    {
        if (!result.Succeeded)
        {
            throw new InvalidOperationException(string.Join("; ", result.Errors.Select(e => e.Description)));
        }
    }
}
