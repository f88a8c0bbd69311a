using System.Globalization;
using System.Text;
using Course.Core.Content;

namespace Course.Core.Quizzes.Gift;

/// <summary>
/// Writes a quiz file as Moodle GIFT (https://docs.moodle.org/en/GIFT_format). Text goes out as the Markdown it was
/// written in, under GIFT's <c>[markdown]</c> tag. What Moodle cannot hold is reported, never dropped silently:
/// ordering items and computed items without a key are skipped; regex patterns, relative tolerances, case-sensitive
/// answers, points and computed keys are approximated for Moodle and kept exactly in <c>// course:</c> comments,
/// so that <see cref="GiftImporter"/> gives the same quiz back.
/// </summary>
public static class GiftExporter
{
    /// <param name="sourcePath">The quiz's path as errors should name it (e.g. quizzes/4.1-ecosystem.md).</param>
    /// <param name="computeKey">The tokenizers' keys for computed items; without it those items are skipped.</param>
    /// <exception cref="ContentException">The quiz does not validate; its errors, as <c>content validate</c> prints them.</exception>
    public static GiftExport Export(string quizMarkdown, string sourcePath, Func<ComputeSpec, double>? computeKey = null)
    {
        var (quiz, errors) = QuizParser.Parse(quizMarkdown, sourcePath, computeKey);
        if (quiz is null)
        {
            throw new ContentException(errors);
        }
        // The same reader Parse used, so the source items line up one to one with the parsed ones.
        var source = QuizParser.ReadSource(quizMarkdown, sourcePath).Source!;
        var report = new List<string>();
        var gift = new StringBuilder();
        gift.Append($"// {quiz.Title}: GIFT export of {sourcePath} (Markdown text; '// course:' lines are for the course platform's importer)\n");
        var front = source.Front;
        var settings = new (string Key, string? Value)[]
        {
            ("id", front.Id), ("title", front.Title), ("topic", front.Topic), ("attempts", Number(front.Attempts)), ("grading", front.Grading),
            ("time_limit", front.TimeLimit is { } minutes ? Number(minutes) : null), ("shuffle", front.Shuffle ? "true" : "false"),
        };
        foreach (var (key, value) in settings.Where(s => s.Value is not null))
        {
            gift.Append(GiftComments.Line(key, value!)).Append('\n');
        }
        report.Add($"quiz settings (attempts {front.Attempts}, grading {front.Grading}{(front.TimeLimit is { } limit ? $", time limit {limit} min" : "")}, "
            + $"shuffle {(front.Shuffle ? "on" : "off")}) have no place in GIFT: kept in '// course:' comments; set them on the Moodle quiz");
        if (source.Intro.Trim().Length > 0)
        {
            // A GIFT question without answers is a Moodle "description": text shown in the quiz, as the introduction is.
            gift.Append($"\n::{GiftText.Escape(quiz.Id)} intro::[markdown]{GiftText.Escape(source.Intro.Trim())}\n");
        }

        var skipped = new List<int>();
        for (var i = 0; i < quiz.Items.Count; i++)
        {
            var (item, itemSource) = (quiz.Items[i], source.Items[i]);
            var notes = new List<string>();
            var question = Question(quiz.Id, item, itemSource, notes);
            report.AddRange(notes.Select(note => $"item {item.Number} ({QuizParser.TypeName(item.Type)}): {note}"));
            if (question is null)
            {
                skipped.Add(item.Number);
            }
            else
            {
                gift.Append('\n').Append(question);
            }
        }
        return new GiftExport(quiz.Id, gift.ToString(), report, quiz.Items.Count - skipped.Count, skipped);
    }

    /// <summary>One question block (comments, title, text, answers), or null when the item cannot be exported.</summary>
    private static string? Question(string quizId, QuizItem item, QuizItemSource source, List<string> notes)
    {
        var comments = new List<string>();
        var answers = new List<string>();
        switch (item.Type)
        {
            case QuizItemType.Ordering:
                notes.Add("skipped: GIFT has no ordering question type");
                return null;
            case QuizItemType.Single:
                answers.AddRange(source.Options.Select(o => $"{(o.Correct ? "=" : "~")}{Answer(o.Text, o.Feedback)}"));
                break;
            case QuizItemType.Multiple:
                answers.AddRange(MultipleChoice(source, notes));
                break;
            case QuizItemType.TrueFalse:
                answers.Add(TrueFalse(source, notes));
                break;
            case QuizItemType.Numeric:
                answers.AddRange(Numeric(item, source, comments, notes));
                break;
            case QuizItemType.Computed when item.NumericAnswer is null:
                notes.Add("skipped: its key is computed by a tokenizer and none was available to compute it");
                return null;
            case QuizItemType.Computed:
                // Every text: an item with variants keeps them all (Moodle gets the first one's key).
                foreach (var (key, value) in new[] { "compute", "tokenizer", "text" }.SelectMany(k => source.Values(k).Select(v => (k, v))))
                {
                    comments.Add(GiftComments.Line(key, value));
                }
                answers.Add($"{Number(item.NumericAnswer.Value)}:0");
                answers.AddRange(WrongFeedback(source, "~#"));
                notes.Add($"exported as a numeric question with today's key {Number(item.NumericAnswer.Value)}: in Moodle it no longer follows the tokenizer "
                    + $"({item.Compute!.Function} of {item.Compute.Tokenizer}); the computation is kept in '// course:' comments");
                break;
            case QuizItemType.Text:
                if (!Text(item, source, answers, comments, notes))
                {
                    return null;
                }
                break;
        }
        if (item.Points != 1)
        {
            comments.Add(GiftComments.Line("points", source.Key("points")!));
            notes.Add($"worth {Number(item.Points)} points: GIFT has no marks, kept in a '// course:' comment; set the question's mark in Moodle");
        }

        var text = source.Prompt + (source.Stem.Length > 0 ? "\n\n" + source.Stem : "");
        var block = new StringBuilder();
        comments.ForEach(c => block.Append(c).Append('\n'));
        block.Append(CultureInfo.InvariantCulture, $"::{GiftText.Escape(quizId)} item {item.Number}::[markdown]{GiftText.Escape(text)}{{")
            .Append(item.Type is QuizItemType.Numeric or QuizItemType.Computed ? "#" : "").Append('\n');
        foreach (var answer in answers.Append("####" + GiftText.Escape(source.Explanation.Trim())))
        {
            block.Append('\t').Append(answer).Append('\n');
        }
        return block.Append("}\n").ToString();
    }

