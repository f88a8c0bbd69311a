using System.Globalization;
using System.Text;
using Course.Core.Assignments;
using Course.Core.Configuration;
using Course.Core.Content;
using Course.Core.Data;
using Course.Grading;
using Course.Grading.Queue;
using Course.Ml.Hub;
using Course.Web.Features.Assignments;
using Microsoft.EntityFrameworkCore;

namespace Course.Web.Features.Hub;

/// <summary>A published submission model: its row and its generated card (README.md text).</summary>
public sealed record SharedModel(ModelPublication Publication, string Card);

/// <summary>Why a publication was refused, in words the student or instructor can act on.</summary>
public sealed class ModelSharingException(string message) : Exception(message);

/// <summary>
/// Sharing graded models on the course hub, as a Hugging Face user pushes a model with its card. The rules: a student
/// publishes only their own graded submission whose weights were kept, only after their own due date (extensions
/// included), with the card's intended use and limitations written by them; the student or an instructor unpublishes,
/// and a model an instructor took down stays down. Who sees a published model is <see cref="HubVisibility"/>'s rule.
/// The <see cref="ModelPublication"/> row is the truth; every change is in the student's audit trail.
/// </summary>
public sealed class ModelSharing(IDbContextFactory<CourseDbContext> databases, ContentRepository content, ModelHub hub, TimeProvider clock)
{
    /// <summary>The student's publications on one assignment, by submission id.</summary>
    public async Task<IReadOnlyDictionary<long, ModelPublication>> OfStudentAsync(string userId, string assignmentId)
    {
        await using var db = await databases.CreateDbContextAsync();
        return await db.ModelPublications.AsNoTracking().Where(p => p.UserId == userId && p.AssignmentId == assignmentId).ToDictionaryAsync(p => p.SubmissionId);
    }

    /// <summary>
    /// Publishes (or, when already published, updates the card text of) the student's submission model. A second
    /// publish of the same submission reuses its row, so a double click makes one publication.
    /// </summary>
    /// <exception cref="ModelSharingException">A rule refuses it; the message says which and what to do.</exception>
    public async Task<ModelPublication> PublishAsync(string userId, long submissionId, string? intendedUse, string? limitations)
    {
        var use = Section(intendedUse, "Intended use");
        var limits = Section(limitations, "Limitations");
        await using var db = await databases.CreateDbContextAsync();
        var submission = await db.Submissions.AsNoTracking().SingleOrDefaultAsync(s => s.Id == submissionId && s.UserId == userId)
            ?? throw new ModelSharingException($"Submission #{submissionId} is not one of yours: only your own graded submissions can be published.");
        if (submission.Status != SubmissionStatus.Succeeded)
        {
            throw new ModelSharingException($"Submission #{submissionId} is {submission.Status}, not graded: only a graded submission's model can be published.");
        }
        var assignment = content.Current.FindAssignment(submission.AssignmentId)
            ?? throw new ModelSharingException($"The assignment of submission #{submissionId} ({submission.AssignmentId}) is no longer in the course.");
        var due = await SubmissionQueue.DueForAsync(db, userId, assignment, CancellationToken.None);
        var now = clock.GetUtcNow();
        if (now <= due)
        {
            throw new ModelSharingException($"{assignment.Title} is due at {due:yyyy-MM-dd HH:mm} UTC for you: models can be published only after that.");
        }
        var modelId = Submission.KeptModelId(submissionId);
        if (!submission.KeepWeights || !hub.Contains(modelId))
        {
            throw new ModelSharingException($"The fine-tuned weights of submission #{submissionId} were not kept, so there is no model to publish: " +
                "tick \"Keep the fine-tuned model\" when you submit.");
        }
        var publication = await db.ModelPublications.SingleOrDefaultAsync(p => p.SubmissionId == submissionId);
        var inserting = publication is null;
        if (publication is { TakenDown: true })
        {
            throw new ModelSharingException($"An instructor unpublished {modelId} on {publication.UnpublishedAt:yyyy-MM-dd HH:mm} UTC" +
                $"{(publication.UnpublishReason is { } reason ? $" ({reason})" : "")}; ask them before it is shared again.");
        }
        if (publication is null)
        {
            publication = new ModelPublication { SubmissionId = submissionId, UserId = userId, AssignmentId = submission.AssignmentId, IntendedUse = use, Limitations = limits };
            db.ModelPublications.Add(publication);
        }
        (publication.IntendedUse, publication.Limitations) = (use, limits);
        if (inserting || !publication.IsPublished)
        {
            (publication.PublishedAt, publication.UnpublishedAt, publication.UnpublishedByUserId, publication.UnpublishReason) = (now, null, null, null);
        }
        db.AuditEntries.Add(new AuditEntry { At = now, ActorUserId = userId, Action = "hub.publish-model", SubjectUserId = userId, Details = modelId });
        try
        {
            await db.SaveChangesAsync();
        }
        catch (DbUpdateException) when (inserting)
        {
            // Another tab inserted the row first (the unique index on SubmissionId): that publication stands.
            throw new ModelSharingException($"{modelId} was published from another tab a moment ago; reload the page.");
        }
        return publication;
    }

