using Course.Core.Data;

namespace Course.Core.Quizzes;

/// <summary>One analysed attempt: its saved answers (item number → response) and the seed that chose its variants.</summary>
public sealed record AttemptAnswers(IReadOnlyDictionary<int, QuizResponse> Answers, int Seed);

/// <summary>How many analysed attempts chose one option of an item.</summary>
public sealed record OptionCount(string Id, string Html, bool Correct, int Count);

/// <summary>
/// Moodle's item statistics for one item over the analysed attempts (see <see cref="ItemAnalysis"/>); null where
/// a statistic is undefined.
/// </summary>
/// <param name="Facility">Mean score as a percentage of the item's points: how easy the item was.</param>
/// <param name="StandardDeviation">Sample standard deviation (n − 1) of the score, as a percentage of the item's points; null below 2 attempts.</param>
/// <param name="Discrimination">
/// 100 × the Pearson correlation between the item's score and the score on the rest of the quiz (total minus this item);
/// null below 2 attempts or when either score never varies (everyone right, say), since a correlation needs spread on both sides.
/// </param>
/// <param name="Unanswered">Attempts that saved no answer to this item (scored 0).</param>
/// <param name="Options">Choices per option for single, multiple and true/false items; empty for the others (an ordering uses every step).</param>
public sealed record ItemStatistics(
    QuizItem Item,
    int Attempts,
    double? Facility,
    double? StandardDeviation,
    double? Discrimination,
    int Unanswered,
    IReadOnlyList<OptionCount> Options)
{
    /// <summary>Moodle's rule of thumb: facility outside 20–90 % says little about who knows the material.</summary>
    public const double TooEasyAbove = 90, TooHardBelow = 20;

    /// <summary>Below this an item hardly separates stronger from weaker students; below 0 it favours the weaker ones.</summary>
    public const double PoorDiscriminationBelow = 20;

    /// <summary>What an instructor should look at, in words; empty when nothing stands out.</summary>
    public IReadOnlyList<string> Warnings => new[]
    {
        Facility > TooEasyAbove ? $"too easy: facility above {TooEasyAbove}%" : null,
        Facility < TooHardBelow ? $"too hard: facility below {TooHardBelow}%" : null,
        Discrimination < 0 ? "negative discrimination: weaker students do better on it — check the key and the wording"
            : Discrimination < PoorDiscriminationBelow ? $"discriminates poorly: below {PoorDiscriminationBelow}" : null,
    }.OfType<string>().ToList();
}

/// <summary>
/// Item analysis as Moodle's quiz statistics report defines it. Which attempts count is decided by
/// <see cref="FirstAttempts"/>; every item is re-scored from the saved answers with the quiz the attempts pinned,
/// so the statistics match the points the attempts were given. A computed item with variants is one item here, each
/// attempt scored against the key of the variant it was given.
/// </summary>
public static class ItemAnalysis
{
    /// <summary>Below this a variance is floating-point noise (a total minus an item's points), not spread.</summary>
    private const double NoSpread = 1e-12;

    /// <summary>
    /// The attempts analysed: each student's first attempt among those that were submitted or expired and not discarded
    /// (Moodle's "first attempt" choice). Later attempts follow feedback on the first, so they would measure memory of
    /// the key rather than the item, and would count a student several times.
    /// </summary>
    public static IReadOnlyList<QuizAttempt> FirstAttempts(IEnumerable<QuizAttempt> attempts) => attempts
        .Where(a => !a.Discarded && a.State != AttemptState.InProgress && a.Points is not null)
        .GroupBy(a => a.UserId)
        .Select(g => g.MinBy(a => a.Number)!)
        .ToList();

    /// <summary>Statistics of every item of <paramref name="quiz"/> (as pinned, with all its variants) over the analysed attempts.</summary>
    public static IReadOnlyList<ItemStatistics> Analyse(Quiz quiz, IReadOnlyList<AttemptAnswers> attempts)
    {
        var responses = attempts.Select(a => quiz.Items.Select(i => a.Answers.GetValueOrDefault(i.Number) ?? QuizResponse.Empty).ToArray()).ToArray();
        // scores[attempt][item], in quiz.Items order.
        var scores = attempts.Select((a, k) => QuizVariants.ForSeed(quiz, a.Seed).Items.Select((item, j) => QuizScoring.Score(item, responses[k][j])).ToArray()).ToArray();
        var totals = scores.Select(row => row.Sum(s => s.Points)).ToArray();
        return quiz.Items.Select((item, j) =>
        {
            var fractions = scores.Select(row => row[j].Fraction).ToArray();
            var rest = scores.Select((row, k) => totals[k] - row[j].Points).ToArray();
            var options = item.Type is QuizItemType.Single or QuizItemType.Multiple or QuizItemType.TrueFalse
                ? item.Options.Select(o => new OptionCount(o.Id, o.Html, o.Correct, responses.Count(r => r[j].Options.Contains(o.Id)))).ToList()
                : [];
            return new ItemStatistics(
                item,
                attempts.Count,
                fractions.Length == 0 ? null : fractions.Average() * 100,
                fractions.Length < 2 ? null : Math.Sqrt(SumOfSquares(fractions) / (fractions.Length - 1)) * 100,
                Correlation(fractions, rest) * 100,
                responses.Count(r => IsUnanswered(r[j])),
                options);
        }).ToList();
    }

    /// <summary>Pearson's r; null below 2 values or when either side has no spread.</summary>
    private static double? Correlation(double[] x, double[] y)
    {
        if (x.Length < 2)
        {
            return null;
        }
        var (xs, ys) = (SumOfSquares(x), SumOfSquares(y));
        if (xs < NoSpread || ys < NoSpread)
        {
            return null;
        }
        var (mx, my) = (x.Average(), y.Average());
        return x.Zip(y).Sum(p => (p.First - mx) * (p.Second - my)) / Math.Sqrt(xs * ys);
    }

    private static double SumOfSquares(double[] values)
    {
        var mean = values.Average();
        return values.Sum(v => (v - mean) * (v - mean));
    }

    private static bool IsUnanswered(QuizResponse response) => response.Options.Count == 0 && string.IsNullOrWhiteSpace(response.Text);
}
