using Course.Core.Configuration;
using Course.Core.Content;
using Course.Core.Data;
using Course.Grading;
using Course.Ml.Hub;
using Course.Ml.Pipelines;
using Course.Tests.Shared;
using Course.Web.Features.Hub;
using Course.Web.Features.Models;
using Course.Web.Features.Playgrounds;
using Course.Web.Features.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Course.Web.Tests;

/// <summary>The repository's own content (its assignments and due dates), loaded once for the services that read it.</summary>
public static class TestContent
{
    public static ContentRepository Repository { get; } = new(new CourseEnvironment(Course.Tests.Shared.Repository.Root),
        Options.Create(new ContentOptions { Path = "content" }), NullLogger<ContentRepository>.Instance);
}

/// <summary>
/// Sharing a graded model on the course hub: the rules of <see cref="ModelSharing"/> (own, graded, kept, after the
/// student's due date, card text required and bounded) and who then sees it (<see cref="HubVisibility"/>, the
/// playground's picker and runs, the model page's card).
/// </summary>
public class ModelSharingTests(TinyHub tiny) : IClassFixture<TinyHub>, IDisposable
{
    private const string Owner = "ann", Classmate = "ben", Late = "cat", Teacher = "teacher";
    private const string Use = "Sorting **product reviews** by mood in the course's exercises.";
    private const string Limits = "Trained on 64 short reviews; expect errors on sarcasm.";

    private readonly TestDatabase _database = new();
    private readonly Course.Core.Assignments.Assignment _assignment = TestContent.Repository.Current.FindAssignment("sentiment")!;
    private readonly FakeTimeProvider _clock = new();

    private static int _nextId = 1000; // the tiny hub is shared by the class: each test's models get ids of their own

    private DateTimeOffset Due => _assignment.Rules.Due!.Value;

    private ModelSharing Sharing => new(_database.Factory, TestContent.Repository, tiny.Hub, _clock);

    private HubVisibility Visibility => new(_database.Factory, TestContent.Repository, _clock);

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task Publishing_before_the_students_due_date_is_refused_and_an_extension_moves_that_date()
    {
        var id = await AddSubmissionAsync(Owner);

        _clock.SetUtcNow(Due.AddHours(-1));
        var before = await Assert.ThrowsAsync<ModelSharingException>(() => Sharing.PublishAsync(Owner, id, Use, Limits));
        await using (var db = await _database.Factory.CreateDbContextAsync())
        {
            db.AssignmentExtensions.Add(new AssignmentExtension { UserId = Owner, AssignmentId = "sentiment", Due = Due.AddDays(3), GrantedByUserId = Teacher });
            await db.SaveChangesAsync();
        }
        _clock.SetUtcNow(Due.AddDays(1)); // past the assignment's date, not the student's extended one
        var extended = await Assert.ThrowsAsync<ModelSharingException>(() => Sharing.PublishAsync(Owner, id, Use, Limits));
        _clock.SetUtcNow(Due.AddDays(3).AddMinutes(1));
        var published = await Sharing.PublishAsync(Owner, id, Use, Limits);

        var title = _assignment.Title;
        Assert.Equal($"{title} is due at {Due:yyyy-MM-dd HH:mm} UTC for you: models can be published only after that.", before.Message);
        Assert.Equal($"{title} is due at {Due.AddDays(3):yyyy-MM-dd HH:mm} UTC for you: models can be published only after that.", extended.Message);
        Assert.Equal((Owner, "sentiment", Use, Limits, _clock.GetUtcNow(), true), (published.UserId, published.AssignmentId, published.IntendedUse, published.Limitations,
            published.PublishedAt, published.IsPublished));
        Assert.Equal([("hub.publish-model", Owner, Submission.KeptModelId(id))], await AuditAsync(Owner));
    }

