using System.Security.Cryptography;
using Course.Core.Content;
using Course.Core.Quizzes;
using Course.Yaml;

namespace Course.Core.Tests;

/// <summary>A small quiz of every option-bearing shape plus a numeric and a computed item with variants.</summary>
internal static class ReviewQuizzes
{
    public const string Front = """
        ---
        id: quiz-review
        title: Review quiz
        topic: "4.1"
        attempts: 2
        grading: best

        """;

    public const string Body = """
        ---
        ## single: Which file holds the hyperparameters?
        - [ ] vocab.txt
          > The vocabulary.
        - [x] config.json
          > Right.
        - [ ] model.safetensors
        - [ ] README.md
        explanation: The config describes the architecture.

        ## ordering: Order the training step.
        1. zero the gradients
        2. forward
        3. loss
        4. backward
        5. optimizer step
        explanation: Forward, backward, step.

        ## numeric: softmax([0, 0])[0]?
        answer: 0.5
        feedback: Equal logits.
        explanation: Two equal logits give 0.5 each.

        ## computed: How many tokens does `{text}` produce?
        compute: token_count
        tokenizer: gpt2
        text: "one two"
        text: "one two three"
        text: "one two three four"
        explanation: Count the words of `{text}`.
        """;

    /// <summary>"Tokens" are the words here, so each variant's key is known.</summary>
    public static double WordCount(ComputeSpec spec) => spec.Text!.Split(' ').Length;

    public static (Quiz? Quiz, IReadOnlyList<ContentError> Errors) Parse(string frontExtra = "") =>
        QuizParser.Parse(Front + frontExtra + Body, "quizzes/review.md", WordCount);

    public static Quiz Quiz(string frontExtra = "")
    {
        var (quiz, errors) = Parse(frontExtra);
        Assert.Empty(errors);
        return quiz!;
    }
}

public class ReviewPolicyTests
{
    private const ReviewOptions Later = ReviewOptions.Score | ReviewOptions.RightOrWrong;

    [Fact]
    public void A_graded_quiz_shows_score_and_right_or_wrong_while_attempts_remain_and_everything_after()
    {
        var review = ReviewQuizzes.Quiz().ReviewSettings;

        Assert.Equal(new QuizReview(Later, ReviewOptions.All, ReviewOptions.All), review);
    }

    [Fact]
    public void A_practice_quiz_shows_everything_at_once()
    {
        var quiz = ReviewQuizzes.Quiz("practice: true\n");

        Assert.True(quiz.Practice);
        Assert.Equal(new QuizReview(ReviewOptions.All, ReviewOptions.All, ReviewOptions.All), quiz.ReviewSettings);
    }

    [Theory]
    [InlineData(false, true, false, ReviewMoment.AfterAttempt)]
    [InlineData(false, false, false, ReviewMoment.AfterLastAttempt)]
    [InlineData(true, true, false, ReviewMoment.AfterClose)]
    [InlineData(true, false, false, ReviewMoment.AfterClose)]
    // An attempt in progress (the last one included) never lets an earlier one's review show it the key.
    [InlineData(false, false, true, ReviewMoment.AfterAttempt)]
    [InlineData(true, false, true, ReviewMoment.AfterAttempt)]
    public void The_moment_follows_the_close_the_attempts_left_and_an_open_attempt(bool closed, bool attemptsLeft, bool inProgress, ReviewMoment moment)
    {
        Assert.Equal(moment, ReviewPolicy.Moment(closed, attemptsLeft, inProgress));
    }

