using Bunit;
using Course.Core.Content;
using Course.Ml.Hub;
using Course.Ml.Pipelines;
using Course.Tests.Shared;
using Course.Web.Components.Playgrounds;
using Course.Web.Features.Models;
using Course.Web.Features.Playgrounds;
using Course.Web.Features.Hub;
using Course.Web.Features.Security;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Course.Web.Tests;

/// <summary>A hub with the demo ids as tiny random models, shared by the playground tests (built once).</summary>
public sealed class TinyHub : IDisposable
{
    public ModelHub Hub { get; } = new(Directory.CreateTempSubdirectory("course-web-hub-").FullName);

    public TinyHub() => TinyDemoModels.WriteTo(Hub);

    public void Dispose() => Directory.Delete(Hub.Root, recursive: true);
}

public class TokenizerPlaygroundServiceTests(TinyHub tiny) : IClassFixture<TinyHub>
{
    private readonly TokenizerPlaygroundService _service = new(tiny.Hub);

    [Fact]
    public void Gpt2_tokens_carry_ids_offsets_and_words_and_decode_back_to_the_text()
    {
        var view = _service.Tokenize("gpt2", "hello world");

        Assert.Equal(["hello", "Ġworld"], view.Tokens.Select(t => t.Token));
        Assert.Equal([31373, 995], view.Tokens.Select(t => t.Id));
        Assert.Equal([(0, 5), (5, 11)], view.Tokens.Select(t => (t.Start, t.End)));
        Assert.Equal((11, "hello world", true), (view.Characters, view.Decoded, view.RoundTrips));
        Assert.Equal(50257, view.VocabSize);
    }

    [Fact]
    public void The_vocabulary_explorer_finds_tokens_by_text_or_id_and_lists_special_tokens()
    {
        var byText = _service.Vocabulary("gpt2", "hello");
        var byId = _service.Vocabulary("gpt2", "995");

        Assert.Contains(("hello", 31373), byText.Matches);
        Assert.Equal([("Ġworld", 995)], byId.Matches);
        Assert.Contains(byText.SpecialTokens, s => s.Token == "<|endoftext|>");
    }

    [Fact]
    public void Stages_show_what_each_step_made_of_the_text_with_original_spans()
    {
        var view = _service.Stages(TokenizerPlaygroundService.DefaultTokenizer, "Héllo,  you", "Ok");

        Assert.Equal(["normalizer $A", "pre_tokenizer $A", "model $A", "normalizer $B", "pre_tokenizer $B", "model $B", "post_processor "],
            view.Rows.Select(r => $"{r.Stage} {r.Sequence}"));
        // The normaliser lower-cased H and stripped é's accent; the two spaces stay two.
        Assert.Equal([("h", "H", true), ("e", "é", true), ("llo,  you", "llo,  you", false)],
            view.Rows[0].Chips.Select(c => (c.Text, c.Original, c.Changed)));
        Assert.Equal([("hello", 0, 5, "Héllo"), (",", 5, 6, ","), ("you", 8, 11, "you")], view.Rows[1].Chips.Select(c => (c.Text, c.Start, c.End, c.Original)));
        Assert.Equal([7592, 1010, 2017], view.Rows[2].Chips.Select(c => c.Id!.Value));
        Assert.Equal(["[CLS]", "hello", ",", "you", "[SEP]", "ok", "[SEP]"], view.Rows[^1].Chips.Select(c => c.Text));
        Assert.Equal("Ok", view.Rows[^1].Chips[5].Original);
        Assert.Equal("[CLS] $A [SEP] $B:1 [SEP]:1", view.PostProcessor);
    }

    [Fact]
    public void Oversized_or_empty_text_and_unknown_tokenizers_get_clear_errors()
    {
        Assert.Contains("at most 5,000 characters", Assert.Throws<ArgumentException>(() => _service.Stages("gpt2", new string('a', 5_001))).Message);
        Assert.Contains("Type some text", Assert.Throws<ArgumentException>(() => _service.Stages("gpt2", "")).Message);
        Assert.Contains("at most 5,000 characters", Assert.Throws<ArgumentException>(() => _service.Tokenize("gpt2", new string('a', 5_001))).Message);
        Assert.Contains("Type some text", Assert.Throws<ArgumentException>(() => _service.Tokenize("gpt2", "")).Message);
        Assert.Contains("Unknown tokenizer 'bert-large'", Assert.Throws<ArgumentException>(() => _service.Tokenize("bert-large", "x")).Message);
    }
}

public class InferenceServiceTests(TinyHub tiny) : IClassFixture<TinyHub>, IDisposable
{
    private static readonly Requester Visitor = new(null, "203.0.113.7", false);

