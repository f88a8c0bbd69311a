using System.Text.RegularExpressions;

namespace Course.Ml.Metrics;

/// <summary>
/// The official SQuAD v1.1 evaluation: answers normalised (lower case, punctuation and the articles a/an/the
/// removed, whitespace collapsed), exact match and token-overlap F1 against the best of the gold answers,
/// averaged over all questions and reported on 0–100. A question without a prediction scores 0.
/// </summary>
public static partial class SquadMetrics
{
    [GeneratedRegex(@"\b(a|an|the)\b", RegexOptions.NonBacktracking)]
    private static partial Regex Articles();

    public static string NormalizeAnswer(string text)
    {
        var lower = text.ToLowerInvariant();
        // string.punctuation, as the official script uses it.
        var noPunctuation = new string(lower.Where(c => !"!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~".Contains(c)).ToArray());
        var noArticles = Articles().Replace(noPunctuation, " ");
        return string.Join(' ', noArticles.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
    }

    public static double ExactMatch(string prediction, string truth) => NormalizeAnswer(prediction) == NormalizeAnswer(truth) ? 1 : 0;

    public static double F1(string prediction, string truth)
    {
        var predicted = NormalizeAnswer(prediction).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var gold = NormalizeAnswer(truth).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var remaining = gold.GroupBy(t => t).ToDictionary(g => g.Key, g => g.Count());
        var common = 0;
        foreach (var token in predicted)
        {
            if (remaining.TryGetValue(token, out var count) && count > 0)
            {
                remaining[token] = count - 1;
                common++;
            }
        }
        if (common == 0)
        {
            return 0;
        }
        var precision = (double)common / predicted.Length;
        var recall = (double)common / gold.Length;
        return 2 * precision * recall / (precision + recall);
    }

    /// <returns>(exact_match, f1) on 0–100.</returns>
    public static (double ExactMatch, double F1) Compute(IReadOnlyDictionary<string, IReadOnlyList<string>> goldAnswers, IReadOnlyDictionary<string, string> predictions)
    {
        return Mean(PerQuestion(goldAnswers, predictions));
    }

    /// <returns>(exact_match, f1) on 0–100 of questions scored by <see cref="PerQuestion"/>.</returns>
    public static (double ExactMatch, double F1) Mean(IReadOnlyList<(double ExactMatch, double F1)> scores) =>
        (100 * scores.Average(q => q.ExactMatch), 100 * scores.Average(q => q.F1));

    /// <summary>
    /// Each question's best exact match and F1 over its reference answers (0 or 1, and 0–1), in the references'
    /// order; a question without a prediction scores 0. The split's score is their mean, and a bootstrap resamples them.
    /// </summary>
    public static IReadOnlyList<(double ExactMatch, double F1)> PerQuestion(IReadOnlyDictionary<string, IReadOnlyList<string>> goldAnswers,
        IReadOnlyDictionary<string, string> predictions)
    {
        if (goldAnswers.Count == 0)
        {
            throw new ArgumentException("Nothing to score: no questions in the references.");
        }
        return goldAnswers.Select(g => predictions.TryGetValue(g.Key, out var prediction)
            ? (g.Value.Max(a => ExactMatch(prediction, a)), g.Value.Max(a => F1(prediction, a)))
            : (0d, 0d)).ToList();
    }
}
