using Course.Ml.Models.Heads;
using Course.Ml.Tokenization;
using static TorchSharp.torch;

namespace Course.Ml.Pipelines;

/// <summary>
/// Sentence → logits → softmax over <c>id2label</c>; every label's score (HF <c>top_k=None</c>). A model saved with
/// a <c>decision:</c> block has config.json's <c>class_bias</c>, added to the logits first.
/// </summary>
public sealed class TextClassificationPipeline(string modelId, PreTrainedTokenizer tokenizer, BertForSequenceClassification model, PipelineOptions options)
    : Pipeline(TextClassification, modelId, tokenizer, model, options)
{
    public ClassificationResult Run(string text) => Run([text])[0];

    public IReadOnlyList<ClassificationResult> Run(IReadOnlyList<string> texts, int batchSize = 1) =>
        RunBatched(texts, batchSize,
            text =>
            {
                CheckText(text);
                return [Tokenizer.Encode(text, options: Truncated)];
            },
            (ids, mask, types) => model.forward(ids, mask, types).Logits,
            (_, rows) => Postprocess(rows[0].Output, model.Config.Labels, model.Config.ClassBias));

    /// <param name="classBias">Added to <paramref name="rawLogits"/>; the result's logits are the biased ones, so its scores are their softmax.</param>
    public static ClassificationResult Postprocess(float[] rawLogits, IReadOnlyList<string> labels, IReadOnlyList<double>? classBias = null)
    {
        var logits = Training.ThresholdMoving.Apply(rawLogits, classBias);
        var probabilities = Softmax(logits);
        var scores = labels.Select((label, i) => new LabelScore(label, probabilities[i])).OrderByDescending(s => s.Score).ToList();
        return new ClassificationResult(scores, labels, logits);
    }
}
