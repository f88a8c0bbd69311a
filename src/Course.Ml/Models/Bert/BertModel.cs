using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Course.Ml.Models.Bert;

/// <summary>The encoder's outputs (HF <c>BaseModelOutputWithPooling</c>).</summary>
/// <param name="Attentions">With <c>output_attentions</c>: per layer, the attention probabilities (B, heads, T, T)
/// after the softmax, each row summing to 1 over the keys; otherwise null.</param>
public sealed record BertModelOutput(Tensor LastHiddenState, Tensor? PoolerOutput, IReadOnlyList<Tensor>? Attentions = null) : IDisposable
{
    public void Dispose()
    {
        LastHiddenState.Dispose();
        PoolerOutput?.Dispose();
        foreach (var attention in Attentions ?? [])
        {
            attention.Dispose();
        }
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
    /// <param name="outputAttentions">HF's <c>output_attentions</c>: also return every layer's attention
    /// probabilities. They exist only in the eager computation, so sdpa layers run it for this call, as HF's do.</param>
    public BertModelOutput forward(Tensor inputIds, Tensor? attentionMask = null, Tensor? tokenTypeIds = null, bool outputAttentions = false)
    {
        using var scope = NewDisposeScope();
        var types = tokenTypeIds ?? zeros_like(inputIds);
        // (B, 1, 1, T): 0 where attended, the most negative float at padding, broadcast over heads and queries.
        var bias = attentionMask is null
            ? null
            : ((1.0f - attentionMask.to_type(ScalarType.Float32)).unsqueeze(1).unsqueeze(2) * finfo(ScalarType.Float32).min).to_type(ScalarType.Float32);
        // Padding-free training needs attention that takes the real tokens (HF ties it to an attention kernel too);
        // the attention probabilities are (B, heads, T, T) of the padded layout, so asking for them keeps it.
        using var unpadded = training && attentionMask is not null && Config.AttentionImplementation == "sdpa" && !outputAttentions
            ? UnpaddedBatch.Of(attentionMask) : null;
        var attentions = outputAttentions ? new List<Tensor>(Config.NumHiddenLayers) : null;
        var hidden = unpadded is null
            ? encoder.forward(embeddings.forward(inputIds, types), bias, attentions: attentions) // (B, T, H)
            : unpadded.Pad(encoder.forward(Embed(unpadded, inputIds, types), bias, unpadded)); // (N, H) → (B, T, H)
        var pooled = pooler?.forward(hidden);
        return new BertModelOutput(hidden.MoveToOuterDisposeScope(), pooled?.MoveToOuterDisposeScope(),
            attentions?.ConvertAll(a => a.MoveToOuterDisposeScope()));
    }

    /// <summary>The real tokens' embeddings, (N, H), with the positions they have in their rows.</summary>
    private Tensor Embed(UnpaddedBatch unpadded, Tensor inputIds, Tensor tokenTypeIds)
    {
        var positions = arange(unpadded.Length, dtype: ScalarType.Int64, device: inputIds.device).expand(unpadded.Batch, unpadded.Length);
        return embeddings.forward(unpadded.Unpad(inputIds), unpadded.Unpad(tokenTypeIds), unpadded.Unpad(positions));
    }
}
