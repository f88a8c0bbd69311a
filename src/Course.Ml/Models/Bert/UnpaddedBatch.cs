using static TorchSharp.torch;

namespace Course.Ml.Models.Bert;

/// <summary>
/// A padded (B, T) training batch seen as its N real tokens only (HF's "padding-free" training). Every part of
/// a BERT layer but attention works token by token, so embeddings, projections, feed-forward, dropout and
/// LayerNorm run on (N, C) and skip the padding (SST-2 batches without length grouping are about half padding);
/// attention alone is given the padded (B, T, C) layout, with the same mask as before. What real tokens compute
/// is unchanged; padded positions of the final hidden state are zeros, which no loss reads.
/// </summary>
public sealed class UnpaddedBatch : IDisposable
{
    private readonly Tensor _tokens; // (N,) flat indices of the real tokens in B·T

    private UnpaddedBatch(Tensor tokens, long batch, long length) => (_tokens, Batch, Length) = (tokens, batch, length);

    public long Batch { get; }

    public long Length { get; }

    /// <summary>The layout of <paramref name="attentionMask"/> (B, T); null when nothing is padded.</summary>
    public static UnpaddedBatch? Of(Tensor attentionMask)
    {
        var tokens = attentionMask.flatten().nonzero().squeeze(1);
        if (tokens.shape[0] == attentionMask.numel())
        {
            tokens.Dispose();
            return null;
        }
        return new UnpaddedBatch(tokens, attentionMask.shape[0], attentionMask.shape[1]);
    }

    /// <summary>(B, T, …) or (B, T) → (N, …): the real tokens' rows.</summary>
    public Tensor Unpad(Tensor padded)
    {
        using var flat = padded.dim() == 2 ? padded.flatten() : padded.reshape(Batch * Length, -1);
        return flat.index_select(0, _tokens);
    }

    /// <summary>(N, C) → (B, T, C), zeros at padding.</summary>
    public Tensor Pad(Tensor tokens)
    {
        using var empty = zeros(Batch * Length, tokens.shape[1], tokens.dtype, tokens.device);
        using var filled = empty.index_copy(0, _tokens, tokens);
        return filled.view(Batch, Length, tokens.shape[1]);
    }

    public void Dispose() => _tokens.Dispose();
}