    [Fact]
    public async Task Another_students_submission_cannot_be_published()
    {
        var id = await AddSubmissionAsync(Owner);
        _clock.SetUtcNow(Due.AddDays(1));

        var refused = await Assert.ThrowsAsync<ModelSharingException>(() => Sharing.PublishAsync(Classmate, id, Use, Limits));

        Assert.Equal($"Submission #{id} is not one of yours: only your own graded submissions can be published.", refused.Message);
        Assert.Empty(await PublicationsAsync());
    }

    [Theory]
    [InlineData(SubmissionStatus.Queued)]
    [InlineData(SubmissionStatus.Running)]
    [InlineData(SubmissionStatus.Failed)]
    public async Task An_ungraded_submission_cannot_be_published(SubmissionStatus status)
    {
        var id = await AddSubmissionAsync(Owner, status);
        _clock.SetUtcNow(Due.AddDays(1));

        var refused = await Assert.ThrowsAsync<ModelSharingException>(() => Sharing.PublishAsync(Owner, id, Use, Limits));

        Assert.Equal($"Submission #{id} is {status}, not graded: only a graded submission's model can be published.", refused.Message);
        Assert.Empty(await PublicationsAsync());
    }

    [Fact]
    public async Task A_graded_submission_whose_weights_were_dropped_has_no_model_to_publish()
    {
        var id = await AddSubmissionAsync(Owner, keepWeights: false);
        _clock.SetUtcNow(Due.AddDays(1));

        var refused = await Assert.ThrowsAsync<ModelSharingException>(() => Sharing.PublishAsync(Owner, id, Use, Limits));

        Assert.StartsWith($"The fine-tuned weights of submission #{id} were not kept", refused.Message);
    }

    [Fact]
    public async Task The_card_sections_are_required_and_bounded()
    {
        var id = await AddSubmissionAsync(Owner);
        _clock.SetUtcNow(Due.AddDays(1));

        var blank = await Assert.ThrowsAsync<ModelSharingException>(() => Sharing.PublishAsync(Owner, id, "  ", Limits));
        var tooLong = await Assert.ThrowsAsync<ModelSharingException>(() => Sharing.PublishAsync(Owner, id, Use, new string('x', 2_001)));
        await Sharing.PublishAsync(Owner, id, Use, new string('x', 2_000));

        Assert.Equal("Write the card's \"Intended use\" section: what the model is for, in your words.", blank.Message);
        Assert.Equal("\"Limitations\" is 2,001 characters long; at most 2,000 are accepted.", tooLong.Message);
    }

    [Fact]
    public async Task A_published_model_is_seen_by_signed_in_classmates_past_their_due_date_never_by_visitors()
    {
        var id = await AddSubmissionAsync(Owner);
        var model = Submission.KeptModelId(id);
        await using (var db = await _database.Factory.CreateDbContextAsync())
        {
            db.AssignmentExtensions.Add(new AssignmentExtension { UserId = Late, AssignmentId = "sentiment", Due = Due.AddDays(7), GrantedByUserId = Teacher });
            await db.SaveChangesAsync();
        }
        _clock.SetUtcNow(Due.AddDays(1));
        var beforePublishing = await Visibility.ForAsync(Classmate, isInstructor: false);
        await Sharing.PublishAsync(Owner, id, Use, Limits);

        Assert.False(beforePublishing.CanSee(model));
        Assert.True((await Visibility.ForAsync(Classmate, isInstructor: false)).CanSee(model));
        Assert.True((await Visibility.ForAsync(Owner, isInstructor: false)).CanSee(model));
        Assert.False((await Visibility.ForAsync(null, isInstructor: false)).CanSee(model));
        Assert.False((await Visibility.ForAsync(Late, isInstructor: false)).CanSee(model)); // still working on it: an extension
        using var service = Inference();
        Assert.Contains(model, await service.ModelsForAsync(Pipeline.TextClassification, Signed(Classmate)));
        Assert.DoesNotContain(model, await service.ModelsForAsync(Pipeline.TextClassification, new Requester(null, "203.0.113.7", false)));
        var ran = await service.RunAsync(new InferenceRequest(Pipeline.TextClassification, model, "Great phone."), Signed(Classmate));
        var refused = await service.RunAsync(new InferenceRequest(Pipeline.TextClassification, model, "Great phone."), new Requester(null, "203.0.113.7", false));
        Assert.Null(ran.Error);
        Assert.Equal(["negative", "neutral", "positive"], ((ClassificationResult)ran.Output!).Scores.Select(s => s.Label).Order());
        Assert.Equal($"There is no model '{model}' in the local hub.", refused.Error);
    }

