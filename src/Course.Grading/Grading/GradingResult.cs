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
    [property: JsonPropertyName("wall_time_seconds")] double WallTimeSeconds);

/// <summary>
/// A graded submission: every metric (<c>eval_*</c> on the public validation split, <c>test_*</c> on the hidden
/// split), the public and private scores on the metric's own scale, points out of 100 from the rubric (on the
/// private score), per-class results and the confusion matrix of the hidden split (counts only: no example or
/// label is revealed), and the receipt.
/// </summary>
public sealed record GradingResult(
    [property: JsonPropertyName("metrics")] IReadOnlyDictionary<string, double> Metrics,
    [property: JsonPropertyName("public_score")] double PublicScore,
    [property: JsonPropertyName("private_score")] double PrivateScore,
    [property: JsonPropertyName("grade")] double Grade,
    [property: JsonPropertyName("receipt")] Receipt Receipt)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static GradingResult? FromJson(string? json) => json is null ? null : JsonSerializer.Deserialize<GradingResult>(json, Json);

    /// <summary>Per class (or entity type) on the hidden split: precision, recall, F1, support.</summary>
    public IReadOnlyList<(string Label, double Precision, double Recall, double F1, double Support)> PerClass(string prefix = "test") =>
        Metrics.Keys.Where(k => k.StartsWith($"{prefix}_", StringComparison.Ordinal) && k.EndsWith("_f1", StringComparison.Ordinal) && k != $"{prefix}_f1")
            .Select(k => k[(prefix.Length + 1)..^3])
            .Select(label => (label, Metrics[$"{prefix}_{label}_precision"], Metrics[$"{prefix}_{label}_recall"], Metrics[$"{prefix}_{label}_f1"],
                Metrics.GetValueOrDefault($"{prefix}_{label}_number")))
            .ToList();

    /// <summary>The confusion matrix of the hidden split (rows = true label, columns = predicted), when the task has one.</summary>
    public (IReadOnlyList<string> Labels, double[,] Counts)? Confusion(string prefix = "test")
    {
        var marker = $"{prefix}_confusion_";
        var cells = Metrics.Where(m => m.Key.StartsWith(marker, StringComparison.Ordinal)).ToList();
        if (cells.Count == 0)
        {
            return null;
        }
        var labels = PerClass(prefix).Select(c => c.Label).ToList();
        var counts = new double[labels.Count, labels.Count];
        for (var gold = 0; gold < labels.Count; gold++)
        {
            for (var guess = 0; guess < labels.Count; guess++)
            {
                counts[gold, guess] = Metrics.GetValueOrDefault($"{marker}{labels[gold]}_{labels[guess]}");
            }
        }
        return (labels, counts);
    }
}
