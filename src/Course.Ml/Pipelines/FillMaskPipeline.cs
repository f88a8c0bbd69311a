using Course.Ml.Models.Heads;
using Course.Ml.Tokenization;
using static TorchSharp.torch;

namespace Course.Ml.Pipelines;

/// <summary>Predicts the token behind the one <c>[MASK]</c> in the text (HF <c>fill-mask</c>).</summary>
public sealed class FillMaskPipeline(string modelId, PreTrainedTokenizer tokenizer, BertForMaskedLM model, PipelineOptions options)
    : Pipeline(FillMask, modelId, tokenizer, model, options)
{
    public IReadOnlyList<MaskPrediction> Run(string text, int topK = 5)
    {
        CheckText(text);
        var mask = Tokenizer.SpecialTokens.MaskToken is { } token ? Tokenizer.TokenToId(token) : null;
        if (mask is null)
        {
            throw new InvalidOperationException($"{ModelId}'s tokenizer has no mask token.");
        }
        if (topK < 1)
        {
            throw new ArgumentException("top_k must be at least 1.");
        }
        var encoding = Tokenizer.Encode(text, options: Truncated);
        var positions = Enumerable.Range(0, encoding.Length).Where(i => encoding.InputIds[i] == mask).ToList();
        if (positions.Count != 1)
        {
            throw new ArgumentException($"fill-mask needs exactly one {Tokenizer.SpecialTokens.MaskToken} in the text; found {positions.Count}.");
        }

        var vocabulary = model.Config.VocabSize;
        var logits = Logits([encoding], (ids, mask, types) => model.forward(ids, mask, types)).AsSpan(positions[0] * vocabulary, vocabulary).ToArray();
        return Postprocess(encoding.InputIds, positions[0], logits, topK, Tokenizer);
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
