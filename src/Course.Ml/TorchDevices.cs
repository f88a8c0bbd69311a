using TorchSharp;

namespace Course.Ml;

/// <summary>Turns the <c>Ml:Device</c> setting into a TorchSharp device.</summary>
public static class TorchDevices
{
    /// <summary>
    /// CUDA is only available where the deployer references a CUDA build of TorchSharp
    /// (e.g. TorchSharp-cuda-linux) instead of TorchSharp-cpu; asking for it elsewhere is an error
    /// rather than a silent fall-back, so a misconfigured GPU server is noticed.
    /// </summary>
    public static torch.Device Resolve(string setting) => setting.Trim().ToLowerInvariant() switch
    {
        "auto" => torch.cuda.is_available() ? torch.CUDA : torch.CPU,
        "cpu" => torch.CPU,
        "cuda" when torch.cuda.is_available() => torch.CUDA,
        "cuda" => throw new InvalidOperationException(
            "Ml:Device is 'cuda' but this build of TorchSharp has no CUDA: reference a CUDA TorchSharp package or set Ml:Device to 'auto' or 'cpu'."),
        _ => throw new ArgumentException($"Ml:Device must be 'auto', 'cpu' or 'cuda', not '{setting}'."),
    };
}
