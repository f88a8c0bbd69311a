using Course.Core.Content;
using Course.Core.Quizzes;
using Course.Yaml;

namespace Course.Core.Tests;

public class QuizParserTests
{
    private const string Front = """
        ---
        id: quiz-test
        title: Test quiz
        topic: "4.1"
        attempts: 2
        grading: average
        time_limit: 10
        ---

        Intro **text**.

        """;

    private static Quiz Parse(string body, Func<ComputeSpec, double>? keys = null)
    {
        var (quiz, errors) = QuizParser.Parse(Front + body, "quizzes/test.md", keys);
        Assert.Empty(errors);
        return quiz!;
    }

    private static ContentError SingleError(string text)
    {
        var (quiz, errors) = QuizParser.Parse(text, "quizzes/test.md");
        Assert.Null(quiz);
        return Assert.Single(errors);
    }

    private const string AllTypes = """
        ## single: Which file holds `hidden_size`?

        The stem continues here.

        - [ ] `vocab.txt`
          > The vocabulary.
        - [x] `config.json`
          > Right.

        explanation: The config describes the architecture
        over two lines.

        ## multiple: Which are tokenizers' outputs?
        - [x] input_ids
          > yes
        - [ ] logits
          > no
        - [x] attention_mask
          > yes
        - [ ] loss
          > no
        points: 2
        explanation: ids and mask.

        ## true-false: BERT is an encoder.
        - [x] True
          > Right.
        - [ ] False
          > It is.
        explanation: Encoder only.

        ## numeric: softmax([2, 0])[0]?
        answer: 0.8808
        tolerance: 1%
        feedback: Exponentiate and normalise.
        explanation: e²/(e²+1).

        ## text: Name the class.
        accept: AutoModelForTokenClassification
        pattern: (transformers\.)?AutoModelForTokenClassification
        explanation: Token classification.

        ## ordering: Order the loop.
        1. forward
        2. loss.backward()
        3. optimizer.step()
        explanation: Forward, backward, step.

        ## computed: How many tokens?
        compute: token_count
        tokenizer: gpt2
        text: "Hello world"
        feedback: Use the playground.
        explanation: Two tokens.
        """;

    [Fact]
    public void Parses_every_item_type_with_front_matter_feedback_and_explanations()
    {
        ComputeSpec? asked = null;
        var quiz = Parse(AllTypes, spec => { asked = spec; return 2; });

        Assert.Equal(("quiz-test", "Test quiz", "4.1", 2, GradingPolicy.Average, TimeSpan.FromMinutes(10)),
            (quiz.Id, quiz.Title, quiz.Topic, quiz.Attempts, quiz.Grading, quiz.TimeLimit));
        Assert.Contains("<strong>text</strong>", quiz.IntroHtml);
        Assert.Equal(
            [QuizItemType.Single, QuizItemType.Multiple, QuizItemType.TrueFalse, QuizItemType.Numeric, QuizItemType.Text, QuizItemType.Ordering, QuizItemType.Computed],
            quiz.Items.Select(i => i.Type));
        var single = quiz.Items[0];
        Assert.Contains("<code>hidden_size</code>", single.PromptHtml);
        Assert.Contains("The stem continues here.", single.PromptHtml);
        Assert.Equal(["a", "b"], single.Options.Select(o => o.Id));
        Assert.Equal([false, true], single.Options.Select(o => o.Correct));
        Assert.Equal("The vocabulary.", single.Options[0].FeedbackHtml);
        Assert.Contains("over two lines", single.ExplanationHtml);
        Assert.Equal(2, quiz.Items[1].Points);
        Assert.Equal(8, quiz.MaxPoints);
        Assert.Equal((0.8808, 0.01, true), (quiz.Items[3].NumericAnswer!.Value, quiz.Items[3].Tolerance, quiz.Items[3].RelativeTolerance));
        Assert.Equal(new ComputeSpec("token_count", "gpt2", "Hello world"), asked);
        Assert.Equal(2, quiz.Items[6].NumericAnswer);
        Assert.Equal(3, quiz.Items[5].Options.Count);
        Assert.Equal(64, quiz.Version.Length);
    }

