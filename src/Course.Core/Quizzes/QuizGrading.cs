namespace Course.Core.Quizzes;

/// <summary>A submitted attempt as the grade sees it.</summary>
public sealed record GradedAttempt(int Number, DateTimeOffset SubmittedAt, double Points, double MaxPoints)
{
    public double Fraction => MaxPoints <= 0 ? 0 : Points / MaxPoints;
}

/// <summary>The quiz grade from submitted attempts, and the order a student sees an attempt in.</summary>
public static class QuizGrading
{
    /// <returns>The grade as a fraction 0–1, or null before any attempt was submitted.</returns>
    public static double? Grade(GradingPolicy policy, IReadOnlyCollection<GradedAttempt> attempts) => attempts.Count == 0 ? null : policy switch
    {
        GradingPolicy.Best => attempts.Max(a => a.Fraction),
        GradingPolicy.Last => attempts.MaxBy(a => (a.SubmittedAt, a.Number))!.Fraction,
        GradingPolicy.Average => attempts.Average(a => a.Fraction),
        _ => throw new ArgumentOutOfRangeException(nameof(policy), policy, null),
    };

    /// <summary>
    /// Items and their options in the order of this attempt: shuffled by the attempt's seed when the quiz says so;
    /// true/false keeps True before False; ordering steps are always shuffled (their file order is the key).
    /// </summary>
    public static IReadOnlyList<(QuizItem Item, IReadOnlyList<QuizOption> Options)> Presentation(Quiz quiz, int seed)
    {
        var random = new Random(seed);
        var items = quiz.Items.ToArray();
        if (quiz.Shuffle)
        {
            random.Shuffle(items);
        }
        return items.Select(item =>
        {
            var options = item.Options.ToArray();
            var shuffle = item.Type == QuizItemType.Ordering || (quiz.Shuffle && item.Type is QuizItemType.Single or QuizItemType.Multiple);
            if (shuffle)
            {
                random.Shuffle(options);
                if (item.Type == QuizItemType.Ordering && options.Length > 1 && options.Select(o => o.Id).SequenceEqual(item.Options.Select(o => o.Id)))
                {
                    // Never show an ordering already solved.
                    (options[0], options[1]) = (options[1], options[0]);
                }
            }
            else if (item.Type == QuizItemType.TrueFalse)
            {
                options = [.. options.OrderBy(o => o.Html.Trim().Equals("false", StringComparison.OrdinalIgnoreCase))];
            }
            return (item, (IReadOnlyList<QuizOption>)options);
        }).ToList();
    }
}