    private readonly TestDatabase _database = new();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 28, 9, 0, 0, TimeSpan.Zero));

    private InferenceService Service(int slots = 2, RateLimitOptions? limits = null, DemoBuildStatus? demos = null) =>
        new(tiny.Hub, TorchSharp.torch.CPU, demos ?? new DemoBuildStatus(), new HubVisibility(_database.Factory, TestContent.Repository, _clock), new RequestLimiter(Options.Create(limits ?? new RateLimitOptions()), _clock),
            Options.Create(new PlaygroundOptions { MaxConcurrentInferences = slots }), TimeProvider.System);

    public void Dispose() => _database.Dispose();

    [Theory]
    [InlineData(Pipeline.TextClassification, "Great phone.", null, typeof(ClassificationResult))]
    [InlineData(Pipeline.TokenClassification, "Ada Lovelace lived in London.", null, typeof(List<EntityPrediction>))]
    [InlineData(Pipeline.QuestionAnswering, "Where did she live?", "Ada Lovelace lived in London.", typeof(List<QuestionAnswer>))]
    [InlineData(Pipeline.FillMask, "She lived in [MASK].", null, typeof(List<MaskPrediction>))]
    public async Task Each_pipeline_answers_with_its_typed_output_json_and_time(string task, string text, string? context, Type output)
    {
        using var service = Service();
        var result = await service.RunAsync(new InferenceRequest(task, InferenceService.DemoModelFor[task], text, context), Visitor);

        Assert.Null(result.Error);
        Assert.IsAssignableFrom(output, result.Output);
        Assert.StartsWith("[", result.Json.TrimStart()); // HF prints a list for every one of these pipelines
        Assert.True(result.Elapsed > TimeSpan.Zero);
    }

    [Fact]
    public async Task Attention_shows_the_weights_of_the_models_forward_pass_with_output_attentions()
    {
        using var service = Service();
        var result = await service.RunAsync(new InferenceRequest(Pipeline.Attention, "course/minilm-sentiment", "Great phone.", "Bad case."), Visitor);

        Assert.Null(result.Error);
        var maps = Assert.IsType<AttentionMaps>(result.Output);
        Assert.Equal(["[CLS]", "great", "phone", ".", "[SEP]", "bad", "case", ".", "[SEP]"], maps.Tokens);
        Assert.Contains("\"attentions\": \"1 × (1, 2, 9, 9)\"", result.Json);
        // The same forward pass done by hand: the bare encoder from the same checkpoint, output_attentions on.
        var encoding = Course.Ml.Tokenization.AutoTokenizer.FromPretrained("course/minilm-sentiment", tiny.Hub).Encode("Great phone.", "Bad case.");
        using var model = Course.Ml.Models.AutoModel.FromPretrained("course/minilm-sentiment", tiny.Hub);
        using var ids = TorchSharp.torch.tensor(encoding.InputIds.Select(i => (long)i).ToArray(), [1, encoding.Length]);
        using var types = TorchSharp.torch.tensor(encoding.TokenTypeIds!.Select(i => (long)i).ToArray(), [1, encoding.Length]);
        using var noGrad = TorchSharp.torch.no_grad();
        using var output = model.forward(ids, tokenTypeIds: types, outputAttentions: true);
        Assert.Equal(output.Attentions![0].data<float>().ToArray(), maps.Attentions[0].SelectMany(head => head.SelectMany(row => row)).ToArray());
    }

    [Fact]
    public async Task Attention_refuses_empty_and_oversized_input_with_what_to_change()
    {
        using var service = new InferenceService(tiny.Hub, TorchSharp.torch.CPU, new DemoBuildStatus(), new HubVisibility(_database.Factory, TestContent.Repository, _clock),
            new RequestLimiter(Options.Create(new RateLimitOptions()), _clock), Options.Create(new PlaygroundOptions { MaxAttentionTokens = 8 }), TimeProvider.System);
        InferenceRequest Request(string text, string? pair = null) => new(Pipeline.Attention, "course/minilm-sentiment", text, pair);

        Assert.Equal("Type some text.", (await service.RunAsync(Request(" "), Visitor)).Error);
        Assert.Equal("The playground accepts at most 2,000 characters per field.", (await service.RunAsync(Request("Hi", new string('x', 2_001)), Visitor)).Error);
        Assert.Equal("The input makes 9 tokens ([CLS] and [SEP] included); at most 8 are shown: shorten it.",
            (await service.RunAsync(Request("Great phone.", "Bad case."), Visitor)).Error);
        Assert.Null((await service.RunAsync(Request("Great phone.", "Bad."), Visitor)).Error);
    }

    [Fact]
    public async Task Bad_requests_fail_with_a_message_and_the_service_keeps_working()
    {
        using var service = Service();

        Assert.Contains("at most 2,000 characters", (await service.RunAsync(new InferenceRequest(Pipeline.TextClassification, "course/minilm-sentiment", new string('x', 2_001)), Visitor)).Error);
        Assert.Contains("needs a context", (await service.RunAsync(new InferenceRequest(Pipeline.QuestionAnswering, "course/minilm-qa", "Where?"), Visitor)).Error);
        Assert.Contains("exactly one [MASK]", (await service.RunAsync(new InferenceRequest(Pipeline.FillMask, "course/minilm-fill-mask", "no mask"), Visitor)).Error);
        Assert.Contains("Unknown model 'course/nope'", (await service.RunAsync(new InferenceRequest(Pipeline.TextClassification, "course/nope", "Hi"), Visitor)).Error);
        Assert.Null((await service.RunAsync(new InferenceRequest(Pipeline.TextClassification, "course/minilm-sentiment", "Hi"), Visitor)).Error);
    }

    [Fact]
    public async Task Requests_beyond_the_pool_wait_and_learn_their_place_in_line()
    {
        using var service = Service(slots: 1);
        var positions = new List<int>();
        var requests = Enumerable.Range(0, 6).Select(i => service.RunAsync(
            new InferenceRequest(Pipeline.FillMask, "course/minilm-fill-mask", $"Request {i} is [MASK]."),
            Visitor, new SynchronousProgress(p => { lock (positions) positions.Add(p); }))).ToList();

        var results = await Task.WhenAll(requests);

        Assert.All(results, r => Assert.Null(r.Error));
        Assert.Contains(positions, p => p > 0);
        Assert.Equal(0, service.Waiting);
    }

    [Fact]
    public async Task A_demo_model_still_being_built_is_announced_not_loaded()
    {
        var status = new DemoBuildStatus();
        status.Update([new Course.Core.Data.DemoBuild { ModelId = "course/minilm-qa", State = Course.Core.Data.DemoBuildState.Running, ProgressJson = "{\"Step\":12,\"TotalSteps\":400}" }]);
        using var service = Service(demos: status);

        var result = await service.RunAsync(new InferenceRequest(Pipeline.QuestionAnswering, "course/minilm-qa", "Who?", "Ada."), Visitor);

        Assert.Equal("course/minilm-qa is still being built (12/400 steps); try again in a few minutes.", result.Error);
    }

    [Fact]
    public async Task A_visitor_past_the_inference_limit_is_told_to_wait_and_runs_again_after_the_window()
    {
        using var service = Service(limits: new RateLimitOptions { Inference = new RateLimitRule { PerUser = 5, PerAddress = 2, WindowSeconds = 60 } });
        var request = new InferenceRequest(Pipeline.TextClassification, "course/minilm-sentiment", "Hi");

        Assert.Null((await service.RunAsync(request, Visitor)).Error);
        Assert.Null((await service.RunAsync(request, Visitor)).Error);
        var refused = await service.RunAsync(request, Visitor);
        var otherAddress = await service.RunAsync(request, Visitor with { Address = "198.51.100.1" });
        _clock.Advance(TimeSpan.FromSeconds(60));
        var later = await service.RunAsync(request, Visitor);

        Assert.Equal("Too many playground runs; try again in 60 s.", refused.Error);
        Assert.Null(refused.Output);
        Assert.Null(otherAddress.Error);
        Assert.Null(later.Error);
    }

    [Fact]
    public async Task A_kept_submission_model_runs_for_instructors_and_not_for_visitors()
    {
        const string id = "submissions/submission-7";
        CopyFolder(tiny.Hub.PathOf("course/minilm-sentiment"), tiny.Hub.PathOf(id));
        using var service = Service();
        var request = new InferenceRequest(Pipeline.TextClassification, id, "Great phone.");

        var hidden = await service.RunAsync(request, Visitor);
        var forInstructor = await service.RunAsync(request, new Requester("teacher", "203.0.113.7", true));

        Assert.Equal("There is no model 'submissions/submission-7' in the local hub.", hidden.Error);
        Assert.Null(forInstructor.Error);
    }

    [Fact]
    public async Task The_model_picker_offers_the_demo_model_first_then_the_visible_hub_models_of_the_task()
    {
        var hub = new ModelHub(Directory.CreateTempSubdirectory("course-web-picker-").FullName);
        try
        {
            TinyDemoModels.WriteTo(hub);
            CopyFolder(hub.PathOf("course/minilm-sentiment"), hub.PathOf("acme/reviews-sentiment"));
            CopyFolder(hub.PathOf("course/minilm-sentiment"), hub.PathOf("submissions/submission-9"));
            using var service = new InferenceService(hub, TorchSharp.torch.CPU, new DemoBuildStatus(), new HubVisibility(_database.Factory, TestContent.Repository, _clock),
                new RequestLimiter(Options.Create(new RateLimitOptions()), _clock), Options.Create(new PlaygroundOptions()), TimeProvider.System);

            Assert.Equal(["course/minilm-sentiment", "acme/reviews-sentiment"], await service.ModelsForAsync(Pipeline.TextClassification, Visitor));
            Assert.Equal(["course/minilm-sentiment", "acme/reviews-sentiment", "submissions/submission-9"],
                await service.ModelsForAsync(Pipeline.TextClassification, new Requester("teacher", "203.0.113.7", true)));
            Assert.Equal(["course/minilm-ner"], await service.ModelsForAsync(Pipeline.TokenClassification, Visitor));
        }
        finally
        {
            Directory.Delete(hub.Root, recursive: true);
        }
    }

    private static readonly RateLimitOptions Unlimited = new() { Inference = new RateLimitRule { PerUser = 0, PerAddress = 0 } };

    /// <summary>A batching service whose window closes only when the test moves <paramref name="time"/>: batches form deterministically.</summary>
    private InferenceService Batching(TimeProvider time, int maxBatchSize = 16) =>
        new(tiny.Hub, TorchSharp.torch.CPU, new DemoBuildStatus(), new HubVisibility(_database.Factory, TestContent.Repository, _clock), new RequestLimiter(Options.Create(Unlimited), _clock),
            Options.Create(new PlaygroundOptions { MaxBatchSize = maxBatchSize, BatchWindowMilliseconds = 50, MaxPerUserInBatch = 2 }), time);

    /// <summary>
    /// A batching service on a clock of the test's own, and the batches it takes after a first one of
    /// <paramref name="line"/>'s task and model, held (in the event, so the line counts it as running) until the
    /// clock first moves: the requests a test sends meanwhile gather in line, as behind a busy model, and go when
    /// the test closes the window.
    /// </summary>
    private async Task<(InferenceService Service, FakeTimeProvider Clock, List<InferenceBatch> Batches)> HeldAsync(InferenceRequest line)
    {
        var clock = new FakeTimeProvider();
        var service = Batching(clock);
        var batches = new List<InferenceBatch>();
        var moved = new ManualResetEventSlim();
        var timer = clock.CreateTimer(_ => moved.Set(), null, TimeSpan.FromMilliseconds(1), Timeout.InfiniteTimeSpan);
        var first = new TaskCompletionSource();
        service.BatchTaken += batch =>
        {
            if (batch.Requesters.SequenceEqual(["held"]))
            {
                first.SetResult();
                moved.Wait(TimeSpan.FromMinutes(2)); // a generous limit only so a broken build ends
                timer.Dispose();
                moved.Dispose();
            }
            else
            {
                lock (batches) batches.Add(batch);
            }
        };
        _ = Task.Run(() => service.RunAsync(line, User("held")));
        await first.Task;
        return (service, clock, batches);
    }

    /// <summary>Once <paramref name="waiting"/> requests are in line, the window passes: they go as one batch (fair share allowing).</summary>
    private static async Task CloseWindowAsync(InferenceService service, FakeTimeProvider clock, int waiting)
    {
        await Until(() => service.Waiting == waiting);
        clock.Advance(TimeSpan.FromMilliseconds(50));
    }

    private static Requester User(string id) => new(id, "203.0.113.7", false);

    /// <summary>Waits for a state the service reaches on other threads; a generous limit only so a broken build ends.</summary>
    private static async Task Until(Func<bool> condition)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        while (!condition())
        {
            await Task.Delay(5, limit.Token);
        }
    }

    /// <summary>Numbers equal within float tolerance (padding changes the sums' order), everything else exactly.</summary>
    private static void AssertSameOutput(System.Text.Json.JsonElement expected, System.Text.Json.JsonElement actual)
    {
        Assert.Equal(expected.ValueKind, actual.ValueKind);
        switch (expected.ValueKind)
        {
            case System.Text.Json.JsonValueKind.Number:
                Assert.Equal(expected.GetDouble(), actual.GetDouble(), 1e-4);
                break;
            case System.Text.Json.JsonValueKind.Array:
                Assert.Equal(expected.GetArrayLength(), actual.GetArrayLength());
                foreach (var (e, a) in expected.EnumerateArray().Zip(actual.EnumerateArray())) AssertSameOutput(e, a);
                break;
            case System.Text.Json.JsonValueKind.Object:
                Assert.Equal(expected.EnumerateObject().Select(p => p.Name), actual.EnumerateObject().Select(p => p.Name));
                foreach (var property in expected.EnumerateObject()) AssertSameOutput(property.Value, actual.GetProperty(property.Name));
                break;
            default:
                Assert.Equal(expected.ToString(), actual.ToString());
                break;
        }
    }

    [Theory]
    [InlineData(Pipeline.TextClassification)]
    [InlineData(Pipeline.TokenClassification)]
    [InlineData(Pipeline.QuestionAnswering)]
    [InlineData(Pipeline.FillMask)]
    public async Task A_batch_of_several_users_requests_answers_each_as_a_request_run_alone(string task)
    {
        var model = InferenceService.DemoModelFor[task];
        // Different lengths, so the batch pads; a long QA context gives several windows.
        InferenceRequest[] requests = task switch
        {
            Pipeline.QuestionAnswering =>
            [
                new(task, model, "Where did she live?", "Ada Lovelace lived in London.", TopK: 1),
                new(task, model, "Who worked with Charles Babbage on the engine?", string.Join(" ", Enumerable.Repeat("Ada Lovelace worked with Charles Babbage in London.", 30)), TopK: 3),
                new(task, model, "When?", "In 1843.", TopK: 2),
            ],
            Pipeline.FillMask =>
            [
                new(task, model, "She lived in [MASK].", TopK: 1),
                new(task, model, "Ada Lovelace worked with Charles Babbage in [MASK] on the Analytical Engine.", TopK: 3),
                new(task, model, "[MASK] phone.", TopK: 2),
            ],
            _ =>
            [
                new(task, model, "Great phone."),
                new(task, model, "Ada Lovelace worked with Charles Babbage in London on the Analytical Engine.", Aggregation: AggregationStrategy.First),
                new(task, model, "It broke.", Aggregation: AggregationStrategy.None),
            ],
        };
        using var alone = Batching(TimeProvider.System, maxBatchSize: 1);
        var expected = new List<InferenceResult>();
        foreach (var request in requests)
        {
            expected.Add(await alone.RunAsync(request, Visitor));
        }
        var (service, clock, batches) = await HeldAsync(requests[0]);
        using var _ = service;

        var running = requests.Select((r, i) => service.RunAsync(r, User($"u{i}"))).ToList();
        await CloseWindowAsync(service, clock, requests.Length);
        var results = await Task.WhenAll(running);

        Assert.Equal(["u0", "u1", "u2"], Assert.Single(batches).Requesters.Order());
        foreach (var (single, batched) in expected.Zip(results))
        {
            Assert.Null(single.Error);
            Assert.Null(batched.Error);
            using var a = System.Text.Json.JsonDocument.Parse(single.Json);
            using var b = System.Text.Json.JsonDocument.Parse(batched.Json);
            AssertSameOutput(a.RootElement, b.RootElement);
        }
    }

    [Fact]
    public async Task A_lone_request_goes_at_once_without_waiting_for_the_window()
    {
        // The clock never moves: a request waiting for the window would never answer.
        using var service = Batching(new FakeTimeProvider());
        var batches = new List<InferenceBatch>();
        service.BatchTaken += batches.Add;

        var result = await service.RunAsync(new InferenceRequest(Pipeline.TextClassification, "course/minilm-sentiment", "Great phone."), User("a"))
            .WaitAsync(TimeSpan.FromMinutes(2)); // a generous limit only so a broken build ends

        Assert.Null(result.Error);
        Assert.Equal(["a"], Assert.Single(batches).Requesters);
    }

    [Fact]
    public async Task Requests_gathered_behind_a_running_batch_go_together_when_it_finishes_before_the_window_ends()
    {
        var request = new InferenceRequest(Pipeline.TextClassification, "course/minilm-sentiment", "Great phone.");
        var (service, clock, batches) = await HeldAsync(request);
        using var _ = service;

        var running = new[] { service.RunAsync(request, User("a")), service.RunAsync(request, User("b")) };
        await Until(() => service.Waiting == 2);
        clock.Advance(TimeSpan.FromMilliseconds(1)); // the held batch finishes; the 50 ms window is far from over
        var results = await Task.WhenAll(running);

        Assert.All(results, r => Assert.Null(r.Error));
        Assert.Equal(["a", "b"], Assert.Single(batches).Requesters.Order());
    }

    [Fact]
    public async Task A_batch_holds_at_most_the_fair_share_of_one_requester_the_rest_of_theirs_wait_for_the_next()
    {
        var request = new InferenceRequest(Pipeline.TextClassification, "course/minilm-sentiment", "Great phone.");
        var (service, clock, batches) = await HeldAsync(request);
        using var _ = service;

        var running = Enumerable.Range(0, 4).Select(_ => service.RunAsync(request, User("a"))).Append(service.RunAsync(request, User("b"))).ToList();
        await CloseWindowAsync(service, clock, 5);
        var results = await Task.WhenAll(running);

        Assert.All(results, r => Assert.Null(r.Error));
        Assert.Equal(2, batches.Count);
        Assert.Equal(["a", "a", "b"], batches[0].Requesters.Order());
        Assert.Equal(["a", "a"], batches[1].Requesters);
        Assert.Equal(0, service.Waiting);
    }

    [Fact]
    public async Task A_request_cancelled_in_line_leaves_it_and_the_others_run_as_one_batch()
    {
        var request = new InferenceRequest(Pipeline.FillMask, "course/minilm-fill-mask", "She lived in [MASK].");
        var (service, clock, batches) = await HeldAsync(request);
        using var _ = service;
        using var leaving = new CancellationTokenSource();

        var cancelled = service.RunAsync(request, User("a"), cancellationToken: leaving.Token);
        var others = new[] { service.RunAsync(request, User("b")), service.RunAsync(request, User("c")) };
        await Until(() => service.Waiting == 3);
        await leaving.CancelAsync();

        Assert.Equal("Cancelled.", (await cancelled).Error);
        Assert.Equal(2, service.Waiting);
        clock.Advance(TimeSpan.FromMilliseconds(50));
        Assert.All(await Task.WhenAll(others), r => Assert.Null(r.Error));
        Assert.Equal(["b", "c"], Assert.Single(batches).Requesters.Order());
    }

    [Fact]
    public async Task A_request_the_pipeline_refuses_fails_alone_and_the_rest_of_its_batch_answers()
    {
        const string context = "Ada Lovelace lived in London.";
        // Within the playground's 2,000 characters, but more tokens than a window holds: only the pipeline can tell.
        var tooLong = new InferenceRequest(Pipeline.QuestionAnswering, "course/minilm-qa", string.Join(" ", Enumerable.Repeat("why", 450)), context);
        var good = new InferenceRequest(Pipeline.QuestionAnswering, "course/minilm-qa", "Where did she live?", context);
        var (service, clock, batches) = await HeldAsync(good);
        using var _ = service;

        var running = new[] { service.RunAsync(good, User("a")), service.RunAsync(tooLong, User("b")), service.RunAsync(good, User("c")) };
        await CloseWindowAsync(service, clock, 3);
        var results = await Task.WhenAll(running);

        Assert.Single(batches);
        Assert.Null(results[0].Error);
        Assert.StartsWith("The question is too long: it leaves no room for the context in ", results[1].Error);
        Assert.Null(results[2].Error);
        Assert.Equal(results[0].Json, results[2].Json);
    }

    [Fact]
    public void Batching_settings_out_of_range_are_refused_naming_the_key()
    {
        var options = new PlaygroundOptions { MaxBatchSize = 0, BatchWindowMilliseconds = 60_000, MaxPerUserInBatch = -1 };

        Assert.Equal(
        [
            "Playground:MaxBatchSize is 0; it must be between 1 and 256 (requests per batch).",
            "Playground:BatchWindowMilliseconds is 60000; it must be between 1 and 1,000 (milliseconds a request waits for others to join its batch).",
            "Playground:MaxPerUserInBatch is -1; it must be between 1 and 256 (one requester's requests per batch).",
        ], options.Errors());
        var refused = Assert.Throws<ArgumentException>(() => new InferenceService(tiny.Hub, TorchSharp.torch.CPU, new DemoBuildStatus(), new HubVisibility(_database.Factory, TestContent.Repository, _clock),
            new RequestLimiter(Options.Create(Unlimited), _clock), Options.Create(options), TimeProvider.System));
        Assert.StartsWith("Playground:MaxBatchSize is 0;", refused.Message);
    }

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
        }
    }

    private sealed class SynchronousProgress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}

