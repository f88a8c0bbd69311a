using Course.Ml.Hub;
using Course.Ml.Models;
using Course.Ml.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Course.Ml.Pipelines;

/// <summary>Limits every pipeline enforces on its inputs.</summary>
public sealed record PipelineOptions
{
    /// <summary>Longest text (characters) a pipeline accepts; longer input is refused with a clear error.</summary>
    public int MaxInputCharacters { get; init; } = 20_000;

    public static PipelineOptions Default { get; } = new();
}

/// <summary>An input a pipeline refuses (empty, too long, no mask token, …); <see cref="Index"/> says which of a batch's inputs.</summary>
public sealed class PipelineInputException(int index, string message) : ArgumentException(message)
{
    public int Index { get; } = index;
}

/// <summary>
/// HF's <c>pipeline(task, model)</c>: preprocess (tokenize) → forward (no gradients, one dispose scope per
/// batch, so no tensor outlives a request) → postprocess (softmax, labels from id2label, spans, …).
/// </summary>
public abstract class Pipeline : IDisposable
{
    public const string FeatureExtraction = "feature-extraction";
    public const string TextClassification = "text-classification";
    public const string TokenClassification = "token-classification";
    public const string QuestionAnswering = "question-answering";
    public const string FillMask = "fill-mask";

    public static IReadOnlyList<string> Tasks { get; } = [FeatureExtraction, TextClassification, TokenClassification, QuestionAnswering, FillMask];

    /// <summary>The attention maps of <see cref="AttentionPipeline"/>: the course's view, not an HF task, so not in <see cref="Tasks"/>.</summary>
    public const string Attention = "attention";

    protected Pipeline(string task, string modelId, PreTrainedTokenizer tokenizer, nn.Module model, PipelineOptions options)
    {
        Task = task;
        ModelId = modelId;
        Tokenizer = tokenizer;
        Model = model;
        Device = TorchDevices.Of(model);
        Options = options;
    }

    public string Task { get; }
    public string ModelId { get; }
    public PreTrainedTokenizer Tokenizer { get; }
    protected nn.Module Model { get; }
    public PipelineOptions Options { get; }

    /// <summary>
    /// Creates the pipeline for <paramref name="task"/> on a hub model, the model on <paramref name="device"/> (HF's
    /// <c>pipeline(…, device=)</c>; the process's resolved <c>Ml:Device</c>); refuses models without the task's head.
    /// </summary>
    public static Pipeline Create(string task, string modelId, ModelHub hub, Device device, PipelineOptions? options = null, IProgress<string>? progress = null)
    {
        options ??= PipelineOptions.Default;
        var tokenizer = AutoTokenizer.FromPretrained(modelId, hub, progress);
        switch (task)
        {
            case FeatureExtraction:
                return new FeatureExtractionPipeline(modelId, tokenizer, AutoModel.FromPretrained(modelId, hub, progress, device), options);
            case Attention:
                return new AttentionPipeline(modelId, tokenizer, AutoModel.FromPretrained(modelId, hub, progress, device), options);
            case TextClassification:
            {
                var (model, report) = AutoModelForSequenceClassification.FromPretrained(modelId, hub, progress: progress, device: device);
                return new TextClassificationPipeline(modelId, tokenizer, RequireHead(model, report, modelId, task), options);
            }
            case TokenClassification:
            {
                var (model, report) = AutoModelForTokenClassification.FromPretrained(modelId, hub, progress: progress, device: device);
                return new TokenClassificationPipeline(modelId, tokenizer, RequireHead(model, report, modelId, task), options);
            }
            case QuestionAnswering:
            {
                var (model, report) = AutoModelForQuestionAnswering.FromPretrained(modelId, hub, progress, device);
                return new QuestionAnsweringPipeline(modelId, tokenizer, RequireHead(model, report, modelId, task), options);
            }
            case FillMask:
            {
                var (model, report) = AutoModelForMaskedLM.FromPretrained(modelId, hub, progress, device);
                return new FillMaskPipeline(modelId, tokenizer, RequireHead(model, report, modelId, task), options);
            }
            default:
                throw new ArgumentException($"Unknown task '{task}'. Tasks: {string.Join(", ", Tasks)}.");
        }
    }

    /// <summary>HF would initialise a missing head at random and predict noise; a course should say so instead.</summary>
    private static T RequireHead<T>(T model, LoadReport report, string modelId, string task) where T : nn.Module
    {
        var missing = report.MissingKeys.Where(k => !k.StartsWith("bert.", StringComparison.Ordinal)).ToList();
        if (missing.Count > 0)
        {
            model.Dispose();
            throw new InvalidOperationException(
                $"{modelId} has no trained {task} head (missing {string.Join(", ", missing)}): fine-tune it for the task first, or pick a model whose card has pipeline_tag: {task}.");
        }
        return model;
    }