    /// <summary>
    /// Moodle adds the weights of the chosen options and clamps the sum to [0, 100%], exactly the course's rule when
    /// each correct option weighs +100/k % and each wrong one −100/w %. No option is marked '=', so that Moodle
    /// makes it a multiple-answer question even with one correct option.
    /// </summary>
    private static IEnumerable<string> MultipleChoice(QuizItemSource source, List<string> notes)
    {
        var correct = source.Options.Count(o => o.Correct);
        var wrong = source.Options.Count - correct;
        // Moodle's grade list has 100/k % for k = 1…10 only; it rounds other weights to the nearest listed grade.
        if (correct > 10 || wrong > 10)
        {
            notes.Add($"{correct} correct and {wrong} wrong options: Moodle rounds weights other than 100/k % (k ≤ 10) to its nearest grade, so partial credit will differ slightly");
        }
        return source.Options.Select(o =>
            $"~%{Number(Math.Round(o.Correct ? 100.0 / correct : -100.0 / wrong, 5))}%{Answer(o.Text, o.Feedback)}");
    }

    /// <summary><c>T#feedback if wrong#feedback if right</c>: Moodle shows the first to those who chose the other option.</summary>
    private static string TrueFalse(QuizItemSource source, List<string> notes)
    {
        var right = source.Options.Single(o => o.Correct);
        var wrong = source.Options.Single(o => !o.Correct);
        if (!source.Options.Select(o => o.Text).SequenceEqual(["True", "False"]))
        {
            notes.Add($"options '{source.Options[0].Text}', '{source.Options[1].Text}': Moodle always shows True, then False");
        }
        var answer = right.Text.Equals("true", StringComparison.OrdinalIgnoreCase) ? "T" : "F";
        return right.Feedback is null && wrong.Feedback is null
            ? answer
            : $"{answer}#{GiftText.Escape(wrong.Feedback ?? "")}#{GiftText.Escape(right.Feedback ?? "")}";
    }

    private static IEnumerable<string> Numeric(QuizItem item, QuizItemSource source, List<string> comments, List<string> notes)
    {
        var tolerance = item.Tolerance;
        if (item.RelativeTolerance)
        {
            tolerance = Math.Round(Math.Abs(item.NumericAnswer!.Value) * item.Tolerance, 10);
            comments.Add(GiftComments.Line("tolerance", source.Key("tolerance")!));
            notes.Add($"relative tolerance {source.Key("tolerance")} exported as the absolute ±{Number(tolerance)} (Moodle has no relative tolerance)");
        }
        return [$"{Number(item.NumericAnswer!.Value)}:{Number(tolerance)}", .. WrongFeedback(source, "~#")];
    }

    /// <summary>Accepted values as answers; patterns and case sensitivity have no GIFT form.</summary>
    private static bool Text(QuizItem item, QuizItemSource source, List<string> answers, List<string> comments, List<string> notes)
    {
        if (item.Accept.Count == 0)
        {
            notes.Add($"skipped: its answers are only regular expressions ({string.Join(", ", item.Patterns)}), and Moodle short answers are literal");
            return false;
        }
        answers.AddRange(item.Accept.Select(a => "=" + GiftText.Escape(a)));
        foreach (var pattern in item.Patterns)
        {
            comments.Add(GiftComments.Line("pattern", pattern));
            notes.Add($"pattern '{pattern}' has no GIFT form: Moodle accepts only {string.Join(", ", item.Accept.Select(a => $"'{a}'"))}; kept in a '// course:' comment");
        }
        foreach (var wildcard in item.Accept.Where(a => a.Contains('*')))
        {
            notes.Add($"accepted value '{wildcard}' contains '*', which Moodle reads as a wildcard matching any text");
        }
        if (item.CaseSensitive)
        {
            comments.Add(GiftComments.Line("case_sensitive", "true"));
            notes.Add("case-sensitive: Moodle's GIFT import makes short answers case-insensitive; kept in a '// course:' comment");
        }
        // Moodle's catch-all answer '*' at 0% carries the feedback for every other (wrong) answer.
        answers.AddRange(WrongFeedback(source, "=%0%*#"));
        return true;
    }

    private static IEnumerable<string> WrongFeedback(QuizItemSource source, string prefix) =>
        source.Key("feedback") is { } feedback ? [prefix + GiftText.Escape(feedback)] : [];

    private static string Answer(string text, string? feedback) =>
        GiftText.Escape(text) + (feedback is null ? "" : "#" + GiftText.Escape(feedback));

    private static string Number(double value) => value.ToString(CultureInfo.InvariantCulture);
}