public class PlaygroundComponentTests : CourseComponentTest
{
    private static TokenizationView View() => new("gpt2", Course.Ml.Tokenization.TokenizerAlgorithm.Bpe,
    [
        new TokenView(0, "[CLS]", 101, 0, 0, null, 0, true, 1, 0),
        new TokenView(1, "hello", 7592, 0, 5, 0, 0, false, 1, 0),
        new TokenView(2, "[SEP]", 102, 0, 0, null, 0, true, 1, 0),
    ], 5, "hello", true, 30522, "[UNK]");

    [Fact]
    public void The_inference_playground_offers_its_choices_as_native_selects_and_ignores_a_value_it_never_offered()
    {
        var playground = Render<InferencePlayground>(p => p.Add(c => c.Task, Pipeline.TokenClassification));
        string?[] OptionsOf(int select) => [.. playground.FindAll("select")[select].QuerySelectorAll("option").Select(o => o.GetAttribute("value"))];

        Assert.Equal([Pipeline.TextClassification, Pipeline.TokenClassification, Pipeline.QuestionAnswering, Pipeline.FillMask], OptionsOf(0));
        Assert.Equal(["course/minilm-ner"], OptionsOf(1)); // the task's demo model, listed while it is not built
        Assert.Equal(["none", "simple", "first", "average", "max"], OptionsOf(2));

        // A browser can send any value for a select: one that is not an option changes nothing and breaks nothing.
        playground.FindAll("select")[0].Change("../../etc/passwd");
        playground.FindAll("select")[2].Change("Bogus");
        Assert.Equal(Pipeline.TokenClassification, playground.Find(".inference-playground").GetAttribute("data-task"));
        Assert.Equal("simple", playground.FindAll("select")[2].GetAttribute("value"));

        playground.FindAll("select")[2].Change("max");
        Assert.Equal("max", playground.FindAll("select")[2].GetAttribute("value"));
        playground.FindAll("select")[0].Change(Pipeline.FillMask);
        Assert.Equal(Pipeline.FillMask, playground.Find(".inference-playground").GetAttribute("data-task"));
        Assert.Equal("course/minilm-fill-mask", playground.Find("[data-testid=inference-model]").GetAttribute("value"));
        Assert.Equal(2, playground.FindAll("select").Count); // no aggregation_strategy outside token classification
    }

