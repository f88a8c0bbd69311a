using System.Text.Json;
using System.Text.RegularExpressions;
using Course.Ml.Data;
using Course.Ml.Hub;
using Course.Ml.Pipelines;
using TorchSharp;

namespace Course.Ml.Training;

/// <summary>
/// A model the lessons and playgrounds use, fine-tuned here from all-MiniLM-L6-v2 on the course's own datasets
/// (<c>content/datasets</c>) by <c>./course models build-demos</c> or by a worker on the <c>demos</c> queue.
/// </summary>
public sealed record DemoModel(string Id, string Task, string Dataset, int MaxSeqLength, TrainingArgumentsFile Args, string Description,
    IReadOnlyList<(string Text, string? Context)> Examples)
{
    /// <summary>fill-mask only: the share of tokens masked (null: HF's 0.15).</summary>
    public double? MlmProbability { get; init; }

    /// <summary>question-answering only: the longest answer the validation figures accept (null: run_qa's 30).</summary>
    public int? MaxAnswerLength { get; init; }

    /// <summary>The data preparation a careful author gives the course's public splits, whose defects are real data's (see their cards).</summary>
    public PreprocessingFile Preprocessing { get; init; } = new();

    /// <summary>The hub model it is fine-tuned from: <see cref="DemoModels.BaseModel"/> (tests build from a tiny one).</summary>
    public string BaseModel { get; init; } = DemoModels.BaseModel;
}

public static class DemoModels
{
    public const string BaseModel = "sentence-transformers/all-MiniLM-L6-v2";

    /// <summary>The cloze sentences fill-mask is scored on: never part of its training text.</summary>
    public const string ClozeDataset = "cloze";

    public static readonly IReadOnlyList<DemoModel> All =
    [
        new("course/minilm-sentiment", "text-classification", "product-reviews", 128,
            new() { LearningRate = 5e-5, PerDeviceTrainBatchSize = 16, PerDeviceEvalBatchSize = 64, NumTrainEpochs = 3, WarmupRatio = 0.1, WeightDecay = 0.01, GroupByLength = true },
            "Product-review sentiment: negative, neutral, positive.",
            [("The battery lasts all week and the screen is gorgeous.", null), ("It stopped charging after two days and support never answered.", null),
             ("It does the job. Nothing special, nothing bad.", null)])
        {
            Preprocessing = new() { CleanText = [.. PreprocessingFile.CleanTextSteps], DropEmpty = true, Deduplicate = "normalized", Truncation = "head+tail" },
        },
        new("course/minilm-ner", "token-classification", "course-ner", 128,
            new() { LearningRate = 1e-4, PerDeviceTrainBatchSize = 16, PerDeviceEvalBatchSize = 64, NumTrainEpochs = 5, WarmupRatio = 0.1, WeightDecay = 0.01, GroupByLength = true },
            "Named entities: PER, ORG, LOC, MISC (IOB2).",
            [("Ada Lovelace worked with Charles Babbage in London on the Analytical Engine.", null),
             ("Siemens opened a new research centre in Munich on Tuesday.", null)])
        {
            Preprocessing = new() { LabelScheme = "iob1", DropEmpty = true, Deduplicate = "normalized" },
        },
        // One epoch over SQuAD's 26 training articles (6,750 windows of 256 tokens) is most of the build's time; the
        // course's own 297 questions were too few to learn spans from (validation F1 17). The rate stays at 1e-4 after
        // warmup: decaying it to 0 within the one epoch cost 3 F1 (docs/benchmarks.md), and answers of at most 15
        // tokens, the pipeline's default, are scored as the widgets show them.
        new("course/minilm-qa", "question-answering", "squad", 256,
            new()
            {
                LearningRate = 1e-4, PerDeviceTrainBatchSize = 16, PerDeviceEvalBatchSize = 32, NumTrainEpochs = 1, WarmupRatio = 0.1, WeightDecay = 0.01,
                LrSchedulerType = "constant_with_warmup", GroupByLength = true,
            },
            "Extractive question answering, trained on SQuAD v1.1 articles.",
            [("Who designed the Eiffel Tower?", "The Eiffel Tower in Paris was completed in 1889 for the World's Fair. It was designed by the engineering company of Gustave Eiffel."),
             ("Where do corals get their colour?", "Most reef-building corals live in partnership with microscopic algae that grow inside their tissues. The algae provide the coral with sugars and give reefs their bright colours."),
             ("How long do I have to return an item?", "You can return any item within 30 days of delivery for a full refund. Items must be unused and in their original packaging.")])
        {
            MaxAnswerLength = 15,
        },
        new("course/minilm-fill-mask", "fill-mask", "*", 64,
            new() { LearningRate = 5e-4, PerDeviceTrainBatchSize = 32, PerDeviceEvalBatchSize = 64, NumTrainEpochs = 10, WarmupRatio = 0.1, WeightDecay = 0.01, GroupByLength = true, FreezeLayers = ["embeddings", "2"] },
            "Masked language model: the MLM head trained on the course's text.",
            [("I drink a cup of [MASK] every morning.", null), ("The screen is bright and the sound is [MASK].", null)])
        {
            MlmProbability = 0.3, Preprocessing = new() { CleanText = [.. PreprocessingFile.CleanTextSteps], DropEmpty = true },
        },
    ];

