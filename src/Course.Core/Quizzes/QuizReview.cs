namespace Course.Core.Quizzes;

/// <summary>What a student may see of a submitted attempt (Moodle's review options); front matter names in brackets.</summary>
[Flags]
public enum ReviewOptions
{
    None = 0,

    /// <summary>[score] the attempt's points and the quiz grade.</summary>
    Score = 1,

    /// <summary>[right_or_wrong] correct, partly correct or incorrect, per item.</summary>
    RightOrWrong = 2,

    /// <summary>[feedback] the feedback of the chosen options, and of a wrong numeric, text or computed answer.</summary>
    Feedback = 4,

    /// <summary>[correct_answers] the key: which options are right, the accepted value, the right order.</summary>
    CorrectAnswers = 8,

    /// <summary>[explanations] each item's explanation.</summary>
    Explanations = 16,

    All = Score | RightOrWrong | Feedback | CorrectAnswers | Explanations,
}

/// <summary>When a student looks at an attempt, which decides the review options that apply (exactly one at a time).</summary>
public enum ReviewMoment
{
    /// <summary>[after_attempt] the student may still take (or is taking) an attempt.</summary>
    AfterAttempt,

    /// <summary>[after_last_attempt] every allowed attempt is used and none is in progress.</summary>
    AfterLastAttempt,

    /// <summary>[after_close] the quiz's <c>closes:</c> date has passed.</summary>
    AfterClose,
}

/// <summary>The review options of a quiz at each moment (front matter <c>review:</c>, content/README.md).</summary>
public sealed record QuizReview(ReviewOptions AfterAttempt, ReviewOptions AfterLastAttempt, ReviewOptions AfterClose)
{
    public static readonly IReadOnlyDictionary<string, ReviewMoment> Moments = new Dictionary<string, ReviewMoment>(StringComparer.Ordinal)
    {
        ["after_attempt"] = ReviewMoment.AfterAttempt,
        ["after_last_attempt"] = ReviewMoment.AfterLastAttempt,
        ["after_close"] = ReviewMoment.AfterClose,
    };

    public static readonly IReadOnlyDictionary<string, ReviewOptions> Options = new Dictionary<string, ReviewOptions>(StringComparer.Ordinal)
    {
        ["score"] = ReviewOptions.Score,
        ["right_or_wrong"] = ReviewOptions.RightOrWrong,
        ["feedback"] = ReviewOptions.Feedback,
        ["correct_answers"] = ReviewOptions.CorrectAnswers,
        ["explanations"] = ReviewOptions.Explanations,
    };

    /// <summary>
    /// A graded quiz shows the score and right or wrong while attempts remain, so a blank first attempt cannot harvest
    /// the key for the next one; the rest once no attempt can use it. A practice quiz shows everything at once.
    /// </summary>
    public static QuizReview Default(bool practice) => practice
        ? new(ReviewOptions.All, ReviewOptions.All, ReviewOptions.All)
        : new(ReviewOptions.Score | ReviewOptions.RightOrWrong, ReviewOptions.All, ReviewOptions.All);

    public ReviewOptions At(ReviewMoment moment) => moment switch
    {
        ReviewMoment.AfterAttempt => AfterAttempt,
        ReviewMoment.AfterLastAttempt => AfterLastAttempt,
        ReviewMoment.AfterClose => AfterClose,
        _ => throw new ArgumentOutOfRangeException(nameof(moment), moment, null),
    };

    public QuizReview With(ReviewMoment moment, ReviewOptions options) => moment switch
    {
        ReviewMoment.AfterAttempt => this with { AfterAttempt = options },
        ReviewMoment.AfterLastAttempt => this with { AfterLastAttempt = options },
        ReviewMoment.AfterClose => this with { AfterClose = options },
        _ => throw new ArgumentOutOfRangeException(nameof(moment), moment, null),
    };
}

/// <summary>One item of an attempt as the browser may see it: keys, feedback and explanation removed unless shown.</summary>
/// <param name="Item">Options (in file order, as tokens) only when the key is shown, else in the attempt's order.</param>
/// <param name="Options">The options in the attempt's order, as tokens.</param>
/// <param name="Score">Null while the attempt is open or when right or wrong is not shown.</param>
public sealed record ReviewedItem(QuizItem Item, IReadOnlyList<QuizOption> Options, ItemScore? Score);

/// <summary>
/// Which review options apply to a student now, and the items stripped of everything else. The server renders the
/// page (Blazor Server), so what is stripped here never reaches the browser, not even in component state.
/// </summary>
public static class ReviewPolicy
{
    /// <param name="closed">The quiz's <c>closes:</c> date has passed.</param>
    /// <param name="attemptsLeft">The student may start another attempt (unlimited attempts always may).</param>
    /// <param name="attemptInProgress">An attempt is open: reviewing an earlier one must not hand it the key.</param>
    public static ReviewMoment Moment(bool closed, bool attemptsLeft, bool attemptInProgress) =>
        attemptInProgress ? ReviewMoment.AfterAttempt
        : closed ? ReviewMoment.AfterClose
        : attemptsLeft ? ReviewMoment.AfterAttempt
        : ReviewMoment.AfterLastAttempt;

    public static ReviewOptions Shown(Quiz quiz, ReviewMoment moment) => quiz.ReviewSettings.At(moment);

    /// <summary>The moments after <paramref name="now"/> that will show <paramref name="option"/> (after the close only when the quiz closes).</summary>
    public static IReadOnlyList<ReviewMoment> ShownLater(Quiz quiz, ReviewMoment now, ReviewOptions option) =>
        Enum.GetValues<ReviewMoment>()
            .Where(m => m > now && (m != ReviewMoment.AfterClose || quiz.Closes is not null) && quiz.ReviewSettings.At(m).HasFlag(option))
            .ToList();

    /// <summary>
    /// The item as shown under <paramref name="shown"/>; pass <see cref="ReviewOptions.None"/> and no score for an open
    /// attempt. <paramref name="item"/> and <paramref name="presented"/> already carry the attempt's tokens.
    /// </summary>
    public static ReviewedItem Review(QuizItem item, IReadOnlyList<QuizOption> presented, ItemScore? score, ReviewOptions shown)
    {
        var key = shown.HasFlag(ReviewOptions.CorrectAnswers);
        var feedback = shown.HasFlag(ReviewOptions.Feedback);
        QuizOption Strip(QuizOption option) => option with { Correct = key && option.Correct, FeedbackHtml = feedback ? option.FeedbackHtml : null };
        var options = presented.Select(Strip).ToList();
        var visible = item with
        {
            // An ordering's file order is its key; a choice's Correct flags are.
            Options = key ? item.Options.Select(Strip).ToList() : options,
            NumericAnswer = key ? item.NumericAnswer : null,
            Tolerance = key ? item.Tolerance : 0,
            RelativeTolerance = key && item.RelativeTolerance,
            Accept = key ? item.Accept : [],
            Patterns = key ? item.Patterns : [],
            Variants = null,
            FeedbackHtml = feedback ? item.FeedbackHtml : null,
            ExplanationHtml = shown.HasFlag(ReviewOptions.Explanations) ? item.ExplanationHtml : "",
        };
        var visibleScore = score is not null && shown.HasFlag(ReviewOptions.RightOrWrong)
            ? score with { FeedbackHtml = feedback ? score.FeedbackHtml : [] }
            : null;
        return new ReviewedItem(visible, options, visibleScore);
    }
}
