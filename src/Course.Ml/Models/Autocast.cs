using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Course.Ml.Models;

/// <summary>
/// Mixed precision the way <c>torch.autocast("cpu", dtype=torch.bfloat16)</c> does it, which TorchSharp 0.107
/// lacks: inside <see cref="Enable"/>, linear layers and attention matmuls cast their fp32 inputs and weights
/// to bf16 (AVX512-BF16 runs those GEMMs ~2.5× faster) and return fp32, so softmax, LayerNorm, the loss and
/// the optimizer's master weights stay fp32. Autograd records the casts, so gradients reach the fp32
/// weights. The switch is per thread, like a dispose scope: forward and backward run on the step's thread.
/// </summary>
public static class Autocast
{
    [ThreadStatic] private static ScalarType? _dtype;

    public static bool IsEnabled => _dtype is not null;

    /// <summary>Enables casting on this thread until the returned scope is disposed (nested scopes restore the outer one).</summary>
    public static IDisposable Enable(ScalarType dtype = ScalarType.BFloat16) => new Scope(dtype);

    public static Tensor Linear(Linear layer, Tensor input) => Linear(input, layer.weight!, layer.bias);

    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias)
    {
        if (_dtype is not { } dtype || input.dtype != ScalarType.Float32)
        {
            return nn.functional.linear(input, weight, bias);
        }
        using var x = input.to(dtype);
        using var w = weight.to(dtype);
        using var b = bias?.to(dtype);
        using var y = nn.functional.linear(x, w, b);
        return y.to(ScalarType.Float32);
    }

    public static Tensor Matmul(Tensor a, Tensor b)
    {
        if (_dtype is not { } dtype || a.dtype != ScalarType.Float32)
        {
            return a.matmul(b);
        }
        using var x = a.to(dtype);
        using var y = b.to(dtype);
        using var product = x.matmul(y);
        return product.to(ScalarType.Float32);
    }

    private sealed class Scope : IDisposable
    {
        private readonly ScalarType? _previous = _dtype;

        public Scope(ScalarType dtype) => _dtype = dtype;

        public void Dispose() => _dtype = _previous;
    }
}