    /// <summary>Takes a published model off the hub: its student, or an instructor (who may say why; the student reads it).</summary>
    /// <exception cref="ModelSharingException">The actor may not, or it is not published.</exception>
    public async Task UnpublishAsync(string actorId, bool actorIsInstructor, long submissionId, string? reason = null)
    {
        TextLimits.Require(reason, TextLimits.Reason, "The reason");
        await using var db = await databases.CreateDbContextAsync();
        var modelId = Submission.KeptModelId(submissionId);
        var publication = await db.ModelPublications.SingleOrDefaultAsync(p => p.SubmissionId == submissionId && p.UnpublishedAt == null)
            ?? throw new ModelSharingException($"{modelId} is not published.");
        if (!actorIsInstructor && publication.UserId != actorId)
        {
            throw new ModelSharingException($"Only its student or an instructor can unpublish {modelId}.");
        }
        var now = clock.GetUtcNow();
        (publication.UnpublishedAt, publication.UnpublishedByUserId, publication.UnpublishReason) = (now, actorId, string.IsNullOrWhiteSpace(reason) ? null : reason.Trim());
        db.AuditEntries.Add(new AuditEntry
        {
            At = now, ActorUserId = actorId, Action = "hub.unpublish-model", SubjectUserId = publication.UserId, Details = $"{modelId}{AuditEntry.Because(reason)}",
        });
        await db.SaveChangesAsync();
    }

    /// <summary>The publication of <paramref name="modelId"/> with its card, or null when it is not a published submission model.</summary>
    public async Task<SharedModel?> PublishedAsync(string modelId, CancellationToken cancellationToken = default)
    {
        if (Submission.KeptSubmissionId(modelId) is not { } submissionId)
        {
            return null;
        }
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        if (await db.ModelPublications.AsNoTracking().SingleOrDefaultAsync(p => p.SubmissionId == submissionId && p.UnpublishedAt == null, cancellationToken) is not { } publication)
        {
            return null;
        }
        var submission = await db.Submissions.AsNoTracking().SingleAsync(s => s.Id == submissionId, cancellationToken);
        return new SharedModel(publication, Card(publication, submission, content.Current.FindAssignment(publication.AssignmentId)));
    }

    /// <summary>
    /// The card a published model gets, as Hugging Face's model cards are written: metadata (pipeline_tag, base_model,
    /// datasets, and the validation metrics as <c>model-index</c>) and sections for the validation metrics, the
    /// configuration, the training data, and the student's intended use and limitations. Only the public validation
    /// split's figures: a classmate never learns a hidden-split score from a card.
    /// </summary>
    public static string Card(ModelPublication publication, Submission submission, Assignment? assignment)
    {
        var id = Submission.KeptModelId(submission.Id);
        var task = assignment?.Rules.Task ?? "";
        var dataset = assignment?.Rules.Dataset ?? "";
        var metrics = (GradingResult.FromJson(submission.ResultJson)?.Metrics ?? new Dictionary<string, double>())
            .Where(m => m.Key.StartsWith("eval_", StringComparison.Ordinal) && !m.Key.Contains("_confusion_") && double.IsFinite(m.Value)
                        && m.Key is not ("eval_runtime" or "eval_samples_per_second" or "eval_steps_per_second"))
            .OrderBy(m => m.Key, StringComparer.Ordinal).ToList();
        var headline = assignment?.Rules.Metric is { } metric && metrics.Any(m => m.Key == metric) ? metrics.Where(m => m.Key == metric) : metrics.Take(0);
        var baseModel = GradingResult.FromJson(submission.ResultJson)?.Receipt.BaseModel;
        var card = new StringBuilder();
        card.Append(CultureInfo.InvariantCulture, $"""
            ---
            pipeline_tag: {task}
            library_name: course-platform
            language:
              - en
            base_model: {baseModel ?? "unknown"}
            datasets:
              - {dataset}
            model-index:
              - name: {id}
                results:
                  - task:
                      type: {task}
                    dataset:
                      name: {dataset}
                      type: {dataset}
                      split: validation
                    metrics:

            """);
        foreach (var (name, value) in headline)
        {
            card.Append(CultureInfo.InvariantCulture, $"                      - type: {name[5..]}\n                        value: {value:0.####}\n");
        }
        card.Append(CultureInfo.InvariantCulture, $"""
            ---

            # {id}

            `{baseModel ?? "unknown"}` fine-tuned for {task} in *{assignment?.Title ?? submission.AssignmentId}* by {AssignmentService.Pseudonym(submission.UserId)}, shared on {publication.PublishedAt:yyyy-MM-dd}.

            ## Evaluation (validation split)

            | metric | value |
            |---|---|

            """);
        foreach (var (name, value) in metrics)
        {
            card.Append(CultureInfo.InvariantCulture, $"| {name} | {value:0.####} |\n");
        }
        var fence = new string('`', Math.Max(3, LongestRun(submission.ConfigYaml, '`') + 1));
        card.Append(CultureInfo.InvariantCulture, $"""

            ## Configuration

            {fence}yaml
            {submission.ConfigYaml.TrimEnd()}
            {fence}

            ## Training data

            The public `train` split of [{dataset}](/hub/datasets/{dataset}){(assignment is null ? "" : $", its first {assignment.Rules.Limits.MaxTrainExamples:N0} rows at most")}; evaluated on its `validation` split.

            ## Intended use

            {publication.IntendedUse.Trim()}

            ## Limitations

            {publication.Limitations.Trim()}

            """);
        return card.ToString();
    }

    /// <summary>A section the student writes: required, and at most <see cref="ModelPublication.SectionMaxLength"/> characters.</summary>
    private static string Section(string? text, string field)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new ModelSharingException($"Write the card's \"{field}\" section: what the model is for, in your words.");
        }
        if (TextLimits.Check(text, ModelPublication.SectionMaxLength, $"\"{field}\"") is { } tooLong)
        {
            throw new ModelSharingException(tooLong + ".");
        }
        return text.Trim();
    }

    private static int LongestRun(string text, char c)
    {
        var (longest, run) = (0, 0);
        foreach (var ch in text)
        {
            run = ch == c ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }
        return longest;
    }
}
