using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Encodings.Web;
using System.Text.Json;
using Course.Ml.Hub;
using Course.Ml.Pipelines;
using Course.Web.Features.Hub;
using Course.Web.Features.Models;
using Course.Web.Features.Security;
using Microsoft.Extensions.Options;
using Course.Grading.Content;

namespace Course.Web.Features.Playgrounds;

/// <summary>The <c>Playground</c> section of appsettings.json.</summary>
public sealed class PlaygroundOptions
{
    public const string Section = "Playground";

    /// <summary>Batches running at once; further requests wait in line (and see their position).</summary>
    public int MaxConcurrentInferences { get; set; } = 2;

    /// <summary>Longest text (and QA context) a playground request may send.</summary>
    public int MaxInputCharacters { get; set; } = 2_000;

    /// <summary>Requests that may wait for a batch; beyond it a request is refused, so the line cannot grow without bound.</summary>
    public int MaxWaitingInferences { get; set; } = 20;

    /// <summary>Requests (of all users, same task and model) run as one padded batch; 1 runs each request alone.</summary>
    public int MaxBatchSize { get; set; } = 16;

    /// <summary>How long the oldest waiting request waits for others to join its batch, unless the batch fills first.</summary>
    public int BatchWindowMilliseconds { get; set; } = 5;

    /// <summary>A requester's requests in one batch; the rest of theirs wait for the next, so one user cannot fill a batch.</summary>
    public int MaxPerUserInBatch { get; set; } = 2;

    /// <summary>Longest input (tokens, [CLS] and [SEP] included) the attention view draws: a head has a line per pair of tokens.</summary>
    public int MaxAttentionTokens { get; set; } = 48;

    /// <summary>What is wrong with the settings, one line per bad value naming its key; empty when all are in range.</summary>
    public IEnumerable<string> Errors()
    {
        string? Check(string key, int value, int max, string why) => value < 1 || value > max
            ? $"{Section}:{key} is {value}; it must be between 1 and {max:N0} ({why})." : null;
        return new[]
        {
            Check(nameof(MaxConcurrentInferences), MaxConcurrentInferences, 64, "batches running at once"),
            Check(nameof(MaxInputCharacters), MaxInputCharacters, PipelineOptions.Default.MaxInputCharacters, "characters per field"),
            Check(nameof(MaxWaitingInferences), MaxWaitingInferences, 10_000, "requests waiting in line"),
            Check(nameof(MaxBatchSize), MaxBatchSize, 256, "requests per batch"),
            Check(nameof(BatchWindowMilliseconds), BatchWindowMilliseconds, 1_000, "milliseconds a request waits for others to join its batch"),
            Check(nameof(MaxPerUserInBatch), MaxPerUserInBatch, 256, "one requester's requests per batch"),
            Check(nameof(MaxAttentionTokens), MaxAttentionTokens, 512, "tokens the attention view draws"),
        }.OfType<string>();
    }

    /// <summary>Fails the site's start with every bad value (ValidateOnStart), before it serves a request.</summary>
    internal sealed class Validation : IValidateOptions<PlaygroundOptions>
    {
        public ValidateOptionsResult Validate(string? name, PlaygroundOptions options) =>
            options.Errors().ToList() is { Count: > 0 } errors ? ValidateOptionsResult.Fail(errors) : ValidateOptionsResult.Success;
    }
}

/// <param name="Context">The question-answering context, or the attention view's second sentence.</param>
public sealed record InferenceRequest(string Task, string Model, string Text, string? Context = null,
    AggregationStrategy Aggregation = AggregationStrategy.Simple, int TopK = 5);

/// <summary>A pipeline's answer: the typed output, its JSON as HF prints it, and how long the model took.</summary>
public sealed record InferenceResult(object? Output, string Json, TimeSpan Elapsed, string? Error)
{
    public static InferenceResult Failed(string error) => new(null, "", TimeSpan.Zero, error);
}

