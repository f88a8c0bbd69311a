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
        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.Section).ValidateOnStart();
        services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<StorageOptions>, StorageOptions.Validation>();
        services.AddOptions<ContentOptions>().BindConfiguration(ContentOptions.Section)
            .InSharedStorage($"{ContentOptions.Section}:{nameof(ContentOptions.Path)}", StorageOptions.ContentFolder, (content, path) => content.Path = path);
        services.AddOptions<DataOptions>().BindConfiguration(DataOptions.Section);
        services.AddOptions<AccountOptions>().BindConfiguration(AccountOptions.Section);
        return services;
    }
}
