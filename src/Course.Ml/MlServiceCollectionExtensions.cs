using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using TorchSharp;

namespace Course.Ml;

public static class MlServiceCollectionExtensions
{
    /// <summary>
    /// The <c>Ml</c> section bound to <see cref="MlOptions"/> from the container's configuration, and the device it
    /// names, resolved once per process on first use (the site and the worker ask for it at start,
    /// so a bad setting stops them there); resolving throws <see cref="InvalidOperationException"/> with what to fix.
    /// </summary>
    public static IServiceCollection AddCourseMl(this IServiceCollection services)
    {
        services.AddOptions<MlOptions>().BindConfiguration(MlOptions.Section);
        services.AddSingleton(provider => TorchDevices.Resolve(provider.GetRequiredService<IOptions<MlOptions>>().Value.Device));
        return services;
    }
}
