using System.Globalization;
using System.Text.RegularExpressions;

namespace Course.Core.Quizzes;

/// <summary>
/// Scores answers on the server, by the rules of content/README.md: partial credit for multiple choice
/// (+1/k per correct option chosen, −1/w per wrong one, floored at 0), tolerance for numeric answers,
/// accepted values or full-match patterns for short text, all-or-nothing ordering, and computed keys.
/// </summary>
public static class QuizScoring
{
    private static readonly TimeSpan PatternTimeout = TimeSpan.FromMilliseconds(100);

    public static ItemScore Score(QuizItem item, QuizResponse response)
    {
        var fraction = item.Type switch
        {
            QuizItemType.Single or QuizItemType.TrueFalse => response.Options.Count == 1 && item.Options.Any(o => o.Correct && o.Id == response.Options[0]) ? 1 : 0,
            QuizItemType.Multiple => MultipleChoice(item, response),
            QuizItemType.Ordering => response.Options.SequenceEqual(item.Options.Select(o => o.Id)) ? 1 : 0,
            QuizItemType.Numeric or QuizItemType.Computed => Numeric(item, response.Text) ? 1 : 0,
            QuizItemType.Text => Text(item, response.Text) ? 1 : 0,
            _ => throw new ArgumentOutOfRangeException(nameof(item), item.Type, null),
        };
        var feedback = item.HasOptions && item.Type != QuizItemType.Ordering
            ? item.Options.Where(o => response.Options.Contains(o.Id) && o.FeedbackHtml is not null).Select(o => o.FeedbackHtml!).ToList()
            : fraction < 1 && item.FeedbackHtml is not null ? [item.FeedbackHtml] : [];
        return new ItemScore(item.Number, fraction, fraction * item.Points, item.Points, fraction >= 1, feedback);
    }

    private static double MultipleChoice(QuizItem item, QuizResponse response)
    {
        var correct = item.Options.Count(o => o.Correct);
        var wrong = item.Options.Count - correct;
        var chosen = response.Options.Distinct().ToList();
        var score = chosen.Sum(id => item.Options.FirstOrDefault(o => o.Id == id) switch
        {
            { Correct: true } => 1.0 / correct,
            { Correct: false } => wrong == 0 ? 0 : -1.0 / wrong,
            null => 0,
        });
        return Math.Clamp(Math.Round(score, 10), 0, 1);
    }

    /// <summary>Accepts "0.73", "0,73" is refused (ambiguous); surrounding spaces and a trailing % for percentages are not interpreted.</summary>
    public static bool Numeric(QuizItem item, string? text)
    {
        if (item.NumericAnswer is not { } key || !double.TryParse(text?.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            return false;
        }
        var tolerance = item.RelativeTolerance ? Math.Abs(key) * item.Tolerance : item.Tolerance;
        // A hair of slack so that 0.1 + 0.2 style decimal noise never fails an exact answer.
        return Math.Abs(value - key) <= tolerance + 1e-9 * Math.Max(1, Math.Abs(key));
    }

    public static bool Text(QuizItem item, string? text)
    {
        var answer = text?.Trim() ?? "";
        if (answer.Length == 0)
        {
            return false;
        }
        var comparison = item.CaseSensitive ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;
        var options = item.CaseSensitive ? RegexOptions.None : RegexOptions.IgnoreCase;
        return item.Accept.Any(a => string.Equals(a, answer, comparison))
            || item.Patterns.Any(p => Regex.IsMatch(answer, $"^(?:{p})\\z", options | RegexOptions.CultureInvariant, PatternTimeout));
    }
}
