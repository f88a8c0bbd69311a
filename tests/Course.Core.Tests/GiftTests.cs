using System.Text.Json;
using Course.Core.Content;
using Course.Core.Quizzes;
using Course.Core.Quizzes.Gift;

namespace Course.Core.Tests;

public class GiftTests
{
    // Stands in for the tokenizers: any deterministic key will do, the round trip must carry the computation, not the number.
    private static double FakeKey(ComputeSpec spec) => spec.Text?.Length ?? 30522;

    private static Quiz Parse(string markdown, string file = "quizzes/test.md")
    {
        var (quiz, errors) = QuizParser.Parse(markdown, file, FakeKey);
        Assert.Empty(errors.Select(e => e.ToString()));
        return quiz!;
    }

    /// <summary>Everything an item means and shows, without where it sits (number and line change when items are skipped).</summary>
    private static string Meaning(QuizItem item) => JsonSerializer.Serialize(item with { Number = 0, Line = 0 });

    public static TheoryData<string> ShippedQuizzes() =>
        [.. Directory.GetFiles(Path.Combine(ContentLoaderTests.RepoRoot(), "content", "quizzes"), "*.md").Select(f => Path.GetFileName(f)!).Order()];

    [Theory]
    [MemberData(nameof(ShippedQuizzes))]
    public void Every_shipped_quiz_survives_export_and_import_except_its_ordering_items(string file)
    {
        var path = $"quizzes/{file}";
        var markdown = File.ReadAllText(Path.Combine(ContentLoaderTests.RepoRoot(), "content", "quizzes", file));
        var original = Parse(markdown, path);

        var export = GiftExporter.Export(markdown, path, FakeKey);
        var import = GiftImporter.Import(export.Text);
        var back = Parse(import.Markdown, path);

        var ordering = original.Items.Where(i => i.Type == QuizItemType.Ordering).ToList();
        Assert.Equal(ordering.Select(i => i.Number), export.Skipped);
        Assert.Equal(original.Items.Count - ordering.Count, export.Exported);
        Assert.Equal((export.Exported, 0), (import.Imported, import.Skipped));
        Assert.Empty(import.Report);
        Assert.Equal((original.Id, original.Title, original.Topic, original.Attempts, original.Grading, original.TimeLimit, original.Shuffle, original.IntroHtml),
            (back.Id, back.Title, back.Topic, back.Attempts, back.Grading, back.TimeLimit, back.Shuffle, back.IntroHtml));
        Assert.Equal(original.Items.Where(i => i.Type != QuizItemType.Ordering).Select(Meaning), back.Items.Select(Meaning));
        Assert.All(ordering, o => Assert.Contains($"item {o.Number} (ordering): skipped: GIFT has no ordering question type", export.Report));
    }

    private const string HandWritten = """
        // A quiz written by hand for Moodle.
        $CATEGORY: $course$/top/Transformers basics

        ::Config::Which file holds `hidden_size`?{
          =config.json#Right.
          ~vocab.txt#The vocabulary.
          ####The config describes the architecture.
        }

        ::Outputs::Which are tokenizer outputs?
        Select all.{~%50%input_ids#yes ~%50%attention_mask ~%-100%logits#no ####ids and mask.}

        ::Encoder::[markdown]BERT is an **encoder**.{T#It is.#Right.####Encoder only.}

        ::Softmax::softmax([2, 0])[0]?{#0.8808:0.0001 ~#Exponentiate and normalise. ####e²/(e²+1).}

        ::Class::Name the class.\n\nOne word.{=AutoModelForTokenClassification =transformers.AutoModelForTokenClassification =%0%*#Token classification. ####Token classification head.}
        """;

    [Fact]
    public void A_hand_written_gift_file_becomes_quiz_markdown_with_every_supported_type()
    {
        var import = GiftImporter.Import(HandWritten, "gift-test", "4.1");

        Assert.Equal("""
            ---
            id: gift-test
            title: "Transformers basics"
            topic: "4.1"
            attempts: 1
            grading: best
            shuffle: true
            ---

            ## single: Which file holds `hidden_size`?

            - [x] config.json
              > Right.
            - [ ] vocab.txt
              > The vocabulary.

            explanation: The config describes the architecture.

            ## multiple: Which are tokenizer outputs? Select all.

            - [x] input_ids
              > yes
            - [x] attention_mask
            - [ ] logits
              > no

            explanation: ids and mask.

            ## true-false: BERT is an **encoder**.

            - [x] True
              > Right.
            - [ ] False
              > It is.

            explanation: Encoder only.

            ## numeric: softmax([2, 0])[0]?

            answer: 0.8808
            tolerance: 0.0001
            feedback: Exponentiate and normalise.

            explanation: e²/(e²+1).

            ## text: Name the class.

            One word.

            accept: AutoModelForTokenClassification
            accept: transformers.AutoModelForTokenClassification
            feedback: Token classification.

            explanation: Token classification head.

            """, import.Markdown);
        Assert.Equal((5, 0), (import.Imported, import.Skipped));
        Assert.Empty(import.Report);
        var quiz = Parse(import.Markdown);
        Assert.Equal([QuizItemType.Single, QuizItemType.Multiple, QuizItemType.TrueFalse, QuizItemType.Numeric, QuizItemType.Text], quiz.Items.Select(i => i.Type));
        Assert.Equal("BERT is an <strong>encoder</strong>.", quiz.Items[2].PromptHtml);
    }

