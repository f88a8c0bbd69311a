using Course.Ml.Models.Heads;
using Course.Ml.Tokenization;
using static TorchSharp.torch;

namespace Course.Ml.Pipelines;

/// <summary>Predicts the token behind the one <c>[MASK]</c> in the text (HF <c>fill-mask</c>).</summary>
public sealed class FillMaskPipeline(string modelId, PreTrainedTokenizer tokenizer, BertForMaskedLM model, PipelineOptions options)
    : Pipeline(FillMask, modelId, tokenizer, model, options)
{
    public IReadOnlyList<MaskPrediction> Run(string text, int topK = 5) => Run([text], topK)[0];

    public IReadOnlyList<IReadOnlyList<MaskPrediction>> Run(IReadOnlyList<string> texts, int topK = 5, int batchSize = 1) =>
        Run(texts.Select(text => (text, topK)).ToList(), batchSize);

    /// <summary>Texts each with its own top_k (a postprocessing choice), run as one batch: a server batching several users' requests.</summary>
    public IReadOnlyList<IReadOnlyList<MaskPrediction>> Run(IReadOnlyList<(string Text, int TopK)> inputs, int batchSize)
    {
        var mask = Tokenizer.SpecialTokens.MaskToken is { } token ? Tokenizer.TokenToId(token) : null;
        if (mask is null)
        {
            throw new InvalidOperationException($"{ModelId}'s tokenizer has no mask token.");
        }
        return RunBatched(inputs, batchSize,
            input =>
            {
                if (input.TopK < 1)
                {
                    throw new ArgumentException("top_k must be at least 1.");
                }
                CheckText(input.Text);
                var encoding = Tokenizer.Encode(input.Text, options: Truncated);
                var count = encoding.InputIds.Count(id => id == mask);
                if (count != 1)
                {
                    throw new ArgumentException($"fill-mask needs exactly one {Tokenizer.SpecialTokens.MaskToken} in the text; found {count}.");
                }
                return [encoding];
            },
            // Only the masked position's scores leave the model: one (vocabulary) row per text, not (tokens, vocabulary).
            (ids, attention, types) => model.forward(ids, attention, types).Logits[ids.eq(mask.Value)],
            (input, rows) => Postprocess(rows[0].Encoding.InputIds, Array.IndexOf(rows[0].Encoding.InputIds, mask.Value), rows[0].Output, input.TopK, Tokenizer));
    }

    public static IReadOnlyList<MaskPrediction> Postprocess(int[] inputIds, int position, float[] logits, int topK, PreTrainedTokenizer tokenizer)
    {
        var probabilities = Softmax(logits);
        return Enumerable.Range(0, probabilities.Length)
            .OrderByDescending(i => probabilities[i])
            .Take(topK)
            .Select(id =>
            {
                var filled = (int[])inputIds.Clone();
                filled[position] = id;
                return new MaskPrediction(probabilities[id], id, tokenizer.Decode([id]), tokenizer.Decode(filled, skipSpecialTokens: true));
            })
            .ToList();
    }
}
