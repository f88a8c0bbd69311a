using System.Text.Json;
using System.Text.Json.Serialization;

namespace Course.Grading;

/// <summary>What a grading run leaves behind so it can be checked and repeated.</summary>
public sealed record Receipt(
    [property: JsonPropertyName("seed")] int Seed,
    [property: JsonPropertyName("torch_threads")] int TorchThreads,
    [property: JsonPropertyName("base_model")] string BaseModel,
    [property: JsonPropertyName("dataset_sha256")] IReadOnlyDictionary<string, string> DatasetSha256,
    [property: JsonPropertyName("config_sha256")] string ConfigSha256,
    [property: JsonPropertyName("libraries")] IReadOnlyDictionary<string, string> Libraries,
    [property: JsonPropertyName("device")] string Device,
    [property: JsonPropertyName("wall_time_seconds")] double WallTimeSeconds,
    // What preparation did to the training rows (train and public validation only: nothing of the hidden split);
    // null in results stored before the receipt had it.
    [property: JsonPropertyName("data_preparation")] string? DataPreparation = null);

/// <summary>
/// A graded submission as stored: every metric (<c>eval_*</c> on the public validation split, <c>test_*</c> on the
/// hidden split, with the headline metrics' 95 % bootstrap intervals), the public and private scores on the metric's
/// own scale, points out of 100 from the rubric (on the private score), and the receipt. Viewers read it through
/// <see cref="SubmissionScores"/>, which holds back the hidden split's figures until they are released.
/// </summary>
public sealed record GradingResult(
    [property: JsonPropertyName("metrics")] IReadOnlyDictionary<string, double> Metrics,
    [property: JsonPropertyName("public_score")] double PublicScore,
    [property: JsonPropertyName("private_score")] double PrivateScore,
    [property: JsonPropertyName("grade")] double Grade,
    [property: JsonPropertyName("receipt")] Receipt Receipt)
{
    /// <summary>A metric or a progress figure can be NaN (no running loss yet, a class never predicted): stored as "NaN", not a failed job.</summary>
    internal static readonly JsonSerializerOptions Json = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>The stored result, or null when there is none or the row holds something else (no metrics or receipt).</summary>
    public static GradingResult? FromJson(string? json) =>
        json is null ? null : JsonSerializer.Deserialize<GradingResult>(json, Json) is { Metrics: not null, Receipt: not null } result ? result : null;

    /// <summary>The receipt's key for the hidden split's hash (shown only once hidden figures are released).</summary>
    public const string HiddenSplitKey = "hidden_test";

    /// <summary>
    /// Per class (or entity type) of one split (<c>eval</c>: validation, <c>test</c>: hidden): precision, recall, F1,
    /// support. A class is a name with a support (<c>_number</c>), so other figures ending in <c>_f1</c> (the
    /// plain-argmax <c>eval_no_bias_f1</c>, <c>eval_no_bias_urgent_f1</c> of a run with a class bias) are not taken for classes.
    /// </summary>
    public static IReadOnlyList<(string Label, double Precision, double Recall, double F1, double Support)> PerClass(IReadOnlyDictionary<string, double> metrics, string prefix) =>
        metrics.Keys.Where(k => k.StartsWith($"{prefix}_", StringComparison.Ordinal) && k.EndsWith("_f1", StringComparison.Ordinal) && k != $"{prefix}_f1")
            .Select(k => k[(prefix.Length + 1)..^3])
            .Where(label => metrics.ContainsKey($"{prefix}_{label}_number"))
            .Select(label => (label, metrics[$"{prefix}_{label}_precision"], metrics[$"{prefix}_{label}_recall"], metrics[$"{prefix}_{label}_f1"],
                metrics[$"{prefix}_{label}_number"]))
            .ToList();

    /// <summary>The confusion matrix of one split (rows = true label, columns = predicted), when the task has one.</summary>
    public static (IReadOnlyList<string> Labels, double[,] Counts)? Confusion(IReadOnlyDictionary<string, double> metrics, string prefix)
    {
        var marker = $"{prefix}_confusion_";
        if (!metrics.Keys.Any(k => k.StartsWith(marker, StringComparison.Ordinal)))
        {
            return null;
        }
        var labels = PerClass(metrics, prefix).Select(c => c.Label).ToList();
        var counts = new double[labels.Count, labels.Count];
        for (var gold = 0; gold < labels.Count; gold++)
        {
            for (var guess = 0; guess < labels.Count; guess++)
            {
                counts[gold, guess] = metrics.GetValueOrDefault($"{marker}{labels[gold]}_{labels[guess]}");
            }
        }
        return (labels, counts);
    }
}
