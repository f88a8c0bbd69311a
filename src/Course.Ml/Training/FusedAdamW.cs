using System.Numerics;
using System.Runtime.InteropServices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Course.Ml.Training;

/// <summary>
/// <c>torch.optim.AdamW</c>'s update (decoupled weight decay, bias-corrected moments, the same order of
/// operations) done in one pass over each parameter's memory. TorchSharp's AdamW issues five tensor operations
/// per parameter, each a full pass over memory with temporaries; on this 2-core machine that was a fifth of a
/// MiniLM training step (docs/benchmarks.md). Work is split into fixed chunks updated in parallel; every element
/// is computed independently, so results do not depend on the thread count. Parameters elsewhere than in CPU
/// float32 memory (a CUDA deployment) go to <c>torch.optim.AdamW</c> with the same settings.
/// </summary>
public sealed class FusedAdamW : IDisposable
{
    private const int Chunk = 1 << 16;
    private readonly Group[] _groups;
    private readonly (int Group, int Start, int End)[] _work;
    private readonly double _beta1;
    private readonly double _beta2;
    private readonly double _eps;
    private readonly AdamW? _fallback;
    private readonly Parameter[] _parameters;
    private double _learningRate;

    /// <param name="groups">Parameters with their weight decay (HF: none on biases and LayerNorm weights).</param>
    public FusedAdamW(IEnumerable<(Parameter Parameter, double WeightDecay)> groups, double learningRate, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
    {
        var list = groups.ToList();
        (_learningRate, _beta1, _beta2, _eps) = (learningRate, beta1, beta2, eps);
        _parameters = list.Select(g => g.Parameter).ToArray();
        if (list.Any(g => g.Parameter.device_type != DeviceType.CPU || g.Parameter.dtype != ScalarType.Float32 || !g.Parameter.is_contiguous()))
        {
            _fallback = optim.AdamW(list.GroupBy(g => g.WeightDecay).Select(d => new AdamW.ParamGroup(d.Select(g => g.Parameter),
                new AdamW.Options { LearningRate = learningRate, weight_decay = d.Key, beta1 = beta1, beta2 = beta2, eps = eps })), learningRate);
            (_groups, _work) = ([], []);
            return;
        }
        _groups = list.Select(g => new Group(g.Parameter, g.WeightDecay, new float[checked((int)g.Parameter.numel())], new float[g.Parameter.numel()])).ToArray();
        _work = _groups.SelectMany((g, i) => Enumerable.Range(0, (g.M.Length + Chunk - 1) / Chunk)
            .Select(c => (i, c * Chunk, Math.Min(g.M.Length, (c + 1) * Chunk)))).ToArray();
    }

    public double LearningRate
    {
        get => _learningRate;
        set
        {
            _learningRate = value;
            foreach (var group in _fallback?.ParamGroups ?? [])
            {
                group.LearningRate = value;
            }
        }
    }

    /// <summary>
    /// One AdamW step. With <paramref name="maxGradNorm"/> &gt; 0 the gradients are first clipped as
    /// <c>torch.nn.utils.clip_grad_norm_</c> does (scaled by <c>max_norm / (total_norm + 1e-6)</c> when that is
    /// below 1), but the scaling happens inside the update instead of in two more passes over every gradient.
    /// </summary>
    /// <returns>The gradients' total L2 norm before clipping (HF logs it as <c>grad_norm</c>); NaN without clipping.</returns>
    public double Step(double maxGradNorm = 0)
    {
        if (_fallback is not null)
        {
            DensifyGradients(_parameters);
            var norm = maxGradNorm > 0
                ? nn.utils.clip_grad_norm_(_parameters, maxGradNorm)
                : double.NaN;
            _fallback.step();
            return norm;
        }
        var (beta1, beta2, eps) = ((float)_beta1, (float)_beta2, (float)_eps);
        var gradients = _groups.Select(StepGradient.Of).ToArray();
        for (var i = 0; i < _groups.Length; i++)
        {
            _groups[i].Steps += gradients[i] is null ? 0 : 1; // as PyTorch: each parameter counts its own steps
        }
        try
        {
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, torch.get_num_threads()) };
            var totalNorm = maxGradNorm > 0 ? TotalNorm(gradients, parallel) : double.NaN;
            var clip = (float)(maxGradNorm > 0 ? Math.Min(1.0, maxGradNorm / (totalNorm + 1e-6)) : 1.0);
            Parallel.For(0, _work.Length, parallel, w =>
            {
                var (index, start, end) = _work[w];
                if (gradients[index] is not { } gradient)
                {
                    return; // no gradient this step (e.g. an unused head): PyTorch skips the parameter too
                }
                var group = _groups[index];
                var decay = (float)(1 - LearningRate * group.WeightDecay);
                var stepSize = (float)(LearningRate / (1 - Math.Pow(_beta1, group.Steps)));
                var correction2Sqrt = (float)Math.Sqrt(1 - Math.Pow(_beta2, group.Steps));
                var weights = MemoryMarshal.Cast<byte, float>(group.Parameter.bytes);
                var values = gradient.Values;
                for (var at = start; at < end;)
                {
                    var segment = gradient.Segment(values, at, end, out var next, out var neverTouched);
                    if (neverTouched)
                    {
                        Decay(weights[at..next], decay); // m = v = 0, so AdamW's update is exactly w·(1 − lr·λ)
                    }
                    else
                    {
                        Update(weights[at..next], segment, group.M.AsSpan(at..next), group.V.AsSpan(at..next), clip, decay, beta1, beta2, stepSize, correction2Sqrt, eps);
                    }
                    at = next;
                }
            });
            // The update wrote the weights' memory directly, past libtorch; mark them written as an in-place
            // step would, so caches keyed by the version (Models/InferenceLinear) see the change.
            for (var i = 0; i < _groups.Length; i++)
            {
                if (gradients[i] is not null)
                {
                    Models.TensorVersion.Bump(_groups[i].Parameter);
                }
            }
            return totalNorm;
        }
        finally
        {
            foreach (var gradient in gradients)
            {
                gradient?.Dispose();
            }
        }
    }

    /// <summary>
    /// Replaces sparse gradients (the word embeddings') by their dense form, for <c>torch.optim.AdamW</c> and
    /// <c>clip_grad_norm_</c>, which take dense gradients only.
    /// </summary>
    public static void DensifyGradients(IEnumerable<Parameter> parameters)
    {
        foreach (var parameter in parameters)
        {
            using var grad = parameter.grad; // each read is a new handle: disposed here, the gradient stays
            if (grad is { is_sparse: true })
            {
                using var dense = grad.to_dense();
                parameter.grad = dense;
            }
        }
    }

    /// <summary>
    /// √Σg² over every gradient: chunk sums in parallel, added in chunk order, so the result does not depend on
    /// the thread count (one read of each gradient, where clip_grad_norm_ reads it once per tensor norm and
    /// twice more to scale it).
    /// </summary>
    private double TotalNorm(StepGradient?[] gradients, ParallelOptions parallel)
    {
        var partial = new double[_work.Length];
        Parallel.For(0, _work.Length, parallel, w =>
        {
            var (index, start, end) = _work[w];
            if (gradients[index] is not { } gradient)
            {
                return;
            }
            var values = gradient.Values;
            for (var at = start; at < end;)
            {
                var segment = gradient.Segment(values, at, end, out var next, out _);
                partial[w] += SumOfSquares(segment);
                at = next;
            }
        });
        return Math.Sqrt(partial.Sum());
    }

    private static double SumOfSquares(ReadOnlySpan<float> values)
    {
        var vectors = MemoryMarshal.Cast<float, Vector<float>>(values);
        var accumulator = Vector<float>.Zero;
        foreach (var vector in vectors)
        {
            accumulator += vector * vector;
        }
        double sum = Vector.Sum(accumulator);
        foreach (var value in values[(vectors.Length * Vector<float>.Count)..])
        {
            sum += value * value;
        }
        return sum;
    }

    /// <summary>
    /// Drops the gradients (PyTorch's <c>zero_grad(set_to_none=True)</c>): the next backward then hands its
    /// gradient buffers over instead of adding them into zeroed ones, two passes over memory fewer per step.
    /// </summary>
    public void ZeroGrad()
    {
        if (_fallback is not null)
        {
            _fallback.zero_grad();
            return;
        }
        foreach (var group in _groups)
        {
            group.Parameter.grad = null;
        }
    }

    private static void Decay(Span<float> w, float decay)
    {
        var vectors = MemoryMarshal.Cast<float, Vector<float>>(w);
        for (var k = 0; k < vectors.Length; k++)
        {
            vectors[k] *= decay;
        }
        for (var i = vectors.Length * Vector<float>.Count; i < w.Length; i++)
        {
            w[i] *= decay;
        }
    }

    /// <summary>g ← c·g (clipping); w ← w·(1 − lr·λ); m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; w ← w − (lr/(1−β₁ᵗ))·m / (√v/√(1−β₂ᵗ) + ε).</summary>
    private static void Update(Span<float> w, ReadOnlySpan<float> g, Span<float> m, Span<float> v, float clip,
        float decay, float beta1, float beta2, float stepSize, float correction2Sqrt, float eps)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vw = MemoryMarshal.Cast<float, Vector<float>>(w);
            var vg = MemoryMarshal.Cast<float, Vector<float>>(g);
            var vm = MemoryMarshal.Cast<float, Vector<float>>(m);
            var vv = MemoryMarshal.Cast<float, Vector<float>>(v);
            for (var k = 0; k < vw.Length; k++)
            {
                var grad = vg[k] * clip;
                var moment = vm[k] * beta1 + grad * (1 - beta1);
                var square = vv[k] * beta2 + grad * grad * (1 - beta2);
                (vm[k], vv[k]) = (moment, square);
                vw[k] = vw[k] * decay - stepSize * moment / (Vector.SquareRoot(square) / correction2Sqrt + new Vector<float>(eps));
            }
            i = vw.Length * Vector<float>.Count;
        }
        for (; i < w.Length; i++)
        {
            var grad = g[i] * clip;
            m[i] = m[i] * beta1 + grad * (1 - beta1);
            v[i] = v[i] * beta2 + grad * grad * (1 - beta2);
            w[i] = w[i] * decay - stepSize * m[i] / (MathF.Sqrt(v[i]) / correction2Sqrt + eps);
        }
    }

    /// <summary>
    /// torch's <c>optimizer.state_dict()</c> state, flat: <c>state.{i}.exp_avg</c>, <c>state.{i}.exp_avg_sq</c> and
    /// <c>state.{i}.step</c> for the i-th parameter (the order given to the constructor), as a checkpoint needs
    /// to resume a run exactly. A parameter that never had a gradient has no entry, as in PyTorch.
    /// </summary>
    public IReadOnlyList<Hub.NamedTensor> StateDict()
    {
        if (_fallback is not null)
        {
            return FallbackStateDict();
        }
        return _groups.SelectMany((g, i) => g.Steps == 0 ? [] : new[]
        {
            new Hub.NamedTensor($"state.{i}.exp_avg", g.Parameter.shape, (float[])g.M.Clone()),
            new Hub.NamedTensor($"state.{i}.exp_avg_sq", g.Parameter.shape, (float[])g.V.Clone()),
            new Hub.NamedTensor($"state.{i}.step", [], [g.Steps]),
        }).ToList();
    }

    /// <summary>Restores what <see cref="StateDict"/> returned for the same parameters; anything else is refused.</summary>
    public void LoadStateDict(IReadOnlyList<Hub.NamedTensor> state)
    {
        var byName = state.ToDictionary(t => t.Name);
        if (_fallback is not null)
        {
            LoadFallbackStateDict(byName);
            return;
        }
        var expected = StateNames(_groups.Length).Where(byName.ContainsKey).Count();
        if (expected != byName.Count)
        {
            throw new InvalidDataException($"The optimizer state has {byName.Count} tensors for {_groups.Length} parameters; it belongs to another model.");
        }
        for (var i = 0; i < _groups.Length; i++)
        {
            var group = _groups[i];
            if (!byName.TryGetValue($"state.{i}.step", out var step))
            {
                group.Steps = 0;
                Array.Clear(group.M);
                Array.Clear(group.V);
                continue;
            }
            var (m, v) = (byName[$"state.{i}.exp_avg"], byName[$"state.{i}.exp_avg_sq"]);
            if (m.Data.Length != group.M.Length || v.Data.Length != group.V.Length)
            {
                throw new InvalidDataException($"state.{i}: {m.Data.Length} values for a parameter of {group.M.Length}; the optimizer state belongs to another model.");
            }
            m.Data.CopyTo(group.M, 0);
            v.Data.CopyTo(group.V, 0);
            group.Steps = checked((int)step.Data[0]);
            group.Touched = group.Parameter.dim() == 2 ? TouchedRows(group) : null;
        }
    }

    /// <summary>
    /// The rows of a sparse-gradient parameter that have had a gradient, recovered from the moments: a row whose
    /// m and v are all zero gets exactly the decay-only update either way (w·(1 − lr·λ) − step·0/(0 + ε)), so
    /// treating it as untouched gives the same numbers as the run that was checkpointed.
    /// </summary>
    private static bool[] TouchedRows(Group group)
    {
        var rows = (int)group.Parameter.shape[0];
        var width = group.M.Length / rows;
        var touched = new bool[rows];
        for (var row = 0; row < rows; row++)
        {
            var span = (row * width)..((row + 1) * width);
            touched[row] = group.M.AsSpan(span).ContainsAnyExcept(0f) || group.V.AsSpan(span).ContainsAnyExcept(0f);
        }
        return touched;
    }

    private static IEnumerable<string> StateNames(int count) =>
        Enumerable.Range(0, count).SelectMany(i => new[] { $"state.{i}.exp_avg", $"state.{i}.exp_avg_sq", $"state.{i}.step" });

    /// <summary>torch.optim.AdamW's own moments (a CUDA or non-float32 deployment), copied to float32 on the CPU.</summary>
    private List<Hub.NamedTensor> FallbackStateDict()
    {
        var list = new List<Hub.NamedTensor>();
        var states = _fallback!.state_dict().State;
        for (var i = 0; i < states.Count; i++)
        {
            if (states[i] is not AdamW.State state || state.step == 0)
            {
                continue;
            }
            list.Add(Flat($"state.{i}.exp_avg", state.exp_avg));
            list.Add(Flat($"state.{i}.exp_avg_sq", state.exp_avg_sq));
            list.Add(new Hub.NamedTensor($"state.{i}.step", [], [state.step]));
        }
        return list;

        static Hub.NamedTensor Flat(string name, Tensor tensor)
        {
            using var cpu = tensor.detach().to(ScalarType.Float32).cpu().contiguous();
            return new Hub.NamedTensor(name, cpu.shape, cpu.data<float>().ToArray());
        }
    }

    private void LoadFallbackStateDict(IReadOnlyDictionary<string, Hub.NamedTensor> byName)
    {
        var states = _fallback!.state_dict().State;
        using var noGrad = no_grad();
        for (var i = 0; i < states.Count; i++)
        {
            if (states[i] is not AdamW.State state || !byName.TryGetValue($"state.{i}.step", out var step))
            {
                continue;
            }
            state.step = (long)step.Data[0];
            foreach (var (name, target) in new[] { ("exp_avg", state.exp_avg), ("exp_avg_sq", state.exp_avg_sq) })
            {
                var saved = byName[$"state.{i}.{name}"];
                using var source = tensor(saved.Data, saved.Shape);
                target.copy_(source);
            }
        }
    }

    /// <summary>
    /// torch.optim.AdamW's moment tensors, which it makes beside their parameters (where they are: a GPU run's
    /// state is on the GPU); none on the fused path, whose moments are arrays in host memory, the CPU's.
    /// </summary>
    internal IEnumerable<Tensor> StateTensors() => _fallback is null ? []
        : _fallback.state_dict().State.OfType<AdamW.State>().Where(s => s.exp_avg is not null).SelectMany(s => new[] { s.exp_avg, s.exp_avg_sq });

    public void Dispose() => _fallback?.Dispose();

    /// <summary>
    /// A parameter's gradient for one step, read as flat memory: dense (a contiguous copy when needed), or an
    /// embedding's sparse gradient summed into the rows it touches, the other rows reading as zeros: the update
    /// is the same as with the dense gradient, without allocating, zero-filling and reading (vocab, hidden).
    /// </summary>
    private sealed class StepGradient : IDisposable
    {
        private readonly Tensor? _dense;
        private readonly float[]? _rows; // sparse: the touched rows' summed gradients, one after another
        private readonly int[]? _slotOfRow; // sparse: row → its place in _rows, or −1
        private readonly bool[]? _touched; // sparse: rows that ever had a gradient (the others have m = v = 0)
        private readonly float[]? _zeros;
        private readonly int _width;

        private StepGradient(Tensor dense) => _dense = dense;

        private StepGradient(float[] rows, int[] slotOfRow, bool[] touched, int width) =>
            (_rows, _slotOfRow, _touched, _width, _zeros) = (rows, slotOfRow, touched, width, new float[width]);

        /// <summary>The gradient of the group's parameter, or null when it has none this step.</summary>
        public static StepGradient? Of(Group group)
        {
            var parameter = group.Parameter;
            var grad = parameter.grad;
            if (grad is null)
            {
                return null;
            }
            if (!grad.is_sparse)
            {
                var contiguous = grad.contiguous();
                if (!ReferenceEquals(contiguous, grad))
                {
                    grad.Dispose();
                }
                return new StepGradient(contiguous);
            }
            // TorchSharp has no coalesce(): the indices may repeat (one entry per token), so sum them here.
            using (grad)
            using (var indices = grad.SparseIndices)
            using (var stored = grad.SparseValues)
            using (var values = stored.contiguous())
            {
                var width = checked((int)(parameter.numel() / parameter.shape[0]));
                var slotOfRow = new int[parameter.shape[0]];
                Array.Fill(slotOfRow, -1);
                group.Touched ??= new bool[parameter.shape[0]];
                var rows = indices.data<long>().ToArray();
                var summed = new float[rows.Distinct().Count() * width];
                var source = MemoryMarshal.Cast<byte, float>(values.bytes);
                var used = 0;
                for (var k = 0; k < rows.Length; k++)
                {
                    ref var slot = ref slotOfRow[rows[k]];
                    if (slot < 0)
                    {
                        slot = used++;
                        group.Touched[rows[k]] = true;
                    }
                    var target = summed.AsSpan(slot * width, width);
                    AddInto(target, source.Slice(k * width, width));
                }
                return new StepGradient(summed, slotOfRow, group.Touched, width);
            }
        }

        private static void AddInto(Span<float> target, ReadOnlySpan<float> addend)
        {
            for (var i = 0; i < target.Length; i++)
            {
                target[i] += addend[i];
            }
        }

        /// <summary>Dense: the gradient's memory (read once per work item: each read crosses into libtorch).</summary>
        public ReadOnlySpan<float> Values => _dense is null ? _rows : MemoryMarshal.Cast<byte, float>(_dense.bytes);

        /// <summary>
        /// The gradient of elements [at, <paramref name="next"/>): all of [at, end) when dense, else up to the row's
        /// end; <paramref name="neverTouched"/> when that row has never had a gradient.
        /// </summary>
        public ReadOnlySpan<float> Segment(ReadOnlySpan<float> values, int at, int end, out int next, out bool neverTouched)
        {
            if (_slotOfRow is null)
            {
                (next, neverTouched) = (end, false);
                return values[at..end];
            }
            var row = at / _width;
            next = Math.Min(end, (row + 1) * _width);
            neverTouched = !_touched![row];
            var slot = _slotOfRow[row];
            return slot < 0 ? _zeros!.AsSpan(0, next - at) : values.Slice(slot * _width + at - row * _width, next - at);
        }

        public void Dispose() => _dense?.Dispose();
    }

    private sealed record Group(Parameter Parameter, double WeightDecay, float[] M, float[] V)
    {
        public int Steps { get; set; }

        /// <summary>Sparse gradients only: the rows that have had one.</summary>
        public bool[]? Touched { get; set; }
    }
}