    private const string Special = """
        ---
        id: quiz-esc
        title: "Escapes: {all} of them"
        topic: "4.1"
        ---

        ## single: Is `a = b` {really} ~ #1: yes?

        Line one \ backslash.

        Second paragraph.

        - [x] x = 1 # comment
          > {ok}: ~fine
        - [ ] y

        explanation: Done: a\nb.
        """;

    [Fact]
    public void Gift_special_characters_backslashes_and_newlines_are_escaped_and_restored()
    {
        var export = GiftExporter.Export(Special, "quizzes/esc.md");

        Assert.Contains("// course: title=Escapes: {all} of them\n", export.Text);
        Assert.Contains(
            "::quiz-esc item 1::[markdown]Is `a \\= b` \\{really\\} \\~ \\#1\\: yes?\\n\\nLine one \\\\ backslash.\\n\\nSecond paragraph.{\n"
            + "\t=x \\= 1 \\# comment#\\{ok\\}\\: \\~fine\n"
            + "\t~y\n"
            + "\t####Done\\: a\\\\nb.\n"
            + "}\n", export.Text);
        var back = Parse(GiftImporter.Import(export.Text).Markdown);
        var original = Parse(Special);
        Assert.Equal(original.Title, back.Title);
        Assert.Equal(original.Items.Select(Meaning), back.Items.Select(Meaning));
    }

    private const string Lossy = """
        ---
        id: quiz-lossy
        title: Lossy
        topic: "4.2"
        attempts: 2
        grading: last
        time_limit: 15
        shuffle: false
        ---

        ## ordering: Order the loop.
        1. forward
        2. backward
        explanation: Forward first.

        ## computed: How many tokens?
        compute: token_count
        tokenizer: gpt2
        text: "Hello world"
        explanation: Count them.

        ## text: Which token starts BERT inputs?
        pattern: \[CLS\]
        explanation: CLS.

        ## text: Name the model.
        accept: BERT
        pattern: BERT(-base)?
        case_sensitive: true
        points: 2
        feedback: Four letters.
        explanation: BERT.

        ## numeric: How many parameters?
        answer: 200
        tolerance: 5%
        explanation: About 200.
        """;

    [Fact]
    public void What_gift_cannot_hold_is_reported_per_item_and_kept_in_course_comments()
    {
        var export = GiftExporter.Export(Lossy, "quizzes/lossy.md", _ => 2);

        Assert.Equal([
            "quiz settings (attempts 2, grading last, time limit 15 min, shuffle off) have no place in GIFT: kept in '// course:' comments; set them on the Moodle quiz",
            "item 1 (ordering): skipped: GIFT has no ordering question type",
            "item 2 (computed): exported as a numeric question with today's key 2: in Moodle it no longer follows the tokenizer (token_count of gpt2); the computation is kept in '// course:' comments",
            @"item 3 (text): skipped: its answers are only regular expressions (\[CLS\]), and Moodle short answers are literal",
            "item 4 (text): pattern 'BERT(-base)?' has no GIFT form: Moodle accepts only 'BERT'; kept in a '// course:' comment",
            "item 4 (text): case-sensitive: Moodle's GIFT import makes short answers case-insensitive; kept in a '// course:' comment",
            "item 4 (text): worth 2 points: GIFT has no marks, kept in a '// course:' comment; set the question's mark in Moodle",
            "item 5 (numeric): relative tolerance 5% exported as the absolute ±10 (Moodle has no relative tolerance)",
        ], export.Report);
        Assert.Equal(3, export.Exported);
        Assert.Equal([1, 3], export.Skipped);
        Assert.Contains("// course: compute=token_count\n// course: tokenizer=gpt2\n// course: text=\"Hello world\"\n::quiz-lossy item 2::[markdown]How many tokens?{#\n\t2:0\n", export.Text);
        Assert.Contains("\t=BERT\n\t=%0%*#Four letters.\n", export.Text);
        Assert.Contains("\t200:10\n", export.Text);

        var back = Parse(GiftImporter.Import(export.Text).Markdown);
        var original = Parse(Lossy);
        Assert.Equal((original.Attempts, original.Grading, original.TimeLimit, original.Shuffle), (back.Attempts, back.Grading, back.TimeLimit, back.Shuffle));
        Assert.Equal(new[] { 2, 4, 5 }.Select(n => Meaning(original.Items[n - 1])), back.Items.Select(Meaning));
    }