    [Fact]
    public async Task An_instructor_unpublishes_it_out_of_the_picker_and_the_student_cannot_publish_it_again()
    {
        var id = await AddSubmissionAsync(Owner);
        var model = Submission.KeptModelId(id);
        _clock.SetUtcNow(Due.AddDays(1));
        await Sharing.PublishAsync(Owner, id, Use, Limits);
        using var service = Inference();
        var listed = await service.ModelsForAsync(Pipeline.TextClassification, Signed(Classmate));

        var notTheirs = await Assert.ThrowsAsync<ModelSharingException>(() => Sharing.UnpublishAsync(Classmate, actorIsInstructor: false, id));
        await Sharing.UnpublishAsync(Teacher, actorIsInstructor: true, id, "Its card names a person.");
        var afterwards = await service.ModelsForAsync(Pipeline.TextClassification, Signed(Classmate));
        var again = await Assert.ThrowsAsync<ModelSharingException>(() => Sharing.PublishAsync(Owner, id, Use, Limits));

        Assert.Contains(model, listed);
        Assert.Equal($"Only its student or an instructor can unpublish {model}.", notTheirs.Message);
        Assert.DoesNotContain(model, afterwards);
        Assert.Equal($"An instructor unpublished {model} on {_clock.GetUtcNow():yyyy-MM-dd HH:mm} UTC (Its card names a person.); ask them before it is shared again.", again.Message);
        var row = Assert.Single(await PublicationsAsync());
        Assert.Equal((Teacher, _clock.GetUtcNow(), "Its card names a person."), (row.UnpublishedByUserId, row.UnpublishedAt, row.UnpublishReason));
        Assert.Equal(("hub.unpublish-model", Teacher, $"{model} — Its card names a person."), (await AuditAsync(Owner))[^1]);
    }

    [Fact]
    public async Task The_student_unpublishes_their_own_model_and_may_publish_it_again_in_the_same_row()
    {
        var id = await AddSubmissionAsync(Owner);
        _clock.SetUtcNow(Due.AddDays(1));
        await Sharing.PublishAsync(Owner, id, Use, Limits);

        await Sharing.UnpublishAsync(Owner, actorIsInstructor: false, id);
        var hidden = (await Visibility.ForAsync(Classmate, isInstructor: false)).CanSee(Submission.KeptModelId(id));
        _clock.Advance(TimeSpan.FromHours(1));
        await Sharing.PublishAsync(Owner, id, Use, "Now with a longer limitations section.");

        Assert.False(hidden);
        var row = Assert.Single(await PublicationsAsync());
        Assert.Equal((true, _clock.GetUtcNow(), "Now with a longer limitations section."), (row.IsPublished, row.PublishedAt, row.Limitations));
    }