    public static TheoryData<string, string> EachMomentAndOption()
    {
        var data = new TheoryData<string, string>();
        foreach (var moment in QuizReview.Moments.Keys)
        {
            foreach (var option in QuizReview.Options.Keys)
            {
                data.Add(moment, option);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(EachMomentAndOption))]
    public void Each_moment_shows_exactly_the_option_it_lists(string moment, string option)
    {
        var quiz = ReviewQuizzes.Quiz($"closes: 2027-03-01T12:00:00Z\nreview:\n  {moment}: [{option}]\n");
        var defaults = QuizReview.Default(practice: false);

        foreach (var (name, other) in QuizReview.Moments)
        {
            Assert.Equal(name == moment ? QuizReview.Options[option] : defaults.At(other), ReviewPolicy.Shown(quiz, other));
        }
    }

    [Fact]
    public void An_empty_list_shows_nothing_at_that_moment()
    {
        var quiz = ReviewQuizzes.Quiz("review:\n  after_attempt: []\n  after_last_attempt: [score, explanations]\n");

        Assert.Equal(new QuizReview(ReviewOptions.None, ReviewOptions.Score | ReviewOptions.Explanations, ReviewOptions.All), quiz.ReviewSettings);
    }

    [Fact]
    public void Unknown_moments_and_options_are_errors_at_their_lines()
    {
        // Front matter starts at line 2: id 2 … grading 6, review 7, its entries 8 and 9.
        var (quiz, errors) = ReviewQuizzes.Parse("review:\n  after_attemp: [score]\n  after_close: [score, keys]\n");

        Assert.Null(quiz);
        Assert.Equal(
            [
                new ContentError("quizzes/review.md", 8, "review: unknown moment 'after_attemp' (after_attempt, after_last_attempt, after_close)"),
                new ContentError("quizzes/review.md", 9, "review: after_close: unknown option 'keys' (score, right_or_wrong, feedback, correct_answers, explanations)"),
            ],
            errors);
    }

    [Fact]
    public void A_moment_written_as_a_single_value_is_an_error_at_its_line()
    {
        var (_, errors) = ReviewQuizzes.Parse("review:\n  after_attempt: score\n");

        Assert.Equal(8, Assert.Single(errors).Line);
    }

    [Fact]
    public void The_later_moments_that_show_the_key_leave_out_the_close_when_the_quiz_never_closes()
    {
        Assert.Equal([ReviewMoment.AfterLastAttempt], ReviewPolicy.ShownLater(ReviewQuizzes.Quiz(), ReviewMoment.AfterAttempt, ReviewOptions.CorrectAnswers));
        var closing = ReviewQuizzes.Quiz("closes: 2027-03-01T12:00:00Z\nreview:\n  after_last_attempt: [score]\n");
        Assert.Equal(new DateTimeOffset(2027, 3, 1, 12, 0, 0, TimeSpan.Zero), closing.Closes);
        Assert.Equal([ReviewMoment.AfterClose], ReviewPolicy.ShownLater(closing, ReviewMoment.AfterAttempt, ReviewOptions.CorrectAnswers));
        Assert.Empty(ReviewPolicy.ShownLater(closing, ReviewMoment.AfterClose, ReviewOptions.CorrectAnswers));
    }

    private static (QuizItem Item, IReadOnlyList<QuizOption> Options) Presented(Quiz quiz, int number) =>
        QuizGrading.Presentation(quiz, new AttemptSecret(AttemptSecret.Create())).Single(p => p.Item.Number == number);

    [Fact]
    public void Without_correct_answers_feedback_or_explanations_the_item_keeps_none_of_them()
    {
        var quiz = ReviewQuizzes.Quiz();
        var (single, options) = Presented(quiz, 1);
        var score = QuizScoring.Score(quiz.FindItem(1)!, QuizResponse.Choose("a"));

        var shown = ReviewPolicy.Review(single, options, score, ReviewOptions.Score | ReviewOptions.RightOrWrong);

        Assert.All(shown.Item.Options.Concat(shown.Options), o => Assert.False(o.Correct));
        Assert.All(shown.Item.Options.Concat(shown.Options), o => Assert.Null(o.FeedbackHtml));
        Assert.Equal("", shown.Item.ExplanationHtml);
        Assert.Equal((false, 0.0), (shown.Score!.Correct, shown.Score.Points));
        Assert.Empty(shown.Score.FeedbackHtml);
        // The item's own options are the shown ones, not the file order (an ordering's key).
        Assert.Equal(options.Select(o => o.Id), shown.Item.Options.Select(o => o.Id));
    }

    [Fact]
    public void An_ordering_keeps_its_file_order_only_when_correct_answers_are_shown()
    {
        var quiz = ReviewQuizzes.Quiz();
        var (ordering, options) = Presented(quiz, 2);

        Assert.Equal(options.Select(o => o.Id), ReviewPolicy.Review(ordering, options, null, ReviewOptions.RightOrWrong).Item.Options.Select(o => o.Id));
        Assert.Equal(ordering.Options.Select(o => o.Id), ReviewPolicy.Review(ordering, options, null, ReviewOptions.CorrectAnswers).Item.Options.Select(o => o.Id));
    }

    [Fact]
    public void A_numeric_key_and_its_feedback_go_only_with_their_options()
    {
        var item = ReviewQuizzes.Quiz().FindItem(3)!;
        var wrong = QuizScoring.Score(item, QuizResponse.Answer("0.7"));

        var hidden = ReviewPolicy.Review(item, [], wrong, ReviewOptions.RightOrWrong);
        var shown = ReviewPolicy.Review(item, [], wrong, ReviewOptions.All);

        Assert.Equal((null, null), (hidden.Item.NumericAnswer, hidden.Item.FeedbackHtml));
        Assert.Empty(hidden.Score!.FeedbackHtml);
        Assert.Equal((0.5, "Equal logits."), (shown.Item.NumericAnswer, shown.Item.FeedbackHtml));
        Assert.Equal(["Equal logits."], shown.Score!.FeedbackHtml);
        Assert.Equal("<p>Two equal logits give 0.5 each.</p>", shown.Item.ExplanationHtml);
    }

    [Fact]
    public void Without_right_or_wrong_there_is_no_score_per_item()
    {
        var item = ReviewQuizzes.Quiz().FindItem(3)!;

        Assert.Null(ReviewPolicy.Review(item, [], QuizScoring.Score(item, QuizResponse.Answer("0.5")), ReviewOptions.Score).Score);
    }
}

public class AttemptSecretTests
{
    private static readonly Quiz Quiz = ReviewQuizzes.Quiz();

