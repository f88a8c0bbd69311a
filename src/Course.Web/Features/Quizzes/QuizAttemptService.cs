using Course.Core.Configuration;
using System.Text.Json;
using Course.Core.Content;
using Course.Core.Data;
using Course.Core.Quizzes;
using Course.Web.Features.Security;
using Microsoft.EntityFrameworkCore;

namespace Course.Web.Features.Quizzes;

/// <summary>A student's standing on one quiz.</summary>
/// <param name="Closed">The quiz's <c>closes:</c> date (and the grace after it) has passed.</param>
public sealed record QuizOverview(Quiz Quiz, IReadOnlyList<QuizAttempt> Attempts, int AttemptsAllowed, double? Grade, QuizAttempt? InProgress, bool Closed)
{
    public int AttemptsUsed => Attempts.Count(a => !a.Discarded);

    /// <summary>0 when the quiz allows unlimited attempts.</summary>
    public int AttemptsLeft => AttemptsAllowed == 0 ? int.MaxValue : Math.Max(0, AttemptsAllowed - AttemptsUsed);

    public bool CanStart => InProgress is null && AttemptsLeft > 0 && !Closed;

    public ReviewMoment Moment => ReviewPolicy.Moment(Closed, AttemptsLeft > 0, InProgress is not null);

    /// <summary>What the student may see of submitted attempts now (score and grade included).</summary>
    public ReviewOptions Review => ReviewPolicy.Shown(Quiz, Moment);
}

/// <summary>The attempt row without its pinned quiz, answers or secret; <paramref name="Points"/> only when the score is shown.</summary>
public sealed record AttemptSummary(long Id, int Number, AttemptState State, DateTimeOffset? Deadline, double? Points, double MaxPoints);

/// <summary>
/// An attempt as its student may see it now: items in the attempt's order with option tokens for ids, stripped of what
/// the review options hide (nothing but the questions while it is open), and the saved answers in tokens.
/// </summary>
public sealed record AttemptView(
    AttemptSummary Attempt,
    ReviewOptions Review,
    IReadOnlyList<ReviewedItem> Items,
    IReadOnlyDictionary<int, QuizResponse> Answers)
{
    public ItemScore? ScoreOf(int itemNumber) => Items.Single(i => i.Item.Number == itemNumber).Score;
}

/// <summary>Refused: the attempt is closed (submitted, or its time ran out) or not this student's.</summary>
public sealed class QuizAttemptException(string message) : Exception(message);

