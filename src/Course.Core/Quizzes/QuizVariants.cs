using System.Net;

namespace Course.Core.Quizzes;

/// <summary>
/// Per-student variants (PrairieLearn's idea): a computed item with several <c>text:</c> lines gives each attempt one of
/// them, chosen by the attempt's seed, and the key computed for it, so two students cannot simply share answers. The
/// attempt pins the quiz as written (every variant); this resolves it whenever the attempt is shown or scored.
/// </summary>
public static class QuizVariants
{
    /// <summary>The quiz as the attempt with <paramref name="seed"/> sees it: each item with variants reduced to its one text and key.</summary>
    public static Quiz ForSeed(Quiz quiz, int seed)
    {
        var choices = Choices(quiz, seed);
        return quiz with { Items = [.. quiz.Items.Select(item => item.Variants is { Count: > 0 } variants ? Resolve(item, variants[choices.GetValueOrDefault(item.Number)]) : item)] };
    }

    /// <summary>Which variant (0-based, in file order) the attempt with <paramref name="seed"/> gets for each item that has several.</summary>
    public static IReadOnlyDictionary<int, int> Choices(Quiz quiz, int seed)
    {
        var random = new Random(seed);
        return quiz.Items.Where(i => i.Variants is { Count: > 1 }).ToDictionary(i => i.Number, i => random.Next(i.Variants!.Count));
    }

    private static QuizItem Resolve(QuizItem item, ComputedVariant variant)
    {
        // The placeholder sits in rendered HTML (usually inside <code>), so the text goes in encoded.
        string Fill(string html) => html.Replace(QuizItem.TextPlaceholder, WebUtility.HtmlEncode(variant.Text), StringComparison.Ordinal);
        return item with
        {
            PromptHtml = Fill(item.PromptHtml),
            FeedbackHtml = item.FeedbackHtml is null ? null : Fill(item.FeedbackHtml),
            ExplanationHtml = Fill(item.ExplanationHtml),
            Compute = item.Compute! with { Text = variant.Text },
            NumericAnswer = variant.Key,
            Variants = [variant],
        };
    }
}
