using System.Security.Cryptography;
using Course.Core.Configuration;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Course.Core.Data;

/// <summary>What <see cref="DatabaseSetup.MigrateAndSeedAsync"/> did: the migrations applied, and the file holding a generated instructor's password.</summary>
public sealed record DatabaseSetupReport(IReadOnlyList<string> Applied, string? InitialInstructorFile);

/// <summary>
/// The one step that brings a database up: migrations, then the roles and, on an empty database, an instructor
/// account with a generated password, written to an owner-only file (never printed, never committed) and to be
/// changed at its first sign-in. <c>./course migrate</c> runs it; so do the site and the CLI's verbs at start where
/// <see cref="DatabaseOptions.MigratesAtStart"/>, and otherwise they only check that it ran.
/// Needs Identity's <see cref="UserManager{TUser}"/> and <see cref="RoleManager{TRole}"/> in <paramref name="services"/>.
/// </summary>
public static class DatabaseSetup
{
    public static async Task<DatabaseSetupReport?> EnsureReadyAsync(IServiceProvider services, CancellationToken cancellationToken = default)
    {
        if (services.GetRequiredService<IOptions<DatabaseOptions>>().Value.MigratesAtStart)
        {
            return await MigrateAndSeedAsync(services, cancellationToken);
        }
        await services.GetRequiredService<IDbContextFactory<CourseDbContext>>().EnsureMigratedAsync(cancellationToken);
        return null;
    }

    public static async Task<DatabaseSetupReport> MigrateAndSeedAsync(IServiceProvider services, CancellationToken cancellationToken = default)
    {
        var databases = services.GetRequiredService<IDbContextFactory<CourseDbContext>>();
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        // The seed inside the same lock as the migrations: two first starts must not create two instructors.
        await using var held = await MigrationLock.AcquireAsync(db, cancellationToken);
        var applied = await DatabaseExtensions.ApplyMigrationsAsync(db, cancellationToken);
        DataProtectionKeyRing.EnsureActiveKey(databases, services.GetService<TimeProvider>() ?? TimeProvider.System);
        await using var scope = services.CreateAsyncScope();
        return new DatabaseSetupReport(applied, await SeedAsync(scope.ServiceProvider, cancellationToken));
    }

    /// <summary>Where the generated instructor's credentials wait until the first sign-in changes the password.</summary>
    public static string InitialInstructorFile(CourseEnvironment course, DataOptions data) =>
        Path.Combine(course.Resolve(data.Path), "initial-instructor.txt");

    private static async Task<string?> SeedAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var roles = services.GetRequiredService<RoleManager<IdentityRole>>();
        foreach (var role in CourseRoles.All)
        {
            if (!await roles.RoleExistsAsync(role))
            {
                Check(await roles.CreateAsync(new IdentityRole(role)));
            }
        }

        var users = services.GetRequiredService<UserManager<CourseUser>>();
        if ((await users.GetUsersInRoleAsync(CourseRoles.Instructor)).Count > 0)
        {
            return null;
        }
        var email = services.GetRequiredService<IOptions<AccountOptions>>().Value.InitialInstructorEmail;
        var password = GeneratePassword();
        var instructor = new CourseUser
        {
            UserName = email, Email = email, EmailConfirmed = true, DisplayName = "Instructor",
            // The password sits in a file on the server until it is changed; the site asks for nothing else first.
            MustChangePassword = true,
        };
        // Hashed here rather than validated: the CLI's Identity has the default password rules, not the site's, and a
        // generated password meets the site's by construction.
        instructor.PasswordHash = users.PasswordHasher.HashPassword(instructor, password);
        Check(await users.CreateAsync(instructor));
        Check(await users.AddToRoleAsync(instructor, CourseRoles.Instructor));

        var file = InitialInstructorFile(services.GetRequiredService<CourseEnvironment>(), services.GetRequiredService<IOptions<DataOptions>>().Value);
        OwnerOnly.CreateFolder(Path.GetDirectoryName(file)!);
        await OwnerOnly.WriteAllTextAsync(file, $"email: {email}\npassword: {password}\n", cancellationToken);
        return file;
    }

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
