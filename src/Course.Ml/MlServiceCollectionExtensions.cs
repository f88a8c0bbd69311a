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
    /// Resolving also settles how oneMKL picks its kernels (<see cref="MklCpuDispatch"/>): no model runs before the
    /// device is known, so this comes before the process's first GEMM.
    /// </summary>
    public static IServiceCollection AddCourseMl(this IServiceCollection services)
    {
        services.AddOptions<MlOptions>().BindConfiguration(MlOptions.Section);
        services.AddSingleton(provider =>
        {
            var options = provider.GetRequiredService<IOptions<MlOptions>>().Value;
            MklCpuDispatch.Apply(options.MklKernelsByCpuFeatures);
            return TorchDevices.Resolve(options.Device);
        });
        return services;
    }
}
