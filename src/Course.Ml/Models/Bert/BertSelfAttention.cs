using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Course.Ml.Models.Bert;

/// <summary>Multi-head scaled dot-product self-attention (HF <c>BertSelfAttention</c>).</summary>
public sealed class BertSelfAttention : nn.Module
{
    private readonly Linear query;
    private readonly Linear key;
    private readonly Linear value;
    private readonly Dropout dropout;
    private readonly int _heads;
    private readonly int _headDim;

    // Inference only: query (pre-scaled by 1/sqrt(head_dim)), key and value weights stacked into one (3H, H)
    // projection: one GEMM and no division instead of three GEMMs and a division (at batch 1 the per-operation
    // overhead dominates). Not registered, so state dicts keep HF's names; rebuilt from the live weights after
    // any training step or weight load.
    private Tensor? _fusedWeight;
    private Tensor? _fusedBias;
    private readonly Lock _fusing = new();

    public BertSelfAttention(BertConfig config) : base(nameof(BertSelfAttention))
    {
        _heads = config.NumAttentionHeads;
        _headDim = config.HeadDim;
        query = nn.Linear(config.HiddenSize, config.HiddenSize);
        key = nn.Linear(config.HiddenSize, config.HiddenSize);
        value = nn.Linear(config.HiddenSize, config.HiddenSize);
        dropout = nn.Dropout(config.AttentionProbsDropoutProb);
        RegisterComponents();
    }

    /// <param name="hidden">(B, T, H)</param>
    /// <param name="attentionBias">(B, 1, 1, T): 0 where attended, a large negative number at padding; null without padding.</param>
    /// <returns>(B, T, H)</returns>
    public Tensor forward(Tensor hidden, Tensor? attentionBias)
    {
        using var scope = NewDisposeScope();
        long batch = hidden.shape[0], length = hidden.shape[1];
        Tensor scores, v;
        if (training)
        {
            InvalidateFusedProjection();
            Tensor Heads(Linear projection) =>
                Autocast.Linear(projection, hidden).view(batch, length, _heads, _headDim).transpose(1, 2); // (B, heads, T, D)
            v = Heads(value);
            scores = Autocast.Matmul(Heads(query), Heads(key).transpose(-1, -2)) / Math.Sqrt(_headDim); // (B, heads, T, T)
        }
        else
        {
            // One GEMM for Q, K and V; the 1/sqrt(head_dim) scale is already folded into the query rows.
            EnsureFusedProjection();
            var qkv = Autocast.Linear(hidden, _fusedWeight!, _fusedBias) // (B, T, 3H)
                .view(batch, length, 3, _heads, _headDim).permute(2, 0, 3, 1, 4) // (3, B, heads, T, D)
                .unbind(0);
            v = qkv[2];
            scores = Autocast.Matmul(qkv[0], qkv[1].transpose(-1, -2)); // (B, heads, T, T)
        }
        if (attentionBias is not null)
        {
            scores = scores + attentionBias;
        }
        var probabilities = scores.softmax(-1);
        if (training)
        {
            probabilities = dropout.forward(probabilities);
        }
        var context = Autocast.Matmul(probabilities, v) // (B, heads, T, D)
            .transpose(1, 2).reshape(batch, length, _heads * _headDim); // (B, T, H)
        return context.MoveToOuterDisposeScope();
    }

    /// <summary>Drops the stacked inference projection; the next eval forward rebuilds it from the weights.</summary>
    public void InvalidateFusedProjection()
    {
        lock (_fusing)
        {
            _fusedWeight?.Dispose();
            _fusedBias?.Dispose();
            (_fusedWeight, _fusedBias) = (null, null);
        }
    }

    private void EnsureFusedProjection()
    {
        lock (_fusing)
        {
            if (_fusedWeight is not null)
            {
                return;
            }
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var scale = 1.0 / Math.Sqrt(_headDim);
            _fusedBias = cat([query.bias! * scale, key.bias!, value.bias!], 0).DetachFromDisposeScope();
            _fusedWeight = cat([query.weight! * scale, key.weight!, value.weight!], 0).DetachFromDisposeScope();
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            InvalidateFusedProjection();
        }
        base.Dispose(disposing);
    }
}