/// <summary>
/// Runs playground requests in dynamic micro-batches (<see cref="InferenceBatcher"/>, one line per task and model)
/// on a bounded pool: at most <see cref="PlaygroundOptions.MaxConcurrentInferences"/> batches at once, the waiting
/// requests told their position, up to <see cref="PlaygroundOptions.MaxWaitingInferences"/>; each requester is
/// rate-limited (<see cref="LimitedAction.Inference"/>), since the playgrounds need no sign-in. Pipelines are
/// loaded once per model and reused. A failing or refused request returns its error, never fails the other
/// requests of its batch, and never takes the caller (a Blazor circuit) down.
/// </summary>
public sealed class InferenceService(
    ModelHub hub, TorchSharp.torch.Device device, DemoBuildStatus demos, HubVisibility visibility, RequestLimiter limiter, IOptions<PlaygroundOptions> options,
    TimeProvider time) : IDisposable
{
    /// <summary>The model each task uses unless a lesson or the student picks another.</summary>
    public static IReadOnlyDictionary<string, string> DemoModelFor => WidgetReferences.DemoModelFor;

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    // The site checks these at start; a service built by hand (the load harness) gets the same message.
    private readonly PlaygroundOptions _options = options.Value.Errors().ToList() is { Count: > 0 } errors
        ? throw new ArgumentException(string.Join(" ", errors)) : options.Value;
    private readonly SemaphoreSlim _slots = new(options.Value.MaxConcurrentInferences, options.Value.MaxConcurrentInferences);
    private readonly ConcurrentDictionary<(string, string), Lazy<Pipeline>> _pipelines = new();
    private readonly ConcurrentDictionary<(string, string), InferenceBatcher> _lines = new();

    /// <summary>Each batch as it starts (the load harness's mean batch size; the tests' view of the fair share).</summary>
    public event Action<InferenceBatch>? BatchTaken;

    /// <summary>Requests waiting for a batch right now.</summary>
    public int Waiting => _lines.Values.Sum(line => line.Waiting);

    public int MaxInputCharacters => _options.MaxInputCharacters;

    /// <summary>
    /// The models the playground offers for <paramref name="task"/>: the task's demo model first (listed while it is
    /// still being built, so the picker shows what is coming), then every hub model whose card's <c>pipeline_tag</c>
    /// is the task and that <paramref name="requester"/> may see, by id.
    /// </summary>
    public async Task<IReadOnlyList<string>> ModelsForAsync(string task, Requester requester, CancellationToken cancellationToken = default)
    {
        var access = await visibility.ForAsync(requester.UserId, requester.IsInstructor, cancellationToken);
        var demo = DemoModelFor.GetValueOrDefault(task);
        var others = hub.List(new HubQuery(Task: task)).Select(m => m.Id).Where(id => id != demo && access.CanSee(id)).Order(StringComparer.Ordinal);
        return [.. demo is null ? [] : new[] { demo }, .. others];
    }

    /// <param name="queuePosition">Told the caller's place in line (1 = next) while it waits; 0 once it runs.</param>
    public async Task<InferenceResult> RunAsync(InferenceRequest request, Requester requester, IProgress<int>? queuePosition = null, CancellationToken cancellationToken = default)
    {
        if (Validate(request) is { } problem)
        {
            return InferenceResult.Failed(problem);
        }
        if (!await visibility.CanSeeAsync(request.Model, requester.UserId, requester.IsInstructor, cancellationToken))
        {
            return InferenceResult.Failed(HubAccess.NotFound(request.Model));
        }
        if (Waiting >= _options.MaxWaitingInferences)
        {
            return InferenceResult.Failed($"The playground is busy ({Waiting} requests waiting); try again in a few seconds.");
        }
        if (limiter.Check(LimitedAction.Inference, requester.UserId, requester.Address) is { } refusal)
        {
            return InferenceResult.Failed(refusal);
        }
        var line = _lines.GetOrAdd((request.Task, request.Model), key => new InferenceBatcher(key.Item1, key.Item2, Run, _slots, _options, time, batch => BatchTaken?.Invoke(batch)));
        return await line.RunAsync(request, requester.UserId ?? requester.Address ?? "", queuePosition, cancellationToken);
    }

    private string? Validate(InferenceRequest request)
    {
        if (!DemoModelFor.ContainsKey(request.Task) && request.Task != Pipeline.Attention)
        {
            return $"Unknown task '{request.Task}' (text-classification, token-classification, question-answering, fill-mask, attention).";
        }
        if (string.IsNullOrWhiteSpace(request.Text))
        {
            return request.Task == Pipeline.QuestionAnswering ? "Type a question." : "Type some text.";
        }
        if (request.Text.Length > MaxInputCharacters || request.Context?.Length > MaxInputCharacters)
        {
            return $"The playground accepts at most {MaxInputCharacters:N0} characters per field.";
        }
        if (request.Task == Pipeline.QuestionAnswering && string.IsNullOrWhiteSpace(request.Context))
        {
            return "Question answering needs a context to find the answer in.";
        }
        if (request.Task == Pipeline.FillMask && !request.Text.Contains("[MASK]", StringComparison.Ordinal))
        {
            return "Put exactly one [MASK] where the model should fill in a word.";
        }
        if (demos.IsPending(request.Model))
        {
            var progress = demos.ProgressOf(request.Model);
            return $"{request.Model} is still being built ({progress?.Step ?? 0}/{progress?.TotalSteps ?? 0} steps); try again in a few minutes.";
        }
        return null;
    }

    /// <summary>
    /// One batch of requests for the same task and model, synchronously on the caller's thread (the pipeline's dispose
    /// scope is thread-bound). An input the pipeline refuses (one the checks above could not foresee) fails alone and
    /// the rest run again without it.
    /// </summary>
    private IReadOnlyList<InferenceResult> Run(IReadOnlyList<InferenceRequest> requests)
    {
        var (task, model) = (requests[0].Task, requests[0].Model);
        var results = new InferenceResult?[requests.Count];
        try
        {
            var pipeline = _pipelines.GetOrAdd((task, model), key => new Lazy<Pipeline>(() => Pipeline.Create(key.Item1, key.Item2, hub, device))).Value;
            while (Array.IndexOf(results, null) >= 0)
            {
                var open = Enumerable.Range(0, requests.Count).Where(i => results[i] is null).ToList();
                try
                {
                    var watch = Stopwatch.StartNew();
                    var outputs = Predict(pipeline, open.ConvertAll(i => requests[i]));
                    watch.Stop();
                    foreach (var (i, output) in open.Zip(outputs))
                    {
                        var printed = output switch
                        {
                            ClassificationResult c => c.Scores,
                            AttentionMaps a => new { tokens = a.Tokens, attentions = a.Shape }, // the weights are drawn, not printed
                            _ => output,
                        };
                        results[i] = new InferenceResult(output, JsonSerializer.Serialize(printed, Json), watch.Elapsed, null);
                    }
                }
                catch (PipelineInputException ex)
                {
                    results[open[ex.Index]] = InferenceResult.Failed(ex.Message);
                }
            }
            return results!;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or KeyNotFoundException or IOException or NotSupportedException or InvalidDataException)
        {
            // A model that failed to load is tried again next time (e.g. installed a moment later); a loaded one stays.
            if (_pipelines.TryGetValue((task, model), out var lazy) && !lazy.IsValueCreated)
            {
                _pipelines.TryRemove((task, model), out _);
            }
            return [.. requests.Select(_ => InferenceResult.Failed(ex.Message))];
        }
    }

    /// <summary>The batch's outputs, each request with its own settings; windows of question answering batched up to the batch size too.</summary>
    private IReadOnlyList<object> Predict(Pipeline pipeline, IReadOnlyList<InferenceRequest> requests) => pipeline switch
    {
        TextClassificationPipeline p => [.. p.Run(requests.Select(r => r.Text).ToList(), _options.MaxBatchSize)],
        TokenClassificationPipeline p => [.. p.Run(requests.Select(r => (r.Text, r.Aggregation)).ToList(), _options.MaxBatchSize)],
        QuestionAnsweringPipeline p => [.. p.Run(requests.Select(r => (r.Text, r.Context!, new QuestionAnsweringOptions { TopK = Math.Clamp(r.TopK, 1, 10) })).ToList(), _options.MaxBatchSize)],
        FillMaskPipeline p => [.. p.Run(requests.Select(r => (r.Text, Math.Clamp(r.TopK, 1, 20))).ToList(), _options.MaxBatchSize)],
        AttentionPipeline p => [.. p.Run(requests.Select(r => (r.Text, r.Context)).ToList(), _options.MaxAttentionTokens)],
        _ => throw new InvalidOperationException($"The playground does not show {requests[0].Task}."),
    };

    public void Dispose()
    {
        foreach (var lazy in _pipelines.Values.Where(l => l.IsValueCreated))
        {
            lazy.Value.Dispose();
        }
        _slots.Dispose();
    }
}
