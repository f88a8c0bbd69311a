using System.Text.Json.Serialization;

namespace Course.Ml.Pipelines;

/// <summary>A label and its probability (HF <c>{"label", "score"}</c>).</summary>
public sealed record LabelScore([property: JsonPropertyName("label")] string Label, [property: JsonPropertyName("score")] float Score);

/// <summary>Text classification: every label's probability (best first), and the logits they came from, in label-id order.</summary>
public sealed record ClassificationResult(IReadOnlyList<LabelScore> Scores, IReadOnlyList<string> Labels, float[] Logits);

/// <summary>A recognised entity; <c>entity</c> per token (strategy none) or <c>entity_group</c> per span.</summary>
public sealed record EntityPrediction(
    [property: JsonPropertyName("entity_group"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? EntityGroup,
    [property: JsonPropertyName("entity"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Entity,
    [property: JsonPropertyName("score")] float Score,
    [property: JsonPropertyName("index"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Index,
    [property: JsonPropertyName("word")] string Word,
    [property: JsonPropertyName("start")] int Start,
    [property: JsonPropertyName("end")] int End);

/// <summary>An extractive answer: character offsets into the context (UTF-16 code units).</summary>
public sealed record QuestionAnswer(
    [property: JsonPropertyName("score")] float Score,
    [property: JsonPropertyName("start")] int Start,
    [property: JsonPropertyName("end")] int End,
    [property: JsonPropertyName("answer")] string Answer)
{
    /// <summary>
    /// What a question gets when no window holds a valid span (with a small <c>n_best_size</c> the likeliest start
    /// can lie after the likeliest end): an empty answer scoring 0, as run_qa's post-processing falls back, so a
    /// file of questions still gets one answer each and SQuAD's rules score it 0.
    /// </summary>
    public static readonly QuestionAnswer NoSpan = new(0, 0, 0, "");
}

/// <summary>A candidate for the masked position.</summary>
public sealed record MaskPrediction(
    [property: JsonPropertyName("score")] float Score,
    [property: JsonPropertyName("token")] int Token,
    [property: JsonPropertyName("token_str")] string TokenStr,
    [property: JsonPropertyName("sequence")] string Sequence);
