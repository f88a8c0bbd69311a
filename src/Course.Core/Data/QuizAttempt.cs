namespace Course.Core.Data;

public enum AttemptState { InProgress, Submitted, Expired }

/// <summary>
/// One attempt at a quiz. It pins the quiz as it was when the attempt started (<see cref="QuizJson"/>: text,
/// keys, version), so editing the quiz later never re-scores it silently; instructors re-score on purpose.
/// </summary>
public sealed class QuizAttempt
{
    public long Id { get; set; }
    public required string UserId { get; set; }
    public required string QuizId { get; set; }

    /// <summary>1, 2, … per student and quiz.</summary>
    public int Number { get; set; }

    public required string QuizVersion { get; set; }
    public required string QuizJson { get; set; }

    /// <summary>Chooses this attempt's variant of each computed item that has several (<see cref="Quizzes.QuizVariants"/>).</summary>
    public int Seed { get; set; }

    /// <summary>
    /// A random 256-bit key (hex) that orders this attempt's items and options and names its options in the browser
    /// (<see cref="Quizzes.AttemptSecret"/>), reproducibly, so resuming shows the same order and tokens. Never sent out.
    /// </summary>
    public string Secret { get; set; } = "";

    public DateTimeOffset StartedAt { get; set; }

    /// <summary>Start + the quiz's time limit; answers after it are refused.</summary>
    public DateTimeOffset? Deadline { get; set; }

    public DateTimeOffset? SubmittedAt { get; set; }
    public AttemptState State { get; set; }

    /// <summary>Item number → the saved response, as JSON; saved on every change so an attempt can be resumed.</summary>
    public string AnswersJson { get; set; } = "{}";

    public double? Points { get; set; }
    public double MaxPoints { get; set; }

    /// <summary>Reset by an instructor: neither counted against the attempt limit nor in the grade.</summary>
    public bool Discarded { get; set; }
}

/// <summary>Extra attempts an instructor granted a student for one quiz.</summary>
public sealed class QuizAttemptGrant
{
    public long Id { get; set; }
    public required string UserId { get; set; }
    public required string QuizId { get; set; }
    public int ExtraAttempts { get; set; }
    public required string GrantedByUserId { get; set; }
    public DateTimeOffset GrantedAt { get; set; }
    public string? Reason { get; set; }
}

/// <summary>An instructor action on a student's record (extra attempts, a reset, a re-score), kept for review.</summary>
public sealed class AuditEntry
{
    public long Id { get; set; }
    public DateTimeOffset At { get; set; }
    public required string ActorUserId { get; set; }
    public required string Action { get; set; }
    public string? SubjectUserId { get; set; }
    public required string Details { get; set; }

    /// <summary>The reason an instructor gave, as the tail of <see cref="Details"/>.</summary>
    public static string Because(string? reason) => string.IsNullOrWhiteSpace(reason) ? "" : $" — {reason.Trim()}";
}