    public static DemoModel? Find(string id) => All.FirstOrDefault(d => d.Id == id);

    public static IReadOnlyList<DemoModel> Missing(ModelHub hub) => All.Where(d => !hub.Contains(d.Id)).ToList();

    /// <summary>
    /// Fine-tunes <paramref name="demo"/> and moves it into the hub in one rename, so readers never see a
    /// half-written model. Returns the metrics written into its card. Holds the model's install lock
    /// (<see cref="ModelHub.LockInstall"/>) throughout, so processes sharing the hub build it one at a time.
    /// </summary>
    public static IReadOnlyDictionary<string, double> Build(DemoModel demo, ModelHub hub, torch.Device device, string datasetsFolder,
        IProgress<TrainerProgress>? progress = null, IProgress<string>? log = null, CancellationToken cancellationToken = default)
    {
        using (hub.LockInstall(demo.Id, log, cancellationToken))
        {
            return BuildLocked(demo, hub, device, datasetsFolder, progress, log, cancellationToken);
        }
    }

    /// <summary><see cref="Build"/> with the lock held: only its holder writes <c>&lt;id&gt;.partial</c>, so one found there is a leftover.</summary>
    private static IReadOnlyDictionary<string, double> BuildLocked(DemoModel demo, ModelHub hub, torch.Device device, string datasetsFolder,
        IProgress<TrainerProgress>? progress, IProgress<string>? log, CancellationToken cancellationToken)
    {
        var staging = $"{demo.Id}.partial";
        var scratch = Directory.CreateTempSubdirectory("course-demo-").FullName;
        try
        {
            if (hub.Contains(staging))
            {
                Directory.Delete(hub.PathOf(staging), recursive: true); // left by an interrupted build
            }
            var config = new TrainingConfig
            {
                Task = demo.Task, ModelNameOrPath = demo.BaseModel, MaxSeqLength = demo.MaxSeqLength, TrainingArgs = demo.Args, MlmProbability = demo.MlmProbability,
                MaxAnswerLength = demo.MaxAnswerLength, Preprocessing = demo.Preprocessing,
            };
            if (demo.Task == "fill-mask")
            {
                (config.TrainFile, config.ValidationFile) = WriteCorpus(datasetsFolder, scratch);
            }
            else
            {
                (config.TrainFile, config.ValidationFile) = (Split(datasetsFolder, demo.Dataset, "train"), Split(datasetsFolder, demo.Dataset, "validation"));
            }
            var metrics = new Dictionary<string, double>(FineTuning.Run(config, hub, device, staging, progress, log, cancellationToken).Metrics);
            if (demo.Task == "fill-mask")
            {
                foreach (var (name, value) in Cloze(hub, device, staging, Split(datasetsFolder, ClozeDataset, "validation"), log))
                {
                    metrics[name] = value;
                }
            }
            var folder = hub.PathOf(staging);
            var card = Path.Combine(folder, "README.md");
            File.WriteAllText(card, WithWidget(File.ReadAllText(card).Replace($"# {staging}", $"# {demo.Id}"), demo.Examples) + DemoSection(demo, metrics));
            if (Directory.Exists(hub.PathOf(demo.Id)))
            {
                Directory.Delete(hub.PathOf(demo.Id), recursive: true);
            }
            Directory.Move(folder, hub.PathOf(demo.Id));
            return metrics;
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
            if (hub.Contains(staging))
            {
                Directory.Delete(hub.PathOf(staging), recursive: true);
            }
        }
    }