    /// <summary>Fixed keys, so that the counts below are the same on every run.</summary>
    private static AttemptSecret Secret(int attempt) => new(Convert.ToHexString(SHA256.HashData(BitConverter.GetBytes(attempt))));

    [Fact]
    public void Tokens_are_stable_within_an_attempt_and_differ_across_attempts()
    {
        var key = AttemptSecret.Create();

        Assert.Equal(new AttemptSecret(key).Token(1, "b"), new AttemptSecret(key).Token(1, "b"));
        Assert.NotEqual(new AttemptSecret(key).Token(1, "b"), new AttemptSecret(AttemptSecret.Create()).Token(1, "b"));
        Assert.NotEqual(new AttemptSecret(key).Token(1, "b"), new AttemptSecret(key).Token(2, "b"));
        Assert.Matches("^o[0-9a-f]{16}$", new AttemptSecret(key).Token(1, "b"));
    }

    [Fact]
    public void Tokens_map_back_to_the_option_and_nothing_else_does()
    {
        var secret = new AttemptSecret(AttemptSecret.Create());
        var item = Quiz.FindItem(1)!;

        Assert.Equal(["a", "b", "c", "d"], item.Options.Select(o => secret.OptionId(item, secret.Token(1, o.Id))));
        Assert.Null(secret.OptionId(item, "b"));
        Assert.Null(secret.OptionId(item, secret.Token(2, "b")));
        Assert.Null(secret.OptionId(item, new AttemptSecret(AttemptSecret.Create()).Token(1, "b")));
    }

    [Fact]
    public void The_presentation_carries_only_tokens_and_the_tokens_do_not_follow_file_order()
    {
        // Random tokens of a four-option item, sorted, come out in file order 1 time in 24 (about 2 in 50 attempts); ids
        // that leaked the order (a, b, c… or anything sorting like them) would do so every time.
        var inFileOrder = 0;
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var (item, options) = QuizGrading.Presentation(Quiz, Secret(attempt)).Single(p => p.Item.Number == 1);
            Assert.DoesNotContain(options, o => o.Id.Length == 1);
            Assert.Equal(item.Options.Select(o => o.Id).Order(), options.Select(o => o.Id).Order());
            inFileOrder += item.Options.Select(o => o.Id).SequenceEqual(item.Options.Select(o => o.Id).Order(StringComparer.Ordinal)) ? 1 : 0;
        }
        Assert.True(inFileOrder <= 10, $"sorting the tokens gave the file order in {inFileOrder} of 50 attempts");
    }