    [Fact]
    public void The_attention_playground_offers_the_demo_models_and_ignores_a_model_it_never_offered()
    {
        var playground = Render<AttentionPlayground>();
        var picker = playground.Find("[data-testid=attention-model]");

        Assert.Equal(InferenceService.DemoModelFor.Values, picker.QuerySelectorAll("option").Select(o => o.GetAttribute("value")));
        picker.Change("someone/private-model");
        Assert.Equal("course/minilm-sentiment", playground.Find("[data-testid=attention-model]").GetAttribute("value"));
        playground.Find("[data-testid=attention-model]").Change("course/minilm-ner");
        Assert.Equal("course/minilm-ner", playground.Find("[data-testid=attention-model]").GetAttribute("value"));
    }

    [Fact]
    public void Token_spans_show_each_token_with_its_id_offsets_and_word_on_hover_and_the_rows_asked_for()
    {
        var spans = Render<TokenSpans>(p => p.Add(c => c.View, View()).Add(c => c.ShowAttentionMask, true).Add(c => c.ShowTokenTypeIds, true));

        Assert.Equal(["[CLS]", "hello", "[SEP]"], spans.FindAll(".token-row[role=list] .token").Select(t => t.TextContent));
        Assert.Equal("id 7592 · characters [0, 5) · word 0 · sentence 1", spans.FindAll(".token")[1].GetAttribute("title"));
        Assert.Equal(["101", "7592", "102"], spans.FindAll(".token-ids .token-cell").Select(c => c.TextContent));
        Assert.Equal(3, spans.FindAll(".token-mask .token-cell").Count);
        Assert.Equal(3, spans.FindAll(".token-types .token-cell").Count);

        var plain = Render<TokenSpans>(p => p.Add(c => c.View, View()).Add(c => c.ShowSpecialTokens, false));
        Assert.Equal(["hello"], plain.FindAll(".token-row[role=list] .token").Select(t => t.TextContent));
    }

