using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Course.Ml.Models.Bert;

/// <summary>
/// <see cref="BertSelfAttention"/> with fused kernels (HF <c>BertSdpaSelfAttention</c>, <c>attn_implementation:
/// "sdpa"</c>, the default); same parameters, same results. In inference, one GEMM on query, key and value
/// stacked into an (H, 3H) projection (an <see cref="InferenceLinear"/> copy), then libtorch's
/// <c>scaled_dot_product_attention</c>: scale, mask, softmax and the weighted sum in one pass, with no
/// (B, heads, T, T) tensor; with autograd on (gradients in eval mode) the three projections stay separate so
/// autograd reaches their weights. In training the projections run on the real tokens only
/// (<see cref="UnpaddedBatch"/>) and attention is the eager computation on the padded layout: libtorch's fused
/// kernel would draw its dropout mask from the serial CPU generator that <see cref="FastDropout"/> avoids. Under
/// autocast it is eager too, and so it is when the attention probabilities are asked for (HF's
/// <c>output_attentions=True</c> falls back to the eager computation: the fused kernel never forms them).
/// </summary>
public sealed class BertSdpaSelfAttention : BertSelfAttention
{
    private readonly InferenceLinear _stacked;

    public BertSdpaSelfAttention(BertConfig config) : base(config) => _stacked = new InferenceLinear(query, key, value);

    /// <inheritdoc cref="BertSelfAttention.forward"/>
    /// <returns>(B, T, H), or (N, H) with <paramref name="unpadded"/>.</returns>
    public override Tensor forward(Tensor hidden, Tensor? attentionMask, UnpaddedBatch? unpadded = null, IList<Tensor>? attentions = null)
    {
        if (attentions is not null)
        {
            return base.forward(hidden, attentionMask, unpadded, attentions); // BertModel does not unpad then
        }
        using var scope = NewDisposeScope();
        Tensor Heads(Linear projection)
        {
            var projected = Autocast.Linear(projection, hidden); // (B, T, H) or (N, H)
            return TransposeForScores(unpadded?.Pad(projected) ?? projected); // (B, heads, T, D)
        }
        if (training || Autocast.IsEnabled)
        {
            if (training)
            {
                _stacked.Release(); // the weights are about to change; a kept copy would only cost memory
            }
            var context = Attend(Heads(query), Heads(key), Heads(value), attentionMask, attentions: null); // (B, T, H)
            return (unpadded?.Unpad(context) ?? context).MoveToOuterDisposeScope();
        }
        var (batch, length) = (hidden.shape[0], hidden.shape[1]);
        var qkv = InferenceLinear.UsesCopy(training)
            ? _stacked.Forward(hidden) // (B, T, 3H)
                .view(batch, length, 3, NumAttentionHeads, AttentionHeadSize).permute(2, 0, 3, 1, 4) // (3, B, heads, T, D)
                .unbind(0)
            : [Heads(query), Heads(key), Heads(value)];
        return nn.functional.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], attentionMask) // (B, heads, T, D)
            .transpose(1, 2).reshape(batch, length, NumAttentionHeads * AttentionHeadSize) // (B, T, H)
            .MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _stacked.Dispose();
        }
        base.Dispose(disposing);
    }
}
