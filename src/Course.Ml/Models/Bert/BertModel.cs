using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Course.Ml.Models.Bert;

/// <summary>The encoder's outputs (HF <c>BaseModelOutputWithPooling</c>).</summary>
public sealed record BertModelOutput(Tensor LastHiddenState, Tensor? PoolerOutput) : IDisposable
{
    public void Dispose()
    {
        LastHiddenState.Dispose();
        PoolerOutput?.Dispose();
    }
}

/// <summary>Embeddings → encoder → optional pooler (HF <c>BertModel</c>); state-dict keys as Hugging Face's.</summary>
public sealed class BertModel : nn.Module
{
    private readonly BertEmbeddings embeddings;
    private readonly BertEncoder encoder;
    private readonly BertPooler? pooler;

    public BertModel(BertConfig config, bool addPoolingLayer = true) : base(nameof(BertModel))
    {
        Config = config;
        embeddings = new BertEmbeddings(config);
        encoder = new BertEncoder(config);
        pooler = addPoolingLayer ? new BertPooler(config) : null;
        RegisterComponents();
    }

    public BertConfig Config { get; }

    public Parameter WordEmbeddingWeight => embeddings.WordEmbeddingWeight;

    /// <param name="inputIds">(B, T) int64</param>
    /// <param name="attentionMask">(B, T) int64, 1 for tokens and 0 for padding; null when nothing is padded.</param>
    /// <param name="tokenTypeIds">(B, T) int64; zeros when null.</param>
    public BertModelOutput forward(Tensor inputIds, Tensor? attentionMask = null, Tensor? tokenTypeIds = null)
    {
        using var scope = NewDisposeScope();
        var types = tokenTypeIds ?? zeros_like(inputIds);
        // (B, 1, 1, T): 0 where attended, the most negative float at padding, broadcast over heads and queries.
        var bias = attentionMask is null
            ? null
            : ((1.0f - attentionMask.to_type(ScalarType.Float32)).unsqueeze(1).unsqueeze(2) * finfo(ScalarType.Float32).min).to_type(ScalarType.Float32);
        // Padding-free training needs attention that takes the real tokens (HF ties it to an attention kernel too).
        using var unpadded = training && attentionMask is not null && Config.AttentionImplementation == "sdpa" ? UnpaddedBatch.Of(attentionMask) : null;
        var hidden = unpadded is null
            ? encoder.forward(embeddings.forward(inputIds, types), bias) // (B, T, H)
            : unpadded.Pad(encoder.forward(Embed(unpadded, inputIds, types), bias, unpadded)); // (N, H) → (B, T, H)
        var pooled = pooler?.forward(hidden);
        return new BertModelOutput(hidden.MoveToOuterDisposeScope(), pooled?.MoveToOuterDisposeScope());
    }

    /// <summary>The real tokens' embeddings, (N, H), with the positions they have in their rows.</summary>
    private Tensor Embed(UnpaddedBatch unpadded, Tensor inputIds, Tensor tokenTypeIds)
    {
        var positions = arange(unpadded.Length, dtype: ScalarType.Int64, device: inputIds.device).expand(unpadded.Batch, unpadded.Length);
        return embeddings.forward(unpadded.Unpad(inputIds), unpadded.Unpad(tokenTypeIds), unpadded.Unpad(positions));
    }
}
