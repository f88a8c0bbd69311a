using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Course.Core.Data;

/// <summary>
/// Where the site's data-protection keys live: the <c>DataProtectionKeys</c> table of the course database, so every
/// web node on that database protects and reads sign-in cookies, antiforgery tokens and reset links with one key ring.
/// </summary>
public static class DataProtectionKeyRing
{
    /// <summary>
    /// The key ring's application name. Without a fixed one, ASP.NET Core isolates applications by their content root,
    /// and two nodes installed in different folders could not read each other's payloads even with the same keys.
    /// </summary>
    public const string ApplicationName = "course-platform";

    public static IDataProtectionBuilder AddCourseDataProtection(this IServiceCollection services) =>
        services.AddDataProtection()
            .SetApplicationName(ApplicationName)
            .PersistKeysToDbContext<CourseDbContext>();

    /// <summary>
    /// Makes the key ring's first key unless an active one exists. The one migrate step calls it under the migration
    /// lock: web nodes starting together on a fresh database would each make a first key of their own
    /// (dotnet/aspnetcore#52678), and a cookie one node wrote would not open on the other until they re-read the ring.
    /// </summary>
    public static void EnsureActiveKey(IDbContextFactory<CourseDbContext> databases, TimeProvider clock)
    {
        using var services = new ServiceCollection()
            .AddLogging()
            .AddSingleton(databases)
            .AddScoped(_ => databases.CreateDbContext())
            .AddCourseDataProtection().Services
            .BuildServiceProvider();
        var keys = services.GetRequiredService<IKeyManager>();
        var now = clock.GetUtcNow();
        if (!keys.GetAllKeys().Any(k => !k.IsRevoked && k.ActivationDate <= now && k.ExpirationDate > now))
        {
            keys.CreateNewKey(now, now + services.GetRequiredService<Microsoft.Extensions.Options.IOptions<KeyManagementOptions>>().Value.NewKeyLifetime);
        }
    }
}
