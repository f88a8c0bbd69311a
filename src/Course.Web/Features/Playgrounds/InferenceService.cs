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

    /// <summary>Pipelines running at once; further requests wait in line (and see their position).</summary>
    public int MaxConcurrentInferences { get; set; } = 2;

    /// <summary>Longest text (and QA context) a playground request may send.</summary>
    public int MaxInputCharacters { get; set; } = 2_000;

    /// <summary>Requests that may wait for a slot; beyond it a request is refused, so the line cannot grow without bound.</summary>
    public int MaxWaitingInferences { get; set; } = 20;
}

public sealed record InferenceRequest(string Task, string Model, string Text, string? Context = null,
    AggregationStrategy Aggregation = AggregationStrategy.Simple, int TopK = 5);

/// <summary>A pipeline's answer: the typed output, its JSON as HF prints it, and how long the model took.</summary>
public sealed record InferenceResult(object? Output, string Json, TimeSpan Elapsed, string? Error)
{
    public static InferenceResult Failed(string error) => new(null, "", TimeSpan.Zero, error);
}

/// <summary>
/// Runs playground requests on a bounded pool: at most <see cref="PlaygroundOptions.MaxConcurrentInferences"/>
/// pipelines at once, the rest queued with their position reported, up to <see cref="PlaygroundOptions.MaxWaitingInferences"/>;
/// each requester is rate-limited (<see cref="LimitedAction.Inference"/>), since the playgrounds need no sign-in.
/// Pipelines are loaded once per model and reused. A failing or refused request returns its error and never
/// takes the caller (a Blazor circuit) down.
/// </summary>
public sealed class InferenceService(
    ModelHub hub, TorchSharp.torch.Device device, DemoBuildStatus demos, HubVisibility visibility, RequestLimiter limiter, IOptions<PlaygroundOptions> options) : IDisposable
{
    /// <summary>The model each task uses unless a lesson or the student picks another.</summary>
    public static IReadOnlyDictionary<string, string> DemoModelFor => WidgetReferences.DemoModelFor;

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly SemaphoreSlim _slots = new(options.Value.MaxConcurrentInferences, options.Value.MaxConcurrentInferences);
    private readonly ConcurrentDictionary<(string, string), Lazy<Pipeline>> _pipelines = new();
    private int _waiting;

    /// <summary>Requests waiting for a slot right now.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    public int MaxInputCharacters => options.Value.MaxInputCharacters;

    /// <summary>
    /// The models the playground offers for <paramref name="task"/>: the task's demo model first (listed while it is
    /// still being built, so the picker shows what is coming), then every hub model whose card's <c>pipeline_tag</c>
    /// is the task and that <paramref name="requester"/> may see, by id.
    /// </summary>
    public async Task<IReadOnlyList<string>> ModelsForAsync(string task, Requester requester, CancellationToken cancellationToken = default)
    {
        var access = await visibility.ForAsync(requester.IsInstructor, cancellationToken);
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
        if (!await visibility.CanSeeAsync(request.Model, requester.IsInstructor, cancellationToken))
        {
            return InferenceResult.Failed(HubAccess.NotFound(request.Model));
        }
        if (_slots.CurrentCount == 0 && Waiting >= options.Value.MaxWaitingInferences)
        {
            return InferenceResult.Failed($"The playground is busy ({Waiting} requests waiting); try again in a few seconds.");
        }
        if (limiter.Check(LimitedAction.Inference, requester.UserId, requester.Address) is { } refusal)
        {
            return InferenceResult.Failed(refusal);
        }
        var position = Interlocked.Increment(ref _waiting);
        var entered = false;
        try
        {
            if (!_slots.Wait(0))
            {
                queuePosition?.Report(position);
                await _slots.WaitAsync(cancellationToken);
            }
            entered = true;
            Interlocked.Decrement(ref _waiting);
            queuePosition?.Report(0);
            // Pipelines are synchronous work; a pool thread keeps the circuit responsive.
            return await Task.Run(() => Run(request), cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return InferenceResult.Failed("Cancelled.");
        }
        finally
        {
            if (entered)
            {
                _slots.Release();
            }
            else
            {
                Interlocked.Decrement(ref _waiting);
            }
        }
    }

    private string? Validate(InferenceRequest request)
    {
        if (!DemoModelFor.ContainsKey(request.Task))
        {
            return $"Unknown task '{request.Task}' (text-classification, token-classification, question-answering, fill-mask).";
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

    private InferenceResult Run(InferenceRequest request)
    {
        try
        {
            var pipeline = _pipelines.GetOrAdd((request.Task, request.Model), key => new Lazy<Pipeline>(() => Pipeline.Create(key.Item1, key.Item2, hub, device))).Value;
            var watch = Stopwatch.StartNew();
            object output = pipeline switch
            {
                TextClassificationPipeline p => p.Run(request.Text),
                TokenClassificationPipeline p => p.Run(request.Text, request.Aggregation),
                QuestionAnsweringPipeline p => p.Run(request.Text, request.Context!, new QuestionAnsweringOptions { TopK = Math.Clamp(request.TopK, 1, 10) }),
                FillMaskPipeline p => p.Run(request.Text, Math.Clamp(request.TopK, 1, 20)),
                _ => throw new InvalidOperationException($"The playground does not show {request.Task}."),
            };
            watch.Stop();
            var printed = output is ClassificationResult c ? c.Scores : output;
            return new InferenceResult(output, JsonSerializer.Serialize(printed, Json), watch.Elapsed, null);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or KeyNotFoundException or IOException or NotSupportedException or InvalidDataException)
        {
            // A model that failed to load is tried again next time (e.g. installed a moment later); a loaded one stays.
            if (_pipelines.TryGetValue((request.Task, request.Model), out var lazy) && !lazy.IsValueCreated)
            {
                _pipelines.TryRemove((request.Task, request.Model), out _);
            }
            return InferenceResult.Failed(ex.Message);
        }
    }

    public void Dispose()
    {
        foreach (var lazy in _pipelines.Values.Where(l => l.IsValueCreated))
        {
            lazy.Value.Dispose();
        }
        _slots.Dispose();
    }
}
