using Course.Ml;
using TorchSharp;

namespace Course.Web.Extensions;

/// <summary>
/// Resolves <c>Ml:Device</c> as the site starts (the playgrounds' pipelines run in this process): a bad setting,
/// or <c>cuda</c> on a build or machine without CUDA, stops the start with its message instead of failing the
/// first playground request. The grading workers and the demo build get the same setting and check it themselves.
/// </summary>
public sealed class TorchDeviceCheck(torch.Device device, ILogger<TorchDeviceCheck> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        logger.LogInformation("Models run on {Device} ({Setting}); {Mkl}", TorchDevices.Name(device), TorchDevices.Setting, MklCpuDispatch.Applied?.Reason);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