    protected void CheckText(string text, string what = "text")
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new ArgumentException($"The {what} is empty.");
        }
        if (text.Length > Options.MaxInputCharacters)
        {
            throw new ArgumentException($"The {what} has {text.Length:N0} characters; this pipeline accepts at most {Options.MaxInputCharacters:N0}.");
        }
    }

    /// <summary>Where the model is; the inputs are made there.</summary>
    protected Device Device { get; }

    /// <summary>A (B, T) int64 tensor on the model's device from one field of each encoding (all of equal length).</summary>
    protected Tensor Batch(IReadOnlyList<Tokenization.Encoding> encodings, Func<Tokenization.Encoding, int[]?> field)
    {
        var length = encodings[0].Length;
        var values = new long[encodings.Count * length];
        for (var row = 0; row < encodings.Count; row++)
        {
            var source = field(encodings[row]);
            for (var i = 0; i < length; i++)
            {
                values[row * length + i] = source?[i] ?? 0;
            }
        }
        return tensor(values, [encodings.Count, length], device: Device);
    }

    /// <summary>
    /// HF's pipeline batching (<c>pipe(inputs, batch_size=N)</c>). Every input becomes one or more encodings (a
    /// long question-answering context gives several windows); all inputs are checked and encoded before the
    /// model runs, so a bad input fails the call before any work. Consecutive encodings are padded to the
    /// longest of their batch of <paramref name="batchSize"/> and run together, without gradients and in one
    /// dispose scope per batch; <paramref name="forward"/> returns a (batch, …) float tensor, and each input's
    /// postprocessing gets its (padded) encodings with their rows of it. <paramref name="cancellationToken"/> is
    /// checked before each batch.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    protected IReadOnlyList<TOutput> RunBatched<TInput, TOutput>(IReadOnlyList<TInput> inputs, int batchSize,
        Func<TInput, IReadOnlyList<Tokenization.Encoding>> preprocess, Func<Tensor, Tensor?, Tensor, Tensor> forward,
        Func<TInput, IReadOnlyList<(Tokenization.Encoding Encoding, float[] Output)>, TOutput> postprocess,
        CancellationToken cancellationToken = default)
    {
        if (batchSize < 1)
        {
            throw new ArgumentException("batch_size must be at least 1.");
        }
        var windows = inputs.SelectMany((input, owner) =>
        {
            try
            {
                return preprocess(input).Select(encoding => (Owner: owner, Encoding: encoding));
            }
            catch (ArgumentException ex) when (ex is not PipelineInputException)
            {
                throw new PipelineInputException(owner, ex.Message);
            }
        }).ToList();
        var rows = new (Tokenization.Encoding Encoding, float[] Output)[windows.Count];
        for (var first = 0; first < windows.Count; first += batchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var batch = Tokenizer.Pad(windows.GetRange(first, Math.Min(batchSize, windows.Count - first)).ConvertAll(w => w.Encoding));
            float[] values;
            using (NewDisposeScope())
            using (inference_mode())
            {
                values = forward(Batch(batch, e => e.InputIds), AttentionMask(batch), Batch(batch, e => e.TokenTypeIds)).cpu().data<float>().ToArray();
            }
            var width = values.Length / batch.Count;
            for (var i = 0; i < batch.Count; i++)
            {
                rows[first + i] = (batch[i], values[(i * width)..((i + 1) * width)]);
            }
        }
        var byOwner = Enumerable.Range(0, windows.Count).ToLookup(i => windows[i].Owner, i => rows[i]);
        return inputs.Select((input, owner) => postprocess(input, byOwner[owner].ToList())).ToList();
    }

    /// <summary>The attention mask as a tensor, or null when nothing is padded (the model then skips masking).</summary>
    protected Tensor? AttentionMask(IReadOnlyList<Tokenization.Encoding> encodings) =>
        encodings.All(e => Array.TrueForAll(e.AttentionMask, m => m == 1)) ? null : Batch(encodings, e => e.AttentionMask);

    /// <summary>Numerically stable softmax of one row of logits.</summary>
    public static float[] Softmax(ReadOnlySpan<float> logits)
    {
        var max = float.NegativeInfinity;
        foreach (var l in logits) max = Math.Max(max, l);
        var result = new float[logits.Length];
        var sum = 0.0;
        for (var i = 0; i < logits.Length; i++)
        {
            result[i] = MathF.Exp(logits[i] - max);
            sum += result[i];
        }
        for (var i = 0; i < result.Length; i++) result[i] = (float)(result[i] / sum);
        return result;
    }

    protected TokenizerOptions Truncated => new() { Truncation = TruncationStrategy.LongestFirst, MaxLength = Tokenizer.ModelMaxLength };

    public void Dispose()
    {
        Model.Dispose();
        GC.SuppressFinalize(this);
    }
}
