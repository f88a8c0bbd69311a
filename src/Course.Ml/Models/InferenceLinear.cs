using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Course.Ml.Models;

/// <summary>
/// An inference-only copy of one or more linear projections (stacked along their outputs), stored transposed as
/// a contiguous (in, out) matrix. libtorch's <c>linear</c> multiplies by the (out, in) weight through a transposed
/// view; at the small row counts of one request (32 tokens) the same GEMM on a pre-transposed matrix runs
/// 1.3–2.1× faster on this CPU (docs/benchmarks.md). The copy is never registered (state dicts keep HF's names)
/// and is keyed by the source parameters it was built from and their <see cref="TensorVersion"/>s: any write to a
/// weight or bias (a load, an optimizer step, a <c>copy_</c>), or a parameter replaced by another tensor, makes the
/// next use rebuild it, so it cannot go stale and nothing has to invalidate it.
/// </summary>
public sealed class InferenceLinear : IDisposable
{
    private readonly Linear[] _layers;
    private readonly Lock _building = new();
    private Source[] _builtFrom = [];
    private Tensor? _weightT;
    private Tensor? _bias;

    /// <param name="layers">Projections of the same input, concatenated along the output dimension in this order.</param>
    public InferenceLinear(params Linear[] layers) => _layers = layers;

    /// <summary>y = x·Wᵀ + b over the last dimension of <paramref name="input"/>, with the cached transposed weight.</summary>
    public Tensor Forward(Tensor input)
    {
        Tensor weightT;
        Tensor? bias;
        lock (_building)
        {
            // Aliases share the copy's memory and keep it alive if another thread rebuilds it meanwhile.
            var current = Current();
            (weightT, bias) = (current.WeightT.alias(), current.Bias?.alias());
        }
        using (weightT)
        using (bias)
        {
            var shape = input.shape;
            using var rows = input.reshape(-1, shape[^1]);
            using var product = bias is null ? rows.mm(weightT) : addmm(bias, rows, weightT, 1, 1);
            shape[^1] = weightT.shape[1];
            return product.view(shape);
        }
    }

    /// <summary>
    /// For the copy of one layer: the cached path in inference without autograd (<c>no_grad</c>,
    /// <c>inference_mode</c>); otherwise the layer's own linear, which autograd records (gradients in eval mode
    /// too) and autocast casts. Training releases the copy: the weights are about to change, and a kept copy would
    /// only cost memory.
    /// </summary>
    public Tensor Forward(Tensor input, bool training)
    {
        if (training)
        {
            Release();
        }
        return UsesCopy(training) ? Forward(input) : Autocast.Linear(_layers.Single(), input);
    }

    /// <summary>Whether a module in this <paramref name="training"/> mode multiplies by the copy right now.</summary>
    public static bool UsesCopy(bool training) => !training && !Autocast.IsEnabled && !is_grad_enabled();

    /// <summary>Frees the copy (memory only: a copy that is kept is still rebuilt after any write).</summary>
    public void Release()
    {
        lock (_building)
        {
            _weightT?.Dispose();
            _bias?.Dispose();
            (_weightT, _bias, _builtFrom) = (null, null, []);
        }
    }

    public void Dispose() => Release();

    private (Tensor WeightT, Tensor? Bias) Current()
    {
        var sources = Sources();
        if (_weightT is not null && sources.Length == _builtFrom.Length && sources.Zip(_builtFrom).All(s => s.First.SameAs(s.Second)))
        {
            return (_weightT, _bias);
        }
        Release();
        // Own scope: the caller's forward scope must not collect the cache; the temporaries die here.
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        using var weight = cat(_layers.Select(l => l.weight!.detach()).ToArray(), 0); // (out, in)
        _weightT = weight.t().contiguous().DetachFromDisposeScope(); // (in, out)
        _bias = _layers.All(l => l.bias is not null) ? cat(_layers.Select(l => l.bias!.detach()).ToArray(), 0).DetachFromDisposeScope() : null;
        _builtFrom = sources;
        return (_weightT, _bias);
    }

    private Source[] Sources() =>
        _layers.SelectMany(l => l.bias is null ? new[] { l.weight! } : [l.weight!, l.bias]).Select(Source.Of).ToArray();

    /// <summary>A parameter as the copy saw it: which tensor (object and native handle) and its version.</summary>
    private readonly record struct Source(Tensor Tensor, IntPtr Handle, long Version)
    {
        public static Source Of(Tensor tensor) => new(tensor, tensor.Handle, TensorVersion.Of(tensor));

        public bool SameAs(Source built) =>
            ReferenceEquals(Tensor, built.Tensor) && Handle == built.Handle && Version == built.Version;
    }
}