    [Fact]
    public void An_ordering_starts_shuffled_never_solved_and_the_same_on_resume()
    {
        var key = AttemptSecret.Create();
        var orders = new HashSet<string>();
        for (var attempt = 0; attempt < 30; attempt++)
        {
            var secret = attempt == 0 ? new AttemptSecret(key) : Secret(attempt);
            var (item, options) = QuizGrading.Presentation(Quiz, secret).Single(p => p.Item.Number == 2);
            Assert.NotEqual(item.Options.Select(o => o.Id), options.Select(o => o.Id));
            orders.Add(string.Join(' ', options.Select(o => o.Html)));
        }
        Assert.True(orders.Count > 5, $"only {orders.Count} distinct starting orders in 30 attempts");

        var resumed = QuizGrading.Presentation(Quiz, new AttemptSecret(key));
        Assert.Equal(QuizGrading.Presentation(Quiz, new AttemptSecret(key)).SelectMany(p => p.Options.Select(o => o.Id)), resumed.SelectMany(p => p.Options.Select(o => o.Id)));
    }

    [Fact]
    public void A_secret_under_128_bits_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new AttemptSecret("00ff"));
    }
}

public class QuizVariantTests
{
    private static readonly Quiz Quiz = ReviewQuizzes.Quiz();

    [Fact]
    public void Each_text_line_is_a_variant_with_its_own_key()
    {
        var item = Quiz.FindItem(4)!;

        Assert.Equal(new[] { new ComputedVariant("one two", 2), new ComputedVariant("one two three", 3), new ComputedVariant("one two three four", 4) }, item.Variants);
    }

    [Fact]
    public void The_seed_chooses_one_variant_and_the_item_shows_and_scores_it()
    {
        var seeds = Enumerable.Range(0, 40).ToList();
        var chosen = seeds.Select(seed => QuizVariants.Choices(Quiz, seed)[4]).ToList();
        Assert.Equal([0, 1, 2], chosen.Distinct().Order());

        foreach (var seed in seeds)
        {
            var item = QuizVariants.ForSeed(Quiz, seed).FindItem(4)!;
            var text = Quiz.FindItem(4)!.Variants![chosen[seed]].Text;
            Assert.Equal($"How many tokens does <code>{text}</code> produce?", item.PromptHtml);
            Assert.Equal($"<p>Count the words of <code>{text}</code>.</p>", item.ExplanationHtml);
            Assert.Equal(text.Split(' ').Length, item.NumericAnswer);
            Assert.True(QuizScoring.Score(item, QuizResponse.Answer($"{text.Split(' ').Length}")).Correct);
            Assert.Equal(QuizVariants.Choices(Quiz, seed), QuizVariants.Choices(Quiz, seed));
        }
    }

    [Fact]
    public void Item_statistics_count_a_computed_item_once_scoring_each_attempt_against_its_own_variant()
    {
        // Seeds whose attempts got different variants, each answered with its own key.
        var (first, second) = (0, Enumerable.Range(1, 40).First(s => QuizVariants.Choices(Quiz, s)[4] != QuizVariants.Choices(Quiz, 0)[4]));
        AttemptAnswers Right(int seed) => new(new Dictionary<int, QuizResponse> { [4] = QuizResponse.Answer($"{QuizVariants.ForSeed(Quiz, seed).FindItem(4)!.NumericAnswer}") }, seed);

        var statistics = ItemAnalysis.Analyse(Quiz, [Right(first), Right(second)]).Single(s => s.Item.Number == 4);

        Assert.Equal((2, 100.0), (statistics.Attempts, statistics.Facility!.Value));
    }

    [Fact]
    public void Several_texts_need_the_placeholder_and_distinct_non_empty_values()
    {
        var (_, errors) = QuizParser.Parse(ReviewQuizzes.Front + ReviewQuizzes.Body.Replace("`{text}`", "it").Replace("Count the words of it.", "Count."),
            "quizzes/review.md", ReviewQuizzes.WordCount);
        Assert.Equal("with several 'text:' lines each student gets one: write {text} in the prompt or stem where it is shown", Assert.Single(errors).Message);

        var (_, duplicates) = QuizParser.Parse(ReviewQuizzes.Front + ReviewQuizzes.Body.Replace("text: \"one two three\"", "text: \"one two\""),
            "quizzes/review.md", ReviewQuizzes.WordCount);
        Assert.Equal("text \"one two\" is given twice", Assert.Single(duplicates).Message);
    }
}
