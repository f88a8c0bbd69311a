namespace Course.Core.Quizzes;

public enum QuizItemType { Single, Multiple, TrueFalse, Numeric, Text, Ordering, Computed }

/// <summary>How the grade of a quiz is taken from its submitted attempts.</summary>
public enum GradingPolicy { Best, Last, Average }

/// <summary>A quiz as authored in <c>content/quizzes/*.md</c> (format in content/README.md), rendered to HTML.</summary>
/// <param name="Version">SHA-256 of the file: attempts pin it, so a later edit never re-scores them silently.</param>
/// <param name="Closes">After this instant no attempt starts or continues, and the <c>after_close</c> review applies.</param>
/// <param name="Practice">Not counted in the gradebook; everything is shown right after each attempt unless <paramref name="Review"/> says otherwise.</param>
public sealed record Quiz(
    string Id,
    string Title,
    string Topic,
    int Attempts,
    GradingPolicy Grading,
    TimeSpan? TimeLimit,
    bool Shuffle,
    string IntroHtml,
    IReadOnlyList<QuizItem> Items,
    string SourcePath,
    string Version,
    DateTimeOffset? Closes = null,
    bool Practice = false,
    QuizReview? Review = null)
{
    /// <summary>What students see of their attempts at each moment: the front matter's <c>review:</c> over the defaults.</summary>
    public QuizReview ReviewSettings => Review ?? QuizReview.Default(Practice);

    public double MaxPoints => Items.Sum(i => i.Points);

    public QuizItem? FindItem(int number) => Items.FirstOrDefault(i => i.Number == number);
}

/// <summary>
/// One answer option (single, multiple, true/false) or one step (ordering); ids are stable letters a, b, c… in file order,
/// as answers are stored. The browser only ever sees an attempt's opaque tokens for them (<see cref="AttemptSecret"/>).
/// </summary>
public sealed record QuizOption(string Id, string Html, bool Correct, string? FeedbackHtml);

/// <summary>What a computed item asks the tokenizer; <see cref="QuizItem.NumericAnswer"/> holds the key once resolved.</summary>
public sealed record ComputeSpec(string Function, string Tokenizer, string? Text);

/// <summary>One <c>text:</c> of a computed item and its key for that text (null where keys are left unresolved).</summary>
public sealed record ComputedVariant(string Text, double? Key);

public sealed record QuizItem(
    int Number,
    QuizItemType Type,
    string PromptHtml,
    double Points,
    IReadOnlyList<QuizOption> Options,
    double? NumericAnswer,
    double Tolerance,
    bool RelativeTolerance,
    IReadOnlyList<string> Accept,
    IReadOnlyList<string> Patterns,
    bool CaseSensitive,
    ComputeSpec? Compute,
    string? FeedbackHtml,
    string ExplanationHtml,
    int Line,
    IReadOnlyList<ComputedVariant>? Variants = null)
{
    /// <summary>Where a computed item with variants shows its attempt's text (prompt, stem, feedback, explanation).</summary>
    public const string TextPlaceholder = "{text}";

    public bool HasOptions => Type is QuizItemType.Single or QuizItemType.Multiple or QuizItemType.TrueFalse or QuizItemType.Ordering;
}

/// <summary>A student's answer to one item: chosen option ids (ordering: ids in the chosen order) or free text.</summary>
public sealed record QuizResponse(IReadOnlyList<string> Options, string? Text)
{
    public static readonly QuizResponse Empty = new([], null);

    public static QuizResponse Choose(params string[] options) => new(options, null);

    public static QuizResponse Answer(string text) => new([], text);
}

/// <summary>The score of one answer, as a fraction of the item's points, with what to show after submitting.</summary>
public sealed record ItemScore(int Number, double Fraction, double Points, double MaxPoints, bool Correct, IReadOnlyList<string> FeedbackHtml);
