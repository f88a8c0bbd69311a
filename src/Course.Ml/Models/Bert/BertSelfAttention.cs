using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Course.Ml.Models.Bert;

/// <summary>
/// Multi-head scaled dot-product self-attention written out step by step (HF <c>BertSelfAttention</c>,
/// <c>attn_implementation: "eager"</c>). <see cref="BertSdpaSelfAttention"/> computes the same with fused kernels;
/// <see cref="BertAttention"/> picks one from the configuration, as HF's <c>BERT_SELF_ATTENTION_CLASSES</c> does.
/// </summary>
public class BertSelfAttention : nn.Module
{
    // Protected, not private: TorchSharp registers the fields it can see on the runtime type, and a subclass
    // sees its base's protected fields only. The names are HF's state-dict keys.
    protected readonly Linear query;
    protected readonly Linear key;
    protected readonly Linear value;
    protected readonly FastDropout dropout;
    protected readonly int NumAttentionHeads;
    protected readonly int AttentionHeadSize;

    public BertSelfAttention(BertConfig config) : base(nameof(BertSelfAttention))
    {
        NumAttentionHeads = config.NumAttentionHeads;
        AttentionHeadSize = config.HeadDim;
        query = nn.Linear(config.HiddenSize, config.HiddenSize);
        key = nn.Linear(config.HiddenSize, config.HiddenSize);
        value = nn.Linear(config.HiddenSize, config.HiddenSize);
        dropout = new FastDropout(config.AttentionProbsDropoutProb);
        RegisterComponents();
    }

    /// <param name="hidden">(B, T, H)</param>
    /// <param name="attentionMask">(B, 1, 1, T), additive: 0 where attended, a large negative number at padding; null without padding.</param>
    /// <param name="unpadded">Training on real tokens only (<paramref name="hidden"/> is then (N, H)); only
    /// <see cref="BertSdpaSelfAttention"/> takes it, and <see cref="BertModel"/> unpads only for that one.</param>
    /// <param name="attentions">HF's <c>output_attentions</c>: when given, this layer's attention probabilities,
    /// (B, heads, T, T), are appended to it (moved out of this call's dispose scope).</param>
    /// <returns>(B, T, H)</returns>
    public virtual Tensor forward(Tensor hidden, Tensor? attentionMask, UnpaddedBatch? unpadded = null, IList<Tensor>? attentions = null)
    {
        if (unpadded is not null)
        {
            throw new NotSupportedException("Eager attention works on the padded (B, T) layout; padding-free training uses attn_implementation 'sdpa'.");
        }
        using var scope = NewDisposeScope();
        var queryLayer = TransposeForScores(Autocast.Linear(query, hidden)); // (B, heads, T, D)
        var keyLayer = TransposeForScores(Autocast.Linear(key, hidden)); // (B, heads, T, D)
        var valueLayer = TransposeForScores(Autocast.Linear(value, hidden)); // (B, heads, T, D)
        return Attend(queryLayer, keyLayer, valueLayer, attentionMask, attentions).MoveToOuterDisposeScope();
    }

    /// <summary>(B, T, H) → (B, heads, T, D)</summary>
    protected Tensor TransposeForScores(Tensor x) =>
        x.view(x.shape[0], x.shape[1], NumAttentionHeads, AttentionHeadSize).transpose(1, 2);

    /// <summary>softmax(Q·Kᵀ / √D + mask) with dropout, times V, heads merged: (B, heads, T, D) each → (B, T, H).
    /// The probabilities (after dropout, as HF returns them) go to <paramref name="attentions"/> when given.</summary>
    protected Tensor Attend(Tensor queryLayer, Tensor keyLayer, Tensor valueLayer, Tensor? attentionMask, IList<Tensor>? attentions)
    {
        var attentionScores = Autocast.Matmul(queryLayer, keyLayer.transpose(-1, -2)) / Math.Sqrt(AttentionHeadSize); // (B, heads, T, T)
        if (attentionMask is not null)
        {
            attentionScores = attentionScores + attentionMask;
        }
        var attentionProbs = dropout.forward(attentionScores.softmax(-1)); // dropout is the identity in eval
        attentions?.Add(attentionProbs.MoveToOuterDisposeScope()); // still used below: only its disposal moves
        var contextLayer = Autocast.Matmul(attentionProbs, valueLayer); // (B, heads, T, D)
        return contextLayer.transpose(1, 2).reshape(contextLayer.shape[0], contextLayer.shape[2], NumAttentionHeads * AttentionHeadSize); // (B, T, H)
    }
}