    /// <summary>
    /// <see cref="Build"/> unless the model is in the hub once its install lock is held: another process sharing the hub
    /// (a worker on another node, <c>./course models build-demos</c>) built it while this one waited. True when it built.
    /// </summary>
    public static bool BuildIfMissing(DemoModel demo, ModelHub hub, torch.Device device, string datasetsFolder,
        IProgress<TrainerProgress>? progress = null, IProgress<string>? log = null, CancellationToken cancellationToken = default)
    {
        using var turn = hub.LockInstall(demo.Id, log, cancellationToken);
        if (hub.Contains(demo.Id))
        {
            return false;
        }
        BuildLocked(demo, hub, device, datasetsFolder, progress, log, cancellationToken);
        return true;
    }

    private static string Split(string datasetsFolder, string dataset, string split)
    {
        var path = Path.Combine(datasetsFolder, dataset, $"{split}.jsonl");
        return File.Exists(path) ? path : throw new FileNotFoundException($"The demo models need {path} (the course's datasets in content/datasets).");
    }

    /// <summary>
    /// The masked-LM text: every text of the course's classification and QA datasets (train → training,
    /// validation → evaluation); NER sentences are left out because their tokens lost the original spacing.
    /// </summary>
    private static (string Train, string Validation) WriteCorpus(string datasetsFolder, string scratch)
    {
        string Write(string split, IEnumerable<string> texts)
        {
            var path = Path.Combine(scratch, $"{split}.jsonl");
            File.WriteAllLines(path, texts.Select(t => JsonSerializer.Serialize(new Dictionary<string, string> { ["text"] = t })));
            return path;
        }
        var (train, validation) = CorpusTexts(datasetsFolder);
        return (Write("train", train), Write("validation", validation));
    }

    /// <summary>
    /// The distinct texts of the masked-LM corpus (<see cref="WriteCorpus"/>) in a fixed order: training text without
    /// cloze answers in their context, and validation text that is never training text.
    /// </summary>
    internal static (IReadOnlyList<string> Train, IReadOnlyList<string> Validation) CorpusTexts(string datasetsFolder)
    {
        List<string> Read(string split)
        {
            var texts = new List<string>();
            foreach (var folder in Directory.GetDirectories(datasetsFolder).Order(StringComparer.Ordinal))
            {
                var file = Path.Combine(folder, $"{split}.jsonl");
                if (Path.GetFileName(folder) == ClozeDataset || !File.Exists(file))
                {
                    continue;
                }
                foreach (var row in Dataset.FromJsonLines(file))
                {
                    var text = row.GetValueOrDefault("text") as string ?? row.GetValueOrDefault("context") as string;
                    if (text is not null)
                    {
                        texts.Add(text);
                    }
                }
            }
            return texts.Distinct().ToList();
        }
        var leaks = ClozeAnswersInContext(datasetsFolder);
        var train = Read("train").Where(t => !WordRuns(t).Any(leaks.Contains)).ToList();
        // A review can sit in one dataset's train split and another's validation split: held out means unseen.
        return (train, Read("validation").Except(train).ToList());
    }