    [Fact]
    public void Pipeline_stages_write_each_stage_as_a_row_of_chips_with_the_original_span_on_hover()
    {
        StagesView view = new("course/x",
        [
            new StageRow("normalizer", null, [new StageChip("h", 0, 1, "H", Changed: true), new StageChip("i  ", 1, 4, "i  ")]),
            new StageRow("pre_tokenizer", null, [new StageChip("hi", 0, 2, "Hi")]),
            new StageRow("model", null, []),
            new StageRow("post_processor", null, [new StageChip("[CLS]", 0, 0, "", 101, Special: true)]),
        ], "[CLS] $A [SEP]");
        var stages = Render<PipelineStages>(p => p.Add(c => c.View, view));

        Assert.Equal(["normalizer", "pre_tokenizer", "model", "post_processor"], stages.FindAll(".stage-row").Select(r => r.GetAttribute("data-stage")));
        var normalizer = stages.FindAll("[data-stage=normalizer] [role=listitem]");
        Assert.Equal(["h", "i··"], normalizer.Select(c => c.TextContent));
        Assert.Equal(["characters [0, 1) “H” became “h”", "characters [1, 4) “i  ” unchanged"], normalizer.Select(c => c.GetAttribute("title")));
        Assert.Contains("stage-changed", normalizer[0].ClassList);
        Assert.Equal("characters [0, 2) “Hi”", stages.Find("[data-stage=pre_tokenizer] [role=listitem]").GetAttribute("title"));
        Assert.Equal("(nothing)", stages.Find("[data-stage=model] .lesson-meta").TextContent);
        Assert.Equal("id 101 · special token added by the template", stages.Find("[data-stage=post_processor] [role=listitem]").GetAttribute("title"));
        Assert.Equal("[CLS] $A [SEP]", stages.Find(".stage-template code").TextContent);
    }

