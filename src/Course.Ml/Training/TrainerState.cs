using System.Text.Json;
using System.Text.Json.Serialization;

namespace Course.Ml.Training;

/// <summary>
/// HF's <c>TrainerState</c> (<c>trainer_state.json</c> in a checkpoint): where a run is and what it has logged.
/// Besides HF's fields it holds what resuming needs to continue exactly as an uninterrupted run would: the
/// position inside the epoch (the data order is a function of seed and epoch), the loss sums behind the next
/// logged loss, early stopping's count and the run time so far.
/// </summary>
public sealed class TrainerState
{
    [JsonPropertyName("global_step")] public int GlobalStep { get; set; }

    /// <summary>Epochs done as a fraction (examples seen / train size), as HF logs it.</summary>
    [JsonPropertyName("epoch")] public double Epoch { get; set; }

    [JsonPropertyName("max_steps")] public int MaxSteps { get; set; }
    [JsonPropertyName("best_metric")] public double? BestMetric { get; set; }
    [JsonPropertyName("best_global_step")] public int? BestGlobalStep { get; set; }
    [JsonPropertyName("best_model_checkpoint")] public string? BestModelCheckpoint { get; set; }
    [JsonPropertyName("log_history")] public List<Dictionary<string, double>> LogHistory { get; set; } = [];

    /// <summary>Whole epochs started before the current one (the current epoch's index).</summary>
    [JsonPropertyName("epochs_started")] public int EpochIndex { get; set; }

    /// <summary>Micro-batches of the current epoch already trained on.</summary>
    [JsonPropertyName("batches_in_epoch")] public int BatchesInEpoch { get; set; }

    [JsonPropertyName("micro_batches")] public int MicroBatches { get; set; }
    [JsonPropertyName("samples_seen")] public int SamplesSeen { get; set; }
    [JsonPropertyName("running_loss")] public double RunningLoss { get; set; }
    [JsonPropertyName("running_loss_count")] public int RunningLossCount { get; set; }
    [JsonPropertyName("total_loss")] public double TotalLoss { get; set; }
    [JsonPropertyName("total_loss_count")] public int TotalLossCount { get; set; }
    [JsonPropertyName("evaluations_without_improvement")] public int EvaluationsWithoutImprovement { get; set; }
    /// <summary>Random numbers the data collator has drawn (masked LM's masks), replayed on resume.</summary>
    [JsonPropertyName("collator_random_draws")] public long CollatorRandomDraws { get; set; }

    [JsonPropertyName("train_runtime")] public double TrainRuntime { get; set; }

    /// <summary>What the checkpoint belongs to (seed, sizes, arguments): a checkpoint of another run is never resumed.</summary>
    [JsonPropertyName("run_signature")] public string RunSignature { get; set; } = "";

    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true };

    public void Save(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, Options));

    public static TrainerState Load(string path) =>
        JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(path)) ?? throw new InvalidDataException($"{path}: empty trainer state.");
}