    [Fact]
    public async Task The_card_holds_validation_metrics_configuration_data_and_the_students_text_rendered_safely_never_hidden_split_figures()
    {
        var id = await AddSubmissionAsync(Owner);
        var model = Submission.KeptModelId(id);
        _clock.SetUtcNow(Due.AddDays(1));
        await Sharing.PublishAsync(Owner, id, "Reviews only. <script>alert(1)</script> [x](javascript:alert(1))", Limits);
        var pages = new ModelPages(tiny.Hub, Visibility, Sharing);

        var (view, error) = await pages.ShowAsync(model, Classmate, isInstructor: false);

        Assert.Null(error);
        var card = view!.Model.Card;
        Assert.Equal(("text-classification", "sentence-transformers/all-MiniLM-L6-v2", "product-reviews"),
            (card.Value("pipeline_tag"), card.Value("base_model"), Assert.Single(card.Values("datasets"))));
        Assert.Equal(["Evaluation (validation split)", "Configuration", "Training data", "Intended use", "Limitations"], card.Sections);
        Assert.Contains("<td>eval_f1</td>", view.CardHtml);
        Assert.Contains("<td>0.75</td>", view.CardHtml);
        Assert.DoesNotContain("test_", view.CardHtml);
        Assert.DoesNotContain("0.6125", view.CardHtml);
        Assert.Contains("learning_rate: 3.0e-5", card.Body);
        Assert.Contains("href=\"/hub/datasets/product-reviews\"", view.CardHtml);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", view.CardHtml);
        Assert.DoesNotContain("<script>", view.CardHtml);
        Assert.DoesNotContain("href=\"javascript", view.CardHtml, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(Owner, view.Publication!.UserId);
    }

    private static Requester Signed(string userId) => new(userId, "203.0.113.7", false);

    private InferenceService Inference() =>
        new(tiny.Hub, TorchSharp.torch.CPU, new DemoBuildStatus(), Visibility,
            new RequestLimiter(Options.Create(new RateLimitOptions { Inference = new RateLimitRule { PerUser = 0, PerAddress = 0 } }), _clock),
            Options.Create(new PlaygroundOptions()), TimeProvider.System);

    /// <summary>A sentiment submission of <paramref name="userId"/> with a validation and a hidden-split score, and its kept model (the tiny sentiment model).</summary>
    private async Task<long> AddSubmissionAsync(string userId, SubmissionStatus status = SubmissionStatus.Succeeded, bool keepWeights = true)
    {
        var id = Interlocked.Increment(ref _nextId);
        await using var db = await _database.Factory.CreateDbContextAsync();
        foreach (var user in new[] { Owner, Classmate, Late, Teacher }.Where(u => !db.Users.Any(x => x.Id == u)))
        {
            db.Users.Add(new CourseUser { Id = user, UserName = user });
        }
        db.Submissions.Add(new Submission
        {
            Id = id, UserId = userId, AssignmentId = "sentiment", IdempotencyKey = $"k{id}", Status = status, KeepWeights = keepWeights,
            ConfigYaml = "model_name_or_path: sentence-transformers/all-MiniLM-L6-v2\ntraining_args:\n  learning_rate: 3.0e-5\n",
            ResultJson = status != SubmissionStatus.Succeeded ? null : new GradingResult(
                new Dictionary<string, double> { ["eval_f1"] = 0.75, ["eval_accuracy"] = 0.8, ["test_f1"] = 0.6125, ["test_accuracy"] = 0.65 }, 0.75, 0.6125, 30,
                new Receipt(42, 2, "sentence-transformers/all-MiniLM-L6-v2", new Dictionary<string, string>(), "c", new Dictionary<string, string>(), "cpu", 1)).ToJson(),
        });
        await db.SaveChangesAsync();
        if (keepWeights)
        {
            var folder = tiny.Hub.PathOf(Submission.KeptModelId(id));
            Directory.CreateDirectory(folder);
            foreach (var file in Directory.GetFiles(tiny.Hub.PathOf("course/minilm-sentiment")))
            {
                File.Copy(file, Path.Combine(folder, Path.GetFileName(file)), overwrite: true);
            }
        }
        return id;
    }

    private async Task<List<ModelPublication>> PublicationsAsync()
    {
        await using var db = await _database.Factory.CreateDbContextAsync();
        return await db.ModelPublications.AsNoTracking().ToListAsync();
    }

    private async Task<List<(string Action, string Actor, string Details)>> AuditAsync(string subject)
    {
        await using var db = await _database.Factory.CreateDbContextAsync();
        return (await db.AuditEntries.Where(e => e.SubjectUserId == subject).OrderBy(e => e.Id).ToListAsync()).Select(e => (e.Action, e.ActorUserId, e.Details)).ToList();
    }
}
