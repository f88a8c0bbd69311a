using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Course.Ml.Models.Bert;

/// <summary>Multi-head scaled dot-product self-attention (HF <c>BertSelfAttention</c>).</summary>
public sealed class BertSelfAttention : nn.Module, IHasInferenceWeights
{
    private readonly Linear query;
    private readonly Linear key;
    private readonly Linear value;
    private readonly FastDropout dropout;
    private readonly int _heads;
    private readonly int _headDim;

    // Inference only: query, key and value stacked into one (H, 3H) projection, one GEMM instead of three.
    private readonly InferenceLinear _stacked;

    public BertSelfAttention(BertConfig config) : base(nameof(BertSelfAttention))
    {
        _heads = config.NumAttentionHeads;
        _headDim = config.HeadDim;
        query = nn.Linear(config.HiddenSize, config.HiddenSize);
        key = nn.Linear(config.HiddenSize, config.HiddenSize);
        value = nn.Linear(config.HiddenSize, config.HiddenSize);
        dropout = new FastDropout(config.AttentionProbsDropoutProb);
        _stacked = new InferenceLinear(() => (
            cat([query.weight!, key.weight!, value.weight!], 0),
            cat([query.bias!, key.bias!, value.bias!], 0)));
        RegisterComponents();
    }

    /// <param name="hidden">(B, T, H)</param>
    /// <param name="attentionBias">(B, 1, 1, T): 0 where attended, a large negative number at padding; null without padding.</param>
    /// <param name="unpadded">Training on real tokens only: <paramref name="hidden"/> is (N, H), and only the
    /// attention itself sees the padded layout.</param>
    /// <returns>(B, T, H), or (N, H) with <paramref name="unpadded"/>.</returns>
    public Tensor forward(Tensor hidden, Tensor? attentionBias, UnpaddedBatch? unpadded = null)
    {
        using var scope = NewDisposeScope();
        var (batch, length) = unpadded is null ? (hidden.shape[0], hidden.shape[1]) : (unpadded.Batch, unpadded.Length);
        if (!training && !Autocast.IsEnabled)
        {
            // One GEMM for Q, K and V, then libtorch's fused attention kernel (scale, mask, softmax and the
            // weighted sum in one pass, no (B, heads, T, T) tensor).
            var qkv = _stacked.Forward(hidden) // (B, T, 3H)
                .view(batch, length, 3, _heads, _headDim).permute(2, 0, 3, 1, 4) // (3, B, heads, T, D)
                .unbind(0);
            return nn.functional.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], attentionBias) // (B, heads, T, D)
                .transpose(1, 2).reshape(batch, length, _heads * _headDim) // (B, T, H)
                .MoveToOuterDisposeScope();
        }
        _stacked.Invalidate();
        Tensor Heads(Linear projection)
        {
            var projected = Autocast.Linear(projection, hidden);
            return (unpadded?.Pad(projected) ?? projected).view(batch, length, _heads, _headDim).transpose(1, 2); // (B, heads, T, D)
        }
        var scores = Autocast.Matmul(Heads(query), Heads(key).transpose(-1, -2)) / Math.Sqrt(_headDim); // (B, heads, T, T)
        if (attentionBias is not null)
        {
            scores = scores + attentionBias;
        }
        var probabilities = scores.softmax(-1);
        if (training)
        {
            probabilities = dropout.forward(probabilities);
        }
        var context = Autocast.Matmul(probabilities, Heads(value)) // (B, heads, T, D)
            .transpose(1, 2).reshape(batch, length, _heads * _headDim); // (B, T, H)
        return (unpadded?.Unpad(context) ?? context).MoveToOuterDisposeScope();
    }

    public void InvalidateInferenceWeights() => _stacked.Invalidate();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _stacked.Dispose();
        }
        base.Dispose(disposing);
    }
}
