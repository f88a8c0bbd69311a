using Course.Ml.Models.Bert;
using Course.Ml.Tokenization;
using static TorchSharp.torch;

namespace Course.Ml.Pipelines;

/// <summary>The encoder's last hidden state, one vector per token (special tokens included), as HF returns it.</summary>
public sealed class FeatureExtractionPipeline(string modelId, PreTrainedTokenizer tokenizer, BertModel model, PipelineOptions options)
    : Pipeline(FeatureExtraction, modelId, tokenizer, model, options)
{
    /// <returns>[tokens][hidden_size]</returns>
    public float[][] Run(string text) => Run([text])[0];

    /// <returns>per text, [tokens][hidden_size] without the batch's padding</returns>
    public IReadOnlyList<float[][]> Run(IReadOnlyList<string> texts, int batchSize = 1) =>
        RunBatched(texts, batchSize,
            text =>
            {
                CheckText(text);
                return [Tokenizer.Encode(text, options: Truncated)];
            },
            (ids, mask, types) => model.forward(ids, mask, types).LastHiddenState,
            (_, rows) =>
            {
                var (encoding, values) = rows[0];
                var hidden = values.Length / encoding.Length;
                return Enumerable.Range(0, encoding.AttentionMask.Count(m => m == 1)).Select(t => values.AsSpan(t * hidden, hidden).ToArray()).ToArray();
            });
}
