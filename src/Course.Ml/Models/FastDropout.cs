using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Course.Ml.Models;

/// <summary>
/// Inverted dropout (HF's <c>nn.Dropout</c>: zero each element with probability p, scale the rest by 1/(1−p))
/// with the mask drawn here instead of by libtorch. libtorch's CPU dropout draws from one serial mt19937
/// generator at ~11 ns per element, which made dropout about a sixth of a BERT training step on this machine
/// (docs/benchmarks.md); a counter-based hash (SplitMix64) fills the mask in parallel chunks at a fraction of
/// that. One draw from torch's generator seeds each mask, so <c>manual_seed</c> still fixes every mask, and the
/// mask depends on neither the thread count nor the chunking. Autograd sees <c>input * mask</c>, whose
/// backward is <c>grad * mask</c>, exactly dropout's. No parameters, so state dicts are unchanged.
/// </summary>
public sealed class FastDropout : nn.Module<Tensor, Tensor>
{
    private const int Chunk = 1 << 16;
    private const ulong Golden = 0x9E3779B97F4A7C15UL;
    private readonly double _p;

    public FastDropout(double p) : base("Dropout")
    {
        if (p is < 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, "dropout probability must be in [0, 1).");
        }
        _p = p;
    }

    public override Tensor forward(Tensor input)
    {
        if (!training || _p == 0)
        {
            return input.alias();
        }
        if (input.device_type != DeviceType.CPU || input.dtype != ScalarType.Float32)
        {
            return nn.functional.dropout(input, _p, training: true); // GPU generators are fast; keep libtorch's
        }
        using var mask = Mask(input.shape, _p);
        return input * mask;
    }

    /// <summary>A float mask of <paramref name="shape"/>: 0 with probability <paramref name="p"/>, else 1/(1−p).</summary>
    public static Tensor Mask(long[] shape, double p)
    {
        var mask = empty(shape, ScalarType.Float32);
        var count = mask.numel();
        ulong seed;
        using (var draw = randint(long.MaxValue, [1], ScalarType.Int64))
        {
            seed = (ulong)draw.item<long>();
        }
        var threshold = (uint)Math.Min(uint.MaxValue, p * 4294967296.0);
        var kept = (float)(1 / (1 - p));
        var chunks = (int)((count + Chunk - 1) / Chunk);
        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, torch.get_num_threads()) }, chunk =>
        {
            var values = MemoryMarshal.Cast<byte, float>(mask.bytes);
            var (start, end) = (chunk * Chunk, (int)Math.Min(count, (long)(chunk + 1) * Chunk));
            for (var i = start; i < end; i += 2)
            {
                var bits = Mix(seed + (ulong)i * Golden); // element i: the low 32 bits; element i + 1: the high
                values[i] = (uint)bits < threshold ? 0f : kept;
                if (i + 1 < end)
                {
                    values[i + 1] = (uint)(bits >> 32) < threshold ? 0f : kept;
                }
            }
        });
        return mask;
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
