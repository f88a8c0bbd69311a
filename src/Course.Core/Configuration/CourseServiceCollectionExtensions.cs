using Microsoft.Extensions.DependencyInjection;

namespace Course.Core.Configuration;

public static class CourseServiceCollectionExtensions
{
    /// <summary>
    /// The course root, the clock, and Core's options classes bound from the container's
    /// <see cref="Microsoft.Extensions.Configuration.IConfiguration"/>; every process (site, worker, CLI) starts here.
    /// </summary>
    public static IServiceCollection AddCourseCore(this IServiceCollection services, CourseEnvironment course)
    {
        services.AddSingleton(course);
        services.AddSingleton(TimeProvider.System);
        services.AddOptions<ContentOptions>().BindConfiguration(ContentOptions.Section);
        services.AddOptions<DataOptions>().BindConfiguration(DataOptions.Section);
        services.AddOptions<AccountOptions>().BindConfiguration(AccountOptions.Section);
        return services;
    }
}