    /// <summary>
    /// Each cloze sentence's six-word runs that span its answer (the answer in place of [MASK]): a training text
    /// holding one has seen the answer in its context, and the cloze score would measure recall, not the model.
    /// A run without the answer ("is the capital and largest city of") is just English and stays.
    /// </summary>
    internal static HashSet<string> ClozeAnswersInContext(string datasetsFolder)
    {
        var file = Path.Combine(datasetsFolder, ClozeDataset, "validation.jsonl");
        var runs = new HashSet<string>(StringComparer.Ordinal);
        if (!File.Exists(file))
        {
            return runs;
        }
        foreach (var row in Dataset.FromJsonLines(file))
        {
            var text = row.Get<string>("text");
            var without = text.Split("[MASK]").SelectMany(WordRuns).ToHashSet(StringComparer.Ordinal);
            runs.UnionWith(row.Get<string[]>("answers").SelectMany(a => WordRuns(text.Replace("[MASK]", a))).Where(r => !without.Contains(r)));
        }
        return runs;
    }

    /// <summary>The text's runs of six consecutive lowercase words (letters, digits, apostrophes).</summary>
    internal static IEnumerable<string> WordRuns(string text)
    {
        var words = Regex.Matches(text.ToLowerInvariant(), "[\\p{L}\\p{N}']+").Select(m => m.Value).ToArray();
        return Enumerable.Range(0, Math.Max(0, words.Length - 5)).Select(i => string.Join(' ', words, i, 6));
    }

    /// <summary>Top-1 / top-5 accuracy on held-out cloze sentences (<c>{"text": "… [MASK] …", "answers": [...]}</c>).</summary>
    public static IReadOnlyDictionary<string, double> Cloze(ModelHub hub, torch.Device device, string modelId, string clozeFile, IProgress<string>? log = null)
    {
        using var pipeline = (FillMaskPipeline)Pipeline.Create(Pipeline.FillMask, modelId, hub, device);
        var (top1, top5, count) = (0, 0, 0);
        foreach (var row in Dataset.FromJsonLines(clozeFile))
        {
            var answers = row.Get<string[]>("answers").Select(a => a.ToLowerInvariant()).ToHashSet();
            var predictions = pipeline.Run(row.Get<string>("text"), topK: 5);
            top1 += answers.Contains(predictions[0].TokenStr) ? 1 : 0;
            top5 += predictions.Any(p => answers.Contains(p.TokenStr)) ? 1 : 0;
            count++;
        }
        log?.Report($"cloze: top-1 {top1}/{count}, top-5 {top5}/{count}");
        return new Dictionary<string, double> { ["cloze_top1"] = (double)top1 / count, ["cloze_top5"] = (double)top5 / count, ["cloze_sentences"] = count };
    }

    /// <summary>Adds the Hub's <c>widget:</c> examples to the card's front matter (the playground offers them).</summary>
    public static string WithWidget(string card, IReadOnlyList<(string Text, string? Context)> examples)
    {
        static string Quoted(string value) => System.Text.Json.JsonSerializer.Serialize(value); // a JSON string is a valid YAML double-quoted scalar
        var widget = "widget:\n" + string.Concat(examples.Select(e => $"  - text: {Quoted(e.Text)}\n" + (e.Context is null ? "" : $"    context: {Quoted(e.Context)}\n")));
        var end = card.IndexOf("\n---", 4, StringComparison.Ordinal);
        return card.StartsWith("---\n", StringComparison.Ordinal) && end > 0 ? card.Insert(end + 1, widget) : card;
    }

    private static string DemoSection(DemoModel demo, IReadOnlyDictionary<string, double> metrics) => $"""

        ## Demo model

        {demo.Description} Built by `./course models build-demos` or a worker's `demos` queue from `{demo.BaseModel}` on the course dataset
        `{demo.Dataset}` (content/datasets). The evaluation metrics above are on held-out data: the dataset's
        validation split{(demo.Task == "fill-mask" ? $", and {metrics.GetValueOrDefault("cloze_sentences")} cloze sentences written for this purpose and never trained on (top-1 {metrics.GetValueOrDefault("cloze_top1"):0.###}, top-5 {metrics.GetValueOrDefault("cloze_top5"):0.###})" : "")}.

        """;
}