    [Fact]
    public void Computed_items_without_a_key_are_skipped_and_reported()
    {
        var export = GiftExporter.Export(Lossy, "quizzes/lossy.md");

        Assert.Equal([1, 2, 3], export.Skipped);
        Assert.Contains("item 2 (computed): skipped: its key is computed by a tokenizer and none was available to compute it", export.Report);
    }

    [Fact]
    public void An_invalid_quiz_is_not_exported()
    {
        var ex = Assert.Throws<ContentException>(() => GiftExporter.Export(Lossy.Replace("explanation: About 200.", ""), "quizzes/lossy.md", _ => 2));

        Assert.Equal("quizzes/lossy.md:34: every item needs an 'explanation:' (shown after submitting)", ex.Errors.Single().ToString());
    }

    private const string Unsupported = """
        ::Essay::Discuss attention.{}

        ::Match::Match the models.{=BERT -> encoder =GPT-2 -> decoder}

        ::Range::How many layers does BERT-base have?{#10..14####Twelve.}

        ::Missing::BERT has {=12 ~6} layers.

        ::Several::Pick a value{#=%100%1:0 =%50%2:0}

        ::Partial::Name a tokenizer.{=WordPiece =%50%BPE}

        ::Weights::Which are encoders?{~%100%BERT ~%0%GPT-2 ~%0%T5#Encoder-decoder.####BERT only.}

        ::Note::Just text after the first question.

        ::Bare::2 + 2?{=4 ~5}
        """;

    [Fact]
    public void Gift_questions_the_course_cannot_hold_are_skipped_and_changes_are_reported()
    {
        var import = GiftImporter.Import(Unsupported);

        Assert.Equal([
            "line 1 'Essay': skipped: an essay question ({}): the course has no free-text answers graded by hand",
            "line 3 'Match': skipped: a matching question: the course has no matching type",
            "line 5 'Range': the range 10..14 became answer 12 with tolerance 2",
            "line 7 'Missing': skipped: a missing-word question (text after the answers, or several answer sets); the course's answers come after the question",
            "line 9 'Several': skipped: 2 numeric answers (partial credit or several right values; the course takes one value with a tolerance)",
            "line 11 'Partial': skipped: partial credit (50% for 'BPE'; the course scores short answers 1 or 0)",
            "line 13 'Weights': weights 100%, 0%, 0% replaced by the course's partial credit: +1/1 per right option, −1/2 per wrong one",
            "line 15 'Note': skipped: a description (text without answers); only one before the first question becomes the introduction",
            "line 17 'Bare': no general feedback (####): its 'explanation:' is left empty, and the quiz does not validate until you write one",
            "no id (no '// course: id=' comment and none given): using 'imported-quiz'",
            "no title (no '// course: title=' comment or $CATEGORY): using 'Imported quiz'",
            "no topic (no '// course: topic=' comment and none given): using 'module'",
        ], import.Report);
        Assert.Equal((3, 6), (import.Imported, import.Skipped));
        var (_, errors) = QuizParser.Parse(import.Markdown, "quizzes/test.md", FakeKey);
        Assert.Equal("every item needs an 'explanation:' (shown after submitting)", Assert.Single(errors).Message);
        var quiz = Parse(import.Markdown.Replace("explanation: \n", "explanation: Four.\n"));
        Assert.Equal((12.0, 2.0), (quiz.Items[0].NumericAnswer!.Value, quiz.Items[0].Tolerance));
        Assert.Equal([true, false, false], quiz.Items[1].Options.Select(o => o.Correct));
        Assert.Equal(QuizItemType.Multiple, quiz.Items[1].Type);
        Assert.Equal("<p>Four.</p>", quiz.Items[2].ExplanationHtml);
    }

    [Theory]
    [InlineData("::Q1::What?{=a ~b\n\n::Q2::Next{=c ~d}", 1, "line 1: '{' is not closed: the answers must end with '}' before the blank line that ends the question")]
    [InlineData("// header\n\n::Q1::What?\n{=a ~b\n::Q2::Next{=c ~d}", 4, "line 4: '{' is not closed before the next '{' on line 5 (write \\{ for a literal brace)")]
    [InlineData("::Q1::What? a}b {=a ~b}", 1, "line 1: '}' without an opening '{' (write \\} for a literal brace)")]
    [InlineData("\n\n::Q1 What?{=a ~b}", 3, "line 3: the question title opened with '::' is not closed with '::'")]
    public void Malformed_gift_is_an_error_with_its_line(string gift, int line, string message)
    {
        var ex = Assert.Throws<GiftSyntaxException>(() => GiftImporter.Import(gift));

        Assert.Equal((line, message), (ex.Line, ex.Message));
    }

    [Fact]
    public void Caller_id_and_topic_win_over_the_course_comments()
    {
        var export = GiftExporter.Export(Special, "quizzes/esc.md");

        var quiz = Parse(GiftImporter.Import(export.Text, "copy", "4.3").Markdown);

        Assert.Equal(("copy", "4.3", "Escapes: {all} of them"), (quiz.Id, quiz.Topic, quiz.Title));
    }
}
