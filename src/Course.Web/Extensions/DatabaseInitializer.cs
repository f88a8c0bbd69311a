using System.Security.Cryptography;
using Course.Core.Configuration;
using Course.Core.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Course.Web.Extensions;

/// <summary>
/// Before the site listens: applies migrations, creates the roles and, on the very first start, an
/// instructor account with a generated password that is shown once (never committed anywhere).
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
        var instructor = new CourseUser { UserName = email, Email = email, EmailConfirmed = true, DisplayName = "Instructor" };
        Check(await users.CreateAsync(instructor, password));
        Check(await users.AddToRoleAsync(instructor, CourseRoles.Instructor));

        var file = Path.Combine(course.Resolve(data.Value.Path), "initial-instructor.txt");
        await File.WriteAllTextAsync(file, $"email: {email}\npassword: {password}\n", cancellationToken);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        Console.WriteLine($"""

            First start: an instructor account was created.
              email:    {email}
              password: {password}
            (also in {file}; change it under "My account" after signing in)

            """);
        logger.LogInformation("Created the initial instructor account {Email}", email);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>16 random characters that satisfy Identity's default rules (upper, lower, digit, symbol).</summary>
    private static string GeneratePassword()
    {
        const string alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";
        var core = RandomNumberGenerator.GetString(alphabet, 12);
        return $"{core}-A{RandomNumberGenerator.GetInt32(10)}a";
    }

    private static void Check(IdentityResult result)
    {
        if (!result.Succeeded)
        {
            throw new InvalidOperationException(string.Join("; ", result.Errors.Select(e => e.Description)));
        }
    }
}