    [Fact]
    public void Probability_bars_write_each_labels_probability_best_first_and_the_softmax_of_the_logits()
    {
        var result = new ClassificationResult([new LabelScore("positive", 0.7311f), new LabelScore("negative", 0.2689f)], ["negative", "positive"], [0f, 1f]);
        var bars = Render<ProbabilityBars>(p => p.Add(c => c.Result, result));

        Assert.Equal(["positive", "negative"], bars.FindAll(".probability-bar").Select(b => b.GetAttribute("data-label")));
        Assert.Equal(["73.1%", "26.9%"], bars.FindAll(".probability-value").Select(v => v.TextContent));
        var rows = bars.FindAll(".logits-table tbody tr");
        Assert.Equal("0.269", rows[0].Children[3].TextContent); // softmax([0, 1])[0]
        Assert.Equal("1.000", rows[1].Children[1].TextContent);
    }

    [Fact]
    public void Entity_spans_mark_each_entity_with_its_type_in_words()
    {
        const string text = "Ada Lovelace lived in London.";
        var spans = Render<EntitySpans>(p => p.Add(c => c.Text, text).Add(c => c.Entities,
            [new EntityPrediction("PER", null, 0.99f, null, "Ada Lovelace", 0, 12), new EntityPrediction("LOC", null, 0.95f, null, "London", 22, 28)]));

        var marks = spans.FindAll("mark.entity");
        Assert.Equal(["Ada LovelacePER", "LondonLOC"], marks.Select(m => m.TextContent));
        Assert.Equal("PER · score 0.990", marks[0].GetAttribute("title"));
        Assert.Equal(text, spans.Find("p.entity-text").TextContent.Trim().Replace("PER", "").Replace("LOC", ""));
    }

