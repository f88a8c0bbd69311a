using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Course.Ml.Models;

/// <summary>
/// An inference-only copy of a linear projection's weight, stored transposed as a contiguous (in, out) matrix.
/// libtorch's <c>linear</c> multiplies by the (out, in) weight through a transposed view; at the small row
/// counts of one request (32 tokens) the same GEMM on a pre-transposed matrix runs 1.3–2.1× faster on this CPU
/// (docs/benchmarks.md). Built on first use from the live weights, never registered (state dicts keep HF's
/// names), and dropped whenever the weights may change: a training-mode forward, a weight load, a restore.
/// </summary>
public sealed class InferenceLinear : IDisposable
{
    private readonly Func<(Tensor Weight, Tensor? Bias)> _weights;
    private readonly Lock _building = new();
    private Tensor? _weightT;
    private Tensor? _bias;

    /// <param name="weights">Returns a fresh (out, in) weight and optional bias (detached views or new tensors); disposed after copying.</param>
    public InferenceLinear(Func<(Tensor Weight, Tensor? Bias)> weights) => _weights = weights;

    /// <summary>y = x·Wᵀ + b over the last dimension of <paramref name="input"/>, with the cached transposed weight.</summary>
    public Tensor Forward(Tensor input)
    {
        var (weightT, bias) = Ensure();
        var shape = input.shape;
        using var rows = input.reshape(-1, shape[^1]);
        using var product = bias is null ? rows.mm(weightT) : addmm(bias, rows, weightT, 1, 1);
        shape[^1] = weightT.shape[1];
        return product.view(shape);
    }

    /// <summary>For a plain layer: the cached path in inference; in training or under autocast the layer's own
    /// linear (recorded by autograd, cast by autocast) and the cache dropped, as the weights are about to change.</summary>
    public Tensor Forward(Linear layer, Tensor input, bool training)
    {
        if (training || Autocast.IsEnabled)
        {
            Invalidate();
            return Autocast.Linear(layer, input);
        }
        return Forward(input);
    }

    /// <summary>A cache of <paramref name="layer"/>'s own weight and bias.</summary>
    public static InferenceLinear Of(Linear layer) => new(() => (layer.weight!.detach(), layer.bias?.detach()));

    public void Invalidate()
    {
        lock (_building)
        {
            _weightT?.Dispose();
            _bias?.Dispose();
            (_weightT, _bias) = (null, null);
        }
    }

    public void Dispose() => Invalidate();

    private (Tensor WeightT, Tensor? Bias) Ensure()
    {
        lock (_building)
        {
            if (_weightT is null)
            {
                // Own scope: the caller's forward scope must not collect the cache; the temporaries die here.
                using var noGrad = no_grad();
                using var scope = NewDisposeScope();
                var (weight, bias) = _weights();
                _weightT = weight.t().contiguous().DetachFromDisposeScope();
                _bias = bias?.clone().DetachFromDisposeScope();
            }
            return (_weightT, _bias);
        }
    }

    /// <summary>Drops every cached inference weight in <paramref name="model"/> (after its weights were written).</summary>
    public static void InvalidateAll(nn.Module model)
    {
        foreach (var module in model.modules().OfType<IHasInferenceWeights>())
        {
            module.InvalidateInferenceWeights();
        }
    }
}

/// <summary>A module that keeps <see cref="InferenceLinear"/> copies of its weights.</summary>
public interface IHasInferenceWeights
{
    void InvalidateInferenceWeights();
}
