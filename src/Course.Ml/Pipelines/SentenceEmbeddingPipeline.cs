using Course.Ml.Hub;
using Course.Ml.Models;
using Course.Ml.Models.Bert;
using Course.Ml.Tokenization;
using static TorchSharp.torch;

namespace Course.Ml.Pipelines;

/// <summary>
/// sentence-transformers' <c>model.encode(texts, normalize_embeddings=True)</c> for a BERT checkpoint such as
/// all-MiniLM-L6-v2, whose <c>modules.json</c> is Transformer → Pooling (mean) → Normalize: feature extraction
/// (the last hidden state), the mean of the real tokens' vectors (the attention mask keeps padding out), and L2
/// normalisation, so the cosine similarity of two embeddings is their dot product.
/// </summary>
public sealed class SentenceEmbeddingPipeline(string modelId, PreTrainedTokenizer tokenizer, BertModel model, PipelineOptions options)
    : Pipeline(SentenceSimilarity, modelId, tokenizer, model, options)
{
    /// <summary>The Hub's <c>pipeline_tag</c> of sentence-embedding models (transformers has no pipeline of that name).</summary>
    public const string SentenceSimilarity = "sentence-similarity";

    public static SentenceEmbeddingPipeline FromPretrained(string modelId, ModelHub hub, Device device, PipelineOptions? options = null, IProgress<string>? progress = null) =>
        new(modelId, AutoTokenizer.FromPretrained(modelId, hub, progress), AutoModel.FromPretrained(modelId, hub, progress, device), options ?? PipelineOptions.Default);

    /// <summary>The embedding's length: the model's hidden size.</summary>
    public int Dimension => model.Config.HiddenSize;

    public float[] Encode(string text) => Encode([text])[0];

    /// <param name="cancellationToken">Checked before each batch (a stopping site ends a long update there).</param>
    /// <returns>one unit-length vector of <see cref="Dimension"/> floats per text, in the order of <paramref name="texts"/></returns>
    public IReadOnlyList<float[]> Encode(IReadOnlyList<string> texts, int batchSize = 32, CancellationToken cancellationToken = default)
    {
        // As sentence-transformers' encode: longest first, so each batch pads its texts to similar lengths.
        var order = Enumerable.Range(0, texts.Count).OrderByDescending(i => texts[i].Length).ToArray();
        IReadOnlyList<float[]> sorted;
        try
        {
            sorted = RunBatched(order.Select(i => texts[i]).ToList(), batchSize,
                text =>
                {
                    CheckText(text);
                    return [Tokenizer.Encode(text, options: Truncated)];
                },
                // Without padding the batch has no mask (the model skips masking); every token then counts.
                (ids, mask, types) => Normalize(MeanPooling(model.forward(ids, mask, types).LastHiddenState, mask ?? ones_like(ids))),
                (_, rows) => rows[0].Output,
                cancellationToken);
        }
        catch (PipelineInputException ex)
        {
            throw new PipelineInputException(order[ex.Index], ex.Message);
        }
        var embeddings = new float[texts.Count][];
        for (var i = 0; i < order.Length; i++)
        {
            embeddings[order[i]] = sorted[i];
        }
        return embeddings;
    }

    /// <summary>
    /// sentence-transformers' <c>mean_pooling</c>: the sum of the token vectors where the mask is 1, over the number of
    /// such tokens (at least 1e-9, so an all-padding row gives zeros rather than NaN).
    /// </summary>
    /// <param name="tokenEmbeddings">(B, T, H) the last hidden state</param>
    /// <param name="attentionMask">(B, T) 1 for tokens, 0 for padding</param>
    /// <returns>(B, H)</returns>
    public static Tensor MeanPooling(Tensor tokenEmbeddings, Tensor attentionMask)
    {
        var mask = attentionMask.unsqueeze(-1).expand(tokenEmbeddings.shape).to_type(tokenEmbeddings.dtype); // (B, T, H)
        return (tokenEmbeddings * mask).sum(1) / mask.sum(1).clamp_min(1e-9); // (B, H) / (B, H)
    }

    /// <summary><c>F.normalize(embeddings, p=2, dim=1)</c>: each row divided by its Euclidean length.</summary>
    public static Tensor Normalize(Tensor embeddings) => nn.functional.normalize(embeddings, p: 2, dim: 1);

    /// <summary>sentence-transformers' <c>util.cos_sim</c> of two vectors.</summary>
    public static float CosineSimilarity(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double dot = 0, aa = 0, bb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
            aa += a[i] * a[i];
            bb += b[i] * b[i];
        }
        return (float)(dot / Math.Max(Math.Sqrt(aa) * Math.Sqrt(bb), 1e-8));
    }
}
