using System.Diagnostics;
using System.Security.Cryptography;
using Course.Core.Assignments;
using Course.Grading.Submissions;
using Course.Ml;
using Course.Ml.Hub;
using Course.Ml.Training;
using TorchSharp;

namespace Course.Grading;

/// <summary>
/// One grading run: the configuration checked against the assignment again (a worker trusts nothing), the
/// public train split capped at the assignment's limit, fine-tuning with the Trainer, evaluation on the public
/// validation split and the hidden test split, points from the rubric, and a receipt. The fine-tuned weights
/// are dropped after scoring unless an instructor asked to keep them.
/// </summary>
public static class GradingRun
{
    /// <param name="device">Where the model trains (the process's resolved <c>Ml:Device</c>); the receipt names it.</param>
    /// <param name="keepAs">A hub id to keep the fine-tuned model under (an instructor asked); null drops the weights.</param>
    /// <param name="checkpoints">Where the run checkpoints and resumes from (a worker's job); null for a run that is not resumed.</param>
    public static GradingResult Execute(Assignment assignment, string yaml, string datasetsFolder, HiddenSplits hiddenSplits, ModelHub hub, torch.Device device,
        IProgress<TrainerProgress>? progress = null, IProgress<string>? log = null, CancellationToken cancellationToken = default, string? keepAs = null,
        CheckpointSchedule? checkpoints = null)
    {
        var (config, errors) = SubmissionRules.Check(assignment, yaml, "submission.yaml", datasetsFolder, Path.GetDirectoryName(assignment.StarterPath)!);
        if (config is null)
        {
            throw new TrainingConfigException(errors);
        }
        var split = hiddenSplits.Resolve(assignment);
        var hidden = split.Path;
        if (!File.Exists(hidden))
        {
            throw new IOException($"The hidden split of {assignment.Id} is missing ({hidden}); the platform is misconfigured (Grading:HiddenDataPath).");
        }
        log?.Report(split.Practice ? HiddenSplits.PracticeNotice
            : $"hidden split: {(split.Uploaded ? "uploaded by an instructor" : "from Grading:HiddenDataPath")}, sha256 {Sha256(hidden)}");
        config.TestFile = hidden;
        var scratch = Directory.CreateTempSubdirectory("course-grading-").FullName;
        try
        {
            config.TrainFile = CappedCopy(config.TrainFile!, assignment.Rules.Limits.MaxTrainExamples, scratch, log);
            var watch = Stopwatch.StartNew();
            var (metrics, preparation) = FineTuning.Run(config, hub, device, keepAs, progress, log, cancellationToken, checkpoints);
            watch.Stop();
            var metric = assignment.Rules.Metric!;
            var (publicScore, privateScore) = (Required(metrics, metric), Required(metrics, Assignment.OnSplit(metric, "test")));
            var receipt = new Receipt(config.TrainingArgs.Seed, torch.get_num_threads(), config.ModelNameOrPath!,
                new Dictionary<string, string>
                {
                    ["train"] = Sha256(config.TrainFile!), ["validation"] = Sha256(config.ValidationFile!), [GradingResult.HiddenSplitKey] = Sha256(hidden),
                },
                Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(yaml))),
                new Dictionary<string, string>
                {
                    ["TorchSharp"] = typeof(torch).Assembly.GetName().Version!.ToString(),
                    [".NET"] = Environment.Version.ToString(),
                    ["course-platform"] = typeof(GradingRun).Assembly.GetName().Version!.ToString(),
                    // Kernels round differently: two hosts' grades of one submission can differ in the last digits.
                    ["oneMKL"] = MklCpuDispatch.Applied?.ByFeatures == true ? MklCpuDispatch.ByFeaturesName : MklCpuDispatch.OwnChoiceName,
                },
                TorchDevices.Name(device), Math.Round(watch.Elapsed.TotalSeconds, 1), preparation.ToString());
            return new GradingResult(metrics, publicScore, privateScore, assignment.PointsFor(metrics, "test"), receipt);
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    private static double Required(IReadOnlyDictionary<string, double> metrics, string name) =>
        metrics.TryGetValue(name, out var value) ? value
            : throw new InvalidOperationException($"The run produced no {name} (metrics: {string.Join(", ", metrics.Keys.Where(k => !k.Contains("_confusion_")))}).");

    /// <summary>The first <paramref name="limit"/> rows of the train split (the assignment's max_train_examples).</summary>
    private static string CappedCopy(string train, int limit, string scratch, IProgress<string>? log)
    {
        var rows = File.ReadLines(train).Where(l => l.Trim().Length > 0).ToList();
        if (rows.Count <= limit)
        {
            return train;
        }
        log?.Report($"train split capped at the assignment's {limit} examples (of {rows.Count})");
        var capped = Path.Combine(scratch, Path.GetFileName(train));
        File.WriteAllLines(capped, rows.Take(limit));
        return capped;
    }

    private static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