    [Theory]
    [InlineData("## single: Q?\n- [x] a\n  > f\n- [x] b\n  > f\nexplanation: e\n", 11, "marks exactly one option '- [x]', not 2")]
    [InlineData("## single: Q?\n- [x] a\n  > f\n- [ ] b\n  > f\n", 11, "every item needs an 'explanation:'")]
    [InlineData("## essay: Q?\nexplanation: e\n", 11, "unknown item type 'essay'")]
    [InlineData("## numeric: Q?\nanswer: many\nexplanation: e\n", 12, "a numeric item needs 'answer: NUMBER'")]
    [InlineData("## numeric: Q?\nanswer: 1\ntolerance: -2\nexplanation: e\n", 13, "tolerance must be a non-negative number")]
    [InlineData("## text: Q?\npattern: (unclosed\nexplanation: e\n", 12, "pattern is not a valid regular expression")]
    [InlineData("## true-false: Q\n- [x] Yes\n  > f\n- [ ] No\n  > f\nexplanation: e\n", 11, "exactly the options 'True' and 'False'")]
    [InlineData("## single: Q?\n- [x] a\n- [ ] b\nanswer: 3\nexplanation: e\n", 14, "'answer' does not apply to single items")]
    [InlineData("## computed: Q?\ncompute: word_count\ntokenizer: gpt2\ntext: \"x\"\nexplanation: e\n", 12, "compute must be one of token_count")]
    [InlineData("## single: Q?\n- [x] a\n- [ ] b\nexplanation: e\n\n## ordering: Q?\n1. only\nexplanation: e\n", 16, "at least two steps")]
    [InlineData("## multiple: Q?\n- [x] a\n- [ ] b\nStray paragraph.\nexplanation: e\n", 14, "unexpected text after the answers: 'Stray paragraph.'")]
    public void Malformed_items_are_reported_at_their_line(string body, int line, string message)
    {
        var error = SingleError(Front + body);

        Assert.Equal("quizzes/test.md", error.File);
        Assert.Equal(line, error.Line);
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void Front_matter_errors_name_the_key()
    {
        Assert.Contains("a quiz starts with YAML front matter", SingleError("## single: Q?\n").Message);
        Assert.Contains("grading must be best, last or average, not 'median'", SingleError(Front.Replace("grading: average", "grading: median") + "## true-false: Q\n- [x] True\n- [ ] False\nexplanation: e\n").Message);
        Assert.Contains("attempts_allowed", SingleError(Front.Replace("attempts: 2", "attempts_allowed: 2")).Message);
    }

    [Fact]
    public void A_computed_key_that_cannot_be_computed_is_an_error_at_the_compute_line()
    {
        var (quiz, errors) = QuizParser.Parse(Front + "## computed: Q?\ncompute: token_id\ntokenizer: gpt2\ntext: \"no such token\"\nexplanation: e\n",
            "quizzes/test.md", _ => throw new ArgumentException("'no such token' is not a single token"));

        Assert.Null(quiz);
        Assert.Equal((12, "the key cannot be computed: 'no such token' is not a single token"), (errors.Single().Line, errors.Single().Message));
    }

    [Fact]
    public void Code_fences_in_the_stem_may_contain_option_like_and_key_like_lines()
    {
        var quiz = Parse("## single: What prints?\n\n```text\n- [x] not an option\nanswer: not a key\n## not a heading\n```\n\n- [ ] 1\n- [x] 2\nexplanation: e\n");

        Assert.Equal(2, quiz.Items[0].Options.Count);
        Assert.Contains("not an option", quiz.Items[0].PromptHtml);
        Assert.Single(quiz.Items);
    }
}

public class QuizScoringTests
{
    private static readonly Quiz Quiz = QuizParser.Parse("""
        ---
        id: q
        title: Q
        topic: "4.1"
        ---
        ## single: S
        - [ ] a
          > wrong a
        - [x] b
          > right b
        - [ ] c
        explanation: e
        ## multiple: M
        - [x] a
        - [x] b
        - [ ] c
        - [ ] d
        - [x] e
        explanation: e
        ## numeric: N
        answer: 0.25
        tolerance: 0.01
        feedback: hint
        explanation: e
        ## numeric: Relative
        answer: 200
        tolerance: 5%
        explanation: e
        ## text: T
        accept: config.json
        pattern: (hf_)?token\d+
        explanation: e
        ## ordering: O
        1. x
        2. y
        3. z
        explanation: e
        ## text: Case
        accept: BERT
        case_sensitive: true
        explanation: e
        """, "quizzes/q.md").Quiz!;

