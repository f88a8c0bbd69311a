using Microsoft.Extensions.DependencyInjection;

namespace Course.Ml;

public static class MlServiceCollectionExtensions
{
    /// <summary>The <c>Ml</c> section bound to <see cref="MlOptions"/> from the container's configuration.</summary>
    public static IServiceCollection AddCourseMl(this IServiceCollection services)
    {
        services.AddOptions<MlOptions>().BindConfiguration(MlOptions.Section);
        return services;
    }
}
