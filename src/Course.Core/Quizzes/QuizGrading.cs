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
    /// Items and their options in the order of this attempt, every option id replaced by the attempt's token: items and
    /// choices shuffled when the quiz says so; true/false keeps True before False; ordering steps are always shuffled
    /// (their file order is the key) and never shown already solved. Each item's own <see cref="QuizItem.Options"/>
    /// stay in file order, as tokens, for showing the key once the review allows it.
    /// </summary>
    public static IReadOnlyList<(QuizItem Item, IReadOnlyList<QuizOption> Options)> Presentation(Quiz quiz, AttemptSecret secret)
    {
        var items = quiz.Shuffle ? quiz.Items.OrderBy(i => secret.Rank($"item/{i.Number}")).ToList() : quiz.Items;
        return items.Select(item =>
        {
            var tokens = item.Options.Select(o => o with { Id = secret.Token(item.Number, o.Id) }).ToList();
            var options = tokens.ToArray();
            var shuffle = item.Type == QuizItemType.Ordering || (quiz.Shuffle && item.Type is QuizItemType.Single or QuizItemType.Multiple);
            if (shuffle)
            {
                options = [.. tokens.OrderBy(o => secret.Rank($"option/{item.Number}/{o.Id}"))];
                if (item.Type == QuizItemType.Ordering && options.Length > 1 && options.SequenceEqual(tokens))
                {
                    // Never show an ordering already solved.
                    (options[0], options[1]) = (options[1], options[0]);
                }
            }
            else if (item.Type == QuizItemType.TrueFalse)
            {
                options = [.. options.OrderBy(o => o.Html.Trim().Equals("false", StringComparison.OrdinalIgnoreCase))];
            }
            return (item with { Options = tokens }, (IReadOnlyList<QuizOption>)options);
        }).ToList();
    }
}
