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
    /// <param name="attentionBias">(B, 1, 1, T): 0 where attended, a large negative number at padding.</param>
    /// <returns>(B, T, H)</returns>
    public Tensor forward(Tensor hidden, Tensor attentionBias)
    {
        using var scope = NewDisposeScope();
        long batch = hidden.shape[0], length = hidden.shape[1];
        Tensor Heads(Linear projection) =>
            projection.forward(hidden).view(batch, length, _heads, _headDim).transpose(1, 2); // (B, heads, T, D)

        var q = Heads(query);
        var k = Heads(key);
        var v = Heads(value);
        var scores = q.matmul(k.transpose(-1, -2)) / Math.Sqrt(_headDim) + attentionBias; // (B, heads, T, T)
        var probabilities = dropout.forward(scores.softmax(-1));
        var context = probabilities.matmul(v) // (B, heads, T, D)
            .transpose(1, 2).contiguous().view(batch, length, _heads * _headDim); // (B, T, H)
        return context.MoveToOuterDisposeScope();
    }
}