    [Fact]
    public void The_head_view_draws_a_line_per_weight_with_the_weight_as_opacity_and_one_tokens_lines_when_focused()
    {
        // One layer, two heads over [CLS] a [SEP]; weights below 0.01 are not drawn.
        float[][] head0 = [[0.5f, 0.5f, 0f], [0.2f, 0.3f, 0.5f], [0f, 0.005f, 0.995f]];
        float[][] head1 = [[1f, 0f, 0f], [1f, 0f, 0f], [1f, 0f, 0f]];
        var maps = new AttentionMaps("m", ["[CLS]", "a", "[SEP]"], null, [[head0, head1]], [[0.233f, 1f]], [[0.498f, 0f]]);

        var panel = Render<AttentionPanel>(p => p.Add(c => c.Maps, maps).Add(c => c.Heads, new HashSet<int> { 0 }));
        var lines = panel.FindAll("svg.head-view line");
        Assert.Equal(["0.5", "0.5", "0.2", "0.3", "0.5", "0.995"], lines.Select(l => l.GetAttribute("stroke-opacity")));
        Assert.All(lines, l => Assert.Equal(HeadView.ColorOf(0), l.GetAttribute("stroke")));
        Assert.Equal(["[CLS]", "23%", "100%"], panel.FindAll(".attention-shares tbody tr")[0].Children.Select(c => c.TextContent));
        Assert.Equal(2, panel.FindAll(".attention-thumbnail").Count);

        var focused = Render<AttentionPanel>(p => p.Add(c => c.Maps, maps).Add(c => c.Heads, new HashSet<int> { 0, 1 }).Add(c => c.Query, 1));
        Assert.Equal([("0", "0.2"), ("0", "0.3"), ("0", "0.5"), ("1", "1")],
            focused.FindAll("svg.head-view line").Select(l => (l.GetAttribute("data-head"), l.GetAttribute("stroke-opacity"))));
    }

    [Fact]
    public void The_answer_is_highlighted_in_its_context_with_score_and_alternatives()
    {
        const string context = "Corals get their colour from algae.";
        var view = Render<AnswerHighlight>(p => p.Add(c => c.Context, context).Add(c => c.Answers,
            [new QuestionAnswer(0.8f, 29, 34, "algae"), new QuestionAnswer(0.1f, 0, 6, "Corals")]));

        Assert.Equal("algae", view.Find("mark.qa-answer").TextContent);
        Assert.Equal(context, view.Find("p.qa-context").TextContent);
        Assert.Contains("score 0.800", view.Find("[data-testid=qa-answer]").TextContent);
        Assert.Contains("Corals", view.Find(".qa-alternatives").TextContent);
    }
}
