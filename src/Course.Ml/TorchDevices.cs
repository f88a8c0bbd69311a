using TorchSharp;

namespace Course.Ml;

/// <summary>
/// The <c>Ml:Device</c> setting as a TorchSharp device, and where a model's tensors are. A process resolves the
/// setting once (<see cref="MlServiceCollectionExtensions.AddCourseMl"/> registers the result) and every model,
/// batch and optimizer state it makes lives there.
/// </summary>
public static class TorchDevices
{
    public const string Setting = $"{MlOptions.Section}:{nameof(MlOptions.Device)}";

    /// <summary>
    /// <c>auto</c> (the first GPU when this build of TorchSharp has CUDA, else the CPU), <c>cpu</c>, <c>cuda</c>
    /// (the first GPU) or <c>cuda:N</c>. CUDA is only there in a build made with <c>-p:TorchDevice=cuda</c> (README,
    /// "GPU (CUDA) builds"); asking for it elsewhere is an error rather than a silent fall-back to the CPU, so a
    /// misconfigured GPU server is noticed before it grades anything.
    /// </summary>
    /// <exception cref="InvalidOperationException">The setting is none of those, or names a GPU this process cannot use.</exception>
    public static torch.Device Resolve(string? setting)
    {
        var value = setting?.Trim().ToLowerInvariant() ?? "";
        if (value is "auto")
        {
            return torch.cuda.is_available() ? torch.device(DeviceType.CUDA, 0) : torch.CPU;
        }
        if (value is "cpu")
        {
            return torch.CPU;
        }
        if (value is "cuda")
        {
            return Cuda(0, setting!);
        }
        if (value.StartsWith("cuda:", StringComparison.Ordinal) && value[5..] is { Length: > 0 } digits && digits.All(char.IsAsciiDigit)
            && int.TryParse(digits, out var index))
        {
            return Cuda(index, setting!);
        }
        throw new InvalidOperationException($"{Setting} is '{setting}'; it must be auto, cpu, cuda or cuda:N (N a GPU index from 0).");
    }

    /// <summary>How a receipt and the logs name a device: <c>cpu</c>, <c>cuda:0</c>.</summary>
    public static string Name(torch.Device device) =>
        device.type == DeviceType.CPU ? "cpu" : $"{device.type.ToString().ToLowerInvariant()}:{Math.Max(0, device.index)}";

    /// <summary>Where a model's parameters are (all of them, as <c>Module.to</c> puts them); the CPU for a model without any.</summary>
    public static torch.Device Of(torch.nn.Module model) => model.parameters().FirstOrDefault()?.device ?? torch.CPU;

    /// <summary>Whether <paramref name="tensor"/> is on <paramref name="device"/>: the same type and, for a GPU, the same index.</summary>
    public static bool IsOn(torch.Tensor tensor, torch.Device device) =>
        tensor.device_type == device.type && (device.type == DeviceType.CPU || tensor.device_index == Math.Max(0, device.index));

    private static torch.Device Cuda(int index, string setting)
    {
        if (!torch.cuda.is_available())
        {
            throw new InvalidOperationException(
                $"{Setting} is '{setting}' but this build of TorchSharp has no CUDA (or no GPU is visible): build with -p:TorchDevice=cuda on a machine with an NVIDIA driver (README, \"GPU (CUDA) builds\"), or set {Setting} to auto or cpu.");
        }
        var count = torch.cuda.device_count();
        if (index >= count)
        {
            throw new InvalidOperationException($"{Setting} is '{setting}' but this machine has {count} GPU(s): use cuda:0{(count > 1 ? $" to cuda:{count - 1}" : "")}.");
        }
        return torch.device(DeviceType.CUDA, index);
    }
}