    private static ItemScore Score(int item, QuizResponse response) => QuizScoring.Score(Quiz.Items[item - 1], response);

    [Fact]
    public void Single_choice_scores_the_marked_option_and_returns_the_chosen_feedback()
    {
        Assert.Equal((1.0, true, "right b"), (Score(1, QuizResponse.Choose("b")).Fraction, Score(1, QuizResponse.Choose("b")).Correct, Score(1, QuizResponse.Choose("b")).FeedbackHtml.Single()));
        var wrong = Score(1, QuizResponse.Choose("a"));
        Assert.Equal((0.0, false, "wrong a"), (wrong.Fraction, wrong.Correct, wrong.FeedbackHtml.Single()));
        Assert.Equal(0, Score(1, QuizResponse.Choose("a", "b")).Fraction);
        Assert.Equal(0, Score(1, QuizResponse.Empty).Fraction);
    }

    [Theory]
    // 3 correct (a, b, e), 2 wrong (c, d): +1/3 per correct, −1/2 per wrong, floored at 0.
    [InlineData(new[] { "a", "b", "e" }, 1.0)]
    [InlineData(new[] { "a", "b" }, 2.0 / 3)]
    [InlineData(new[] { "a", "b", "e", "c" }, 0.5)]
    [InlineData(new[] { "a", "c" }, 0.0)]
    [InlineData(new[] { "c", "d" }, 0.0)]
    [InlineData(new[] { "a", "a", "a" }, 1.0 / 3)]
    [InlineData(new string[0], 0.0)]
    public void Multiple_choice_gives_partial_credit(string[] chosen, double expected)
    {
        Assert.Equal(expected, Score(2, QuizResponse.Choose(chosen)).Fraction, 9);
    }

    [Theory]
    [InlineData(1, "0.25", true)]
    [InlineData(1, "0.259", true)]
    [InlineData(1, "0.2401", true)]
    [InlineData(1, "0.27", false)]
    [InlineData(1, "1/4", false)]
    [InlineData(1, "", false)]
    [InlineData(2, "209.9", true)]
    [InlineData(2, "190", true)]
    [InlineData(2, "211", false)]
    public void Numeric_answers_count_within_absolute_or_relative_tolerance(int which, string answer, bool correct)
    {
        Assert.Equal(correct, Score(which == 1 ? 3 : 4, QuizResponse.Answer(answer)).Correct);
    }

    [Fact]
    public void Wrong_numeric_answers_get_the_item_feedback()
    {
        Assert.Equal("hint", Score(3, QuizResponse.Answer("7")).FeedbackHtml.Single());
        Assert.Empty(Score(3, QuizResponse.Answer("0.25")).FeedbackHtml);
    }

    [Theory]
    [InlineData(5, " Config.JSON ", true)]
    [InlineData(5, "HF_TOKEN42", true)]
    [InlineData(5, "my token42", false)]
    [InlineData(5, "config.json.bak", false)]
    [InlineData(7, "BERT", true)]
    [InlineData(7, "bert", false)]
    public void Short_text_matches_accepted_values_or_whole_patterns(int item, string answer, bool correct)
    {
        Assert.Equal(correct, Score(item, QuizResponse.Answer(answer)).Correct);
    }

    [Fact]
    public void Ordering_is_all_or_nothing()
    {
        Assert.Equal(1, Score(6, QuizResponse.Choose("a", "b", "c")).Fraction);
        Assert.Equal(0, Score(6, QuizResponse.Choose("a", "c", "b")).Fraction);
        Assert.Equal(0, Score(6, QuizResponse.Choose("a", "b")).Fraction);
    }
}