/// <summary>
/// Quiz attempts, scored on the server: start (or resume), save each answer as it changes, submit; a time
/// limit and the closing date are enforced here, not in the browser. Attempts pin the quiz they started with, and
/// are shown as the quiz's review options allow at the time of asking (<see cref="ReviewPolicy"/>). Instructors grant
/// extra attempts, reset an attempt or re-score on purpose, each written to the audit trail.
/// </summary>
public sealed class QuizAttemptService(
    IDbContextFactory<CourseDbContext> databases, ContentRepository content, RequestLimiter limiter, ClientConnection connection, TimeProvider clock)
{
    /// <summary>Network slack after the deadline: a submit that left the browser in time is still accepted.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(5);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public Quiz? FindQuiz(string quizId) => content.Current.FindQuiz(quizId);

    public async Task<QuizOverview> GetOverviewAsync(string userId, Quiz quiz, CancellationToken cancellationToken = default)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var attempts = await db.QuizAttempts.Where(a => a.UserId == userId && a.QuizId == quiz.Id).OrderBy(a => a.Number).ToListAsync(cancellationToken);
        foreach (var attempt in attempts.Where(a => a.State == AttemptState.InProgress && IsPastDeadline(a)))
        {
            Close(attempt, AttemptState.Expired);
        }
        await db.SaveChangesAsync(cancellationToken);
        var extra = await db.QuizAttemptGrants.Where(g => g.UserId == userId && g.QuizId == quiz.Id).SumAsync(g => g.ExtraAttempts, cancellationToken);
        return new QuizOverview(quiz, attempts, quiz.Attempts == 0 ? 0 : quiz.Attempts + extra, GradeOf(quiz, attempts),
            attempts.FirstOrDefault(a => a.State == AttemptState.InProgress && !a.Discarded),
            quiz.Closes is { } closes && clock.GetUtcNow() > closes + Grace);
    }

    /// <summary>The grade by the quiz's policy over submitted, non-discarded attempts (null before any).</summary>
    public static double? GradeOf(Quiz quiz, IEnumerable<QuizAttempt> attempts) => QuizGrading.Grade(quiz.Grading,
        attempts.Where(a => !a.Discarded && a.State != AttemptState.InProgress && a.Points is not null)
            .Select(a => new GradedAttempt(a.Number, a.SubmittedAt ?? a.StartedAt, a.Points!.Value, a.MaxPoints)).ToList());

    /// <summary>Resumes the attempt in progress, or starts the next one when attempts are left.</summary>
    public async Task<long> StartAsync(string userId, Quiz quiz, CancellationToken cancellationToken = default)
    {
        var overview = await GetOverviewAsync(userId, quiz, cancellationToken);
        if (overview.InProgress is { } open)
        {
            return open.Id;
        }
        if (quiz.Closes is { } closes && clock.GetUtcNow() > closes)
        {
            throw new QuizAttemptException($"This quiz closed at {closes.UtcDateTime:yyyy-MM-dd HH:mm} UTC.");
        }
        if (!overview.CanStart)
        {
            throw new QuizAttemptException($"No attempts left: this quiz allows {overview.AttemptsAllowed} and you have used {overview.AttemptsUsed}.");
        }
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var now = clock.GetUtcNow();
        var attempt = new QuizAttempt
        {
            UserId = userId,
            QuizId = quiz.Id,
            Number = overview.Attempts.Count == 0 ? 1 : overview.Attempts.Max(a => a.Number) + 1,
            QuizVersion = quiz.Version,
            QuizJson = JsonSerializer.Serialize(quiz, Json),
            Seed = Random.Shared.Next(),
            Secret = AttemptSecret.Create(),
            StartedAt = now,
            Deadline = new[] { now + quiz.TimeLimit, quiz.Closes }.Min(),
            MaxPoints = quiz.MaxPoints,
            State = AttemptState.InProgress,
        };
        db.QuizAttempts.Add(attempt);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            throw new QuizAttemptException("This attempt was just started in another window: reload the page to continue it.");
        }
        return attempt.Id;
    }

    /// <param name="asInstructor">Any student's attempt, with everything shown.</param>
    public async Task<AttemptView> GetAttemptAsync(string userId, long attemptId, bool asInstructor = false, CancellationToken cancellationToken = default)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var attempt = await Find(db, userId, attemptId, asInstructor, cancellationToken);
        if (attempt.State == AttemptState.InProgress && IsPastDeadline(attempt))
        {
            Close(attempt, AttemptState.Expired);
            await db.SaveChangesAsync(cancellationToken);
        }
        return await ViewAsync(attempt, asInstructor, cancellationToken);
    }

    /// <summary>
    /// Saves one answer, given with the attempt's option tokens (as the page shows them); refused once the attempt is
    /// closed or its time is up, when a token is none of the item's, or when answers come too fast.
    /// </summary>
    public async Task SaveAnswerAsync(string userId, long attemptId, int itemNumber, QuizResponse response, CancellationToken cancellationToken = default)
    {
        if (limiter.Check(LimitedAction.QuizAnswer, userId, connection.Address) is { } refusal)
        {
            throw new QuizAttemptException(refusal);
        }
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var attempt = await OpenAttemptAsync(db, userId, attemptId, cancellationToken);
        var item = PinnedQuiz(attempt).FindItem(itemNumber) ?? throw new QuizAttemptException($"This quiz has no item {itemNumber}.");
        if (TextLimits.Check(response.Text, TextLimits.QuizAnswer, "The answer") is { } tooLong)
        {
            throw new QuizAttemptException(tooLong + ".");
        }
        var secret = new AttemptSecret(attempt.Secret);
        // Stored as the quiz's own option ids, so scoring, statistics and re-scoring never need the secret.
        var options = response.Options.Select(token => secret.OptionId(item, token)
            ?? throw new QuizAttemptException("That answer names an option this question does not have: reload the page.")).ToList();
        var answers = Answers(attempt).ToDictionary();
        answers[itemNumber] = new QuizResponse(options, response.Text);
        attempt.AnswersJson = JsonSerializer.Serialize(answers, Json);
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>Scores the saved answers. After the deadline the submission is refused and the attempt closes with what was saved in time.</summary>
    public async Task<AttemptView> SubmitAsync(string userId, long attemptId, CancellationToken cancellationToken = default)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var attempt = await OpenAttemptAsync(db, userId, attemptId, cancellationToken);
        Close(attempt, AttemptState.Submitted);
        await db.SaveChangesAsync(cancellationToken);
        return await ViewAsync(attempt, false, cancellationToken);
    }

    public async Task GrantExtraAttemptsAsync(string actorId, string userId, string quizId, int extra, string? reason, CancellationToken cancellationToken = default)
    {
        if (extra is < 1 or > 20)
        {
            throw new QuizAttemptException("Grant between 1 and 20 extra attempts.");
        }
        TextLimits.Require(reason, TextLimits.Reason, "The reason");
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var now = clock.GetUtcNow();
        db.QuizAttemptGrants.Add(new QuizAttemptGrant { UserId = userId, QuizId = quizId, ExtraAttempts = extra, GrantedByUserId = actorId, GrantedAt = now, Reason = reason });
        db.AuditEntries.Add(new AuditEntry { At = now, ActorUserId = actorId, Action = "quiz.extra-attempts", SubjectUserId = userId, Details = $"{quizId}: +{extra}{AuditEntry.Because(reason)}" });
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>Discards an attempt: it no longer counts against the limit nor in the grade (kept for the record).</summary>
    public async Task ResetAttemptAsync(string actorId, long attemptId, string? reason, CancellationToken cancellationToken = default)
    {
        TextLimits.Require(reason, TextLimits.Reason, "The reason");
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var attempt = await db.QuizAttempts.SingleOrDefaultAsync(a => a.Id == attemptId, cancellationToken)
            ?? throw new QuizAttemptException("No such attempt.");
        attempt.Discarded = true;
        if (attempt.State == AttemptState.InProgress)
        {
            Close(attempt, AttemptState.Expired);
        }
        db.AuditEntries.Add(new AuditEntry
        {
            At = clock.GetUtcNow(), ActorUserId = actorId, Action = "quiz.reset-attempt", SubjectUserId = attempt.UserId,
            Details = $"{attempt.QuizId} attempt {attempt.Number} (was {attempt.Points:0.##}/{attempt.MaxPoints:0.##}){AuditEntry.Because(reason)}",
        });
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>Re-scores every closed attempt of a quiz against its current version, on purpose; returns how many changed.</summary>
    public async Task<int> RescoreAsync(string actorId, Quiz quiz, CancellationToken cancellationToken = default)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var attempts = await db.QuizAttempts.Where(a => a.QuizId == quiz.Id && a.State != AttemptState.InProgress).ToListAsync(cancellationToken);
        var changed = 0;
        foreach (var attempt in attempts)
        {
            var before = attempt.Points;
            attempt.QuizJson = JsonSerializer.Serialize(quiz, Json);
            attempt.QuizVersion = quiz.Version;
            attempt.MaxPoints = quiz.MaxPoints;
            attempt.Points = Score(QuizVariants.ForSeed(quiz, attempt.Seed), Answers(attempt)).Values.Sum(s => s.Points);
            changed += before == attempt.Points ? 0 : 1;
        }
        db.AuditEntries.Add(new AuditEntry
        {
            At = clock.GetUtcNow(), ActorUserId = actorId, Action = "quiz.rescore",
            Details = $"{quiz.Id} re-scored against version {quiz.Version[..12]}: {attempts.Count} attempts, {changed} changed",
        });
        await db.SaveChangesAsync(cancellationToken);
        return changed;
    }

    public async Task<IReadOnlyList<AuditEntry>> AuditTrailAsync(string subjectUserId, CancellationToken cancellationToken = default)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var entries = await db.AuditEntries.Where(e => e.SubjectUserId == subjectUserId).ToListAsync(cancellationToken);
        return entries.OrderByDescending(e => e.At).ThenByDescending(e => e.Id).ToList();
    }

    public static IReadOnlyDictionary<int, ItemScore> Score(Quiz quiz, IReadOnlyDictionary<int, QuizResponse> answers) =>
        quiz.Items.ToDictionary(i => i.Number, i => QuizScoring.Score(i, answers.GetValueOrDefault(i.Number) ?? QuizResponse.Empty));

    private static async Task<QuizAttempt> Find(CourseDbContext db, string userId, long attemptId, bool asInstructor, CancellationToken cancellationToken) =>
        await db.QuizAttempts.SingleOrDefaultAsync(a => a.Id == attemptId && (asInstructor || a.UserId == userId), cancellationToken)
        ?? throw new QuizAttemptException("There is no such attempt of yours.");

    /// <summary>The student's attempt, still open and in time; past its deadline it is closed with the answers saved in time, and refused.</summary>
    private async Task<QuizAttempt> OpenAttemptAsync(CourseDbContext db, string userId, long attemptId, CancellationToken cancellationToken)
    {
        var attempt = await Find(db, userId, attemptId, false, cancellationToken);
        EnsureOpen(attempt);
        if (IsPastDeadline(attempt))
        {
            Close(attempt, AttemptState.Expired);
            await db.SaveChangesAsync(cancellationToken);
            throw new QuizAttemptException(LateMessage(attempt));
        }
        return attempt;
    }

    private bool IsPastDeadline(QuizAttempt attempt) => attempt.Deadline is { } deadline && clock.GetUtcNow() > deadline + Grace;

    private static void EnsureOpen(QuizAttempt attempt)
    {
        if (attempt.State != AttemptState.InProgress)
        {
            throw new QuizAttemptException(attempt.State == AttemptState.Expired
                ? "This attempt has closed: its time limit has passed."
                : "This attempt has already been submitted.");
        }
    }

    private void Close(QuizAttempt attempt, AttemptState state)
    {
        attempt.State = state;
        attempt.SubmittedAt = state == AttemptState.Expired && attempt.Deadline is { } deadline ? deadline : clock.GetUtcNow();
        attempt.Points = Score(AttemptQuiz(attempt), Answers(attempt)).Values.Sum(s => s.Points);
    }

    private static string LateMessage(QuizAttempt attempt) =>
        $"Too late: the time limit ended at {attempt.Deadline:HH:mm:ss} UTC. The answers you saved before then were graded: {attempt.Points:0.##}/{attempt.MaxPoints:0.##}.";

    /// <summary>The quiz as the attempt pinned it, every variant included.</summary>
    public static Quiz PinnedQuiz(QuizAttempt attempt) => JsonSerializer.Deserialize<Quiz>(attempt.QuizJson, Json)!;

    /// <summary>
    /// The pinned quiz and the saved answers, or null where the row's JSON cannot be read (edited by hand, a partial
    /// restore): the statistics leave such an attempt out and say how many, instead of failing the whole page.
    /// </summary>
    public static (Quiz Quiz, IReadOnlyDictionary<int, QuizResponse> Answers)? TryRead(QuizAttempt attempt)
    {
        try
        {
            var quiz = PinnedQuiz(attempt);
            return quiz is { Id: not null, Version: not null, Items: not null } && quiz.Items.All(i => i is not null) ? (quiz, Answers(attempt)) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The pinned quiz with this attempt's variants: what it shows and is scored against.</summary>
    public static Quiz AttemptQuiz(QuizAttempt attempt) => QuizVariants.ForSeed(PinnedQuiz(attempt), attempt.Seed);

    /// <summary>Saved answers by item number, with the quiz's own option ids.</summary>
    public static IReadOnlyDictionary<int, QuizResponse> Answers(QuizAttempt attempt) =>
        JsonSerializer.Deserialize<Dictionary<int, QuizResponse>>(attempt.AnswersJson, Json) ?? [];

    /// <summary>
    /// The attempt as its student may see it now. The review options are the current quiz's (an instructor may open the
    /// key after the close, as in Moodle), or the pinned copy's once the quiz is gone from the content.
    /// </summary>
    private async Task<AttemptView> ViewAsync(QuizAttempt attempt, bool asInstructor, CancellationToken cancellationToken)
    {
        var shown = ReviewOptions.None;
        if (attempt.State != AttemptState.InProgress)
        {
            var settings = content.Current.FindQuiz(attempt.QuizId) ?? PinnedQuiz(attempt);
            shown = asInstructor ? ReviewOptions.All : (await GetOverviewAsync(attempt.UserId, settings, cancellationToken)).Review;
        }
        var quiz = AttemptQuiz(attempt);
        var secret = new AttemptSecret(attempt.Secret);
        var answers = Answers(attempt);
        var scores = attempt.State == AttemptState.InProgress ? null : Score(quiz, answers);
        var items = QuizGrading.Presentation(quiz, secret).Select(p => ReviewPolicy.Review(p.Item, p.Options, scores?[p.Item.Number], shown)).ToList();
        var tokens = answers.ToDictionary(a => a.Key, a => a.Value with { Options = [.. a.Value.Options.Select(id => secret.Token(a.Key, id))] });
        var summary = new AttemptSummary(attempt.Id, attempt.Number, attempt.State, attempt.Deadline,
            shown.HasFlag(ReviewOptions.Score) ? attempt.Points : null, attempt.MaxPoints);
        return new AttemptView(summary, shown, items, tokens);
    }
}
