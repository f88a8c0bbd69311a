using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Course.Ml.Models.Bert;

/// <summary>Word + position + token-type embeddings, then LayerNorm and dropout (HF <c>BertEmbeddings</c>).</summary>
public sealed class BertEmbeddings : nn.Module
{
    private readonly Embedding word_embeddings;
    private readonly Embedding position_embeddings;
    private readonly Embedding token_type_embeddings;
    private readonly LayerNorm LayerNorm;
    private readonly FastDropout dropout;

    public BertEmbeddings(BertConfig config) : base(nameof(BertEmbeddings))
    {
        // Sparse gradient: a batch touches a few hundred of the 30k rows, and a dense (vocab, hidden) gradient
        // would be allocated, zero-filled and read in full on every training step (FusedAdamW reads the sparse one).
        word_embeddings = nn.Embedding(config.VocabSize, config.HiddenSize, padding_idx: config.PadTokenId, sparse: true);
        position_embeddings = nn.Embedding(config.MaxPositionEmbeddings, config.HiddenSize);
        token_type_embeddings = nn.Embedding(config.TypeVocabSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm([config.HiddenSize], config.LayerNormEps);
        dropout = new FastDropout(config.HiddenDropoutProb);
        RegisterComponents();
    }

    /// <summary>The input embedding matrix, shared with the masked-LM decoder.</summary>
    public Parameter WordEmbeddingWeight => word_embeddings.weight!;

    /// <param name="inputIds">(B, T) token ids.</param>
    /// <param name="tokenTypeIds">(B, T) segment ids.</param>
    /// <param name="positionIds">Each token's position, shaped as the ids; null: 0…T−1 in every row.</param>
    /// <returns>(B, T, H), or (N, H) for (N,) ids.</returns>
    public Tensor forward(Tensor inputIds, Tensor tokenTypeIds, Tensor? positionIds = null)
    {
        using var positions = positionIds?.alias() ?? arange(inputIds.shape[1], dtype: ScalarType.Int64, device: inputIds.device).unsqueeze(0); // (1, T)
        using var words = word_embeddings.forward(inputIds);
        using var positional = position_embeddings.forward(positions);
        using var types = token_type_embeddings.forward(tokenTypeIds);
        using var sum = words + positional + types;
        var normed = LayerNorm.forward(sum);
        // Dropout is the identity in eval mode: skip the call (inference at batch 1 is bound by per-op overhead).
        if (!training)
        {
            return normed;
        }
        using (normed)
        {
            return dropout.forward(normed);
        }
    }
}
