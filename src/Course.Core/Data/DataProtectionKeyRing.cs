using Microsoft.AspNetCore.DataProtection;
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
}
