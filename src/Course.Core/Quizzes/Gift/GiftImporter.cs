using System.Globalization;
using System.Text.RegularExpressions;

namespace Course.Core.Quizzes.Gift;

/// <summary>
/// Reads Moodle GIFT (https://docs.moodle.org/en/GIFT_format) into the quiz Markdown format, following Moodle's own
/// reader: questions are separated by blank lines, lines starting with <c>//</c> are comments, and the answer syntax
/// decides the type (<c>{}</c> essay, <c>{#…}</c> numeric, <c>~</c> multiple choice, <c>-&gt;</c> matching,
/// <c>{T}</c>/<c>{F}</c> true-false, else short answer). Questions the course cannot hold (essay, matching, missing
/// word, partial credit other than multiple choice's) are skipped with a report line; <c>// course:</c> comments
/// written by <see cref="GiftExporter"/> restore what GIFT cannot say. Text is taken as Markdown.
/// </summary>
public static partial class GiftImporter
{
    [GeneratedRegex(@"^\s*\[(html|moodle|plain|markdown)\]", RegexOptions.NonBacktracking)]
    private static partial Regex FormatTag();

    [GeneratedRegex(@"\n[ \t]*\n", RegexOptions.NonBacktracking)]
    private static partial Regex BlankLine();

    // Markdown that cannot sit in a one-line '## type: prompt' heading: fences, lists, headings, quotes, tables, indented code.
    [GeneratedRegex(@"^(```|~~~|[-*+] |#|>|\||\d+[.)] |    )", RegexOptions.NonBacktracking)]
    private static partial Regex BlockStart();

    /// <param name="id">The quiz id; wins over a <c>// course: id=</c> comment. Without either, "imported-quiz" (reported).</param>
    /// <param name="topic">The topic id; wins over the comment. Without either, "module" (reported).</param>
    /// <exception cref="GiftSyntaxException">Unbalanced braces or an unclosed <c>::title</c>, with the line.</exception>
    public static GiftImport Import(string gift, string? id = null, string? topic = null)
    {
        var state = new State();
        foreach (var block in Blocks(gift))
        {
            foreach (var (line, key, value) in block.Comments.Where(c => GiftComments.QuizKeys.Contains(c.Key)))
            {
                state.Settings[key] = (value, line);
            }
            if (block.Lines.Count > 0)
            {
                ReadQuestion(state, block);
            }
            else
            {
                foreach (var (line, key, _) in block.Comments.Where(c => !GiftComments.QuizKeys.Contains(c.Key)))
                {
                    state.Report.Add($"line {line}: '// course: {key}=' ignored: item settings belong in the block of their question");
                }
            }
        }
        var front = Front(state, id, topic);
        var markdown = QuizSourceWriter.Write(new QuizSource(front, state.Intro ?? "", 0, state.Items));
        return new GiftImport(markdown, state.Report, state.Items.Count, state.Skipped);
    }

    private sealed class State
    {
        public readonly Dictionary<string, (string Value, int Line)> Settings = [];
        public readonly List<QuizItemSource> Items = [];
        public readonly List<string> Report = [];
        public string? Intro;
        public string? Category;
        public int Skipped;
    }

    /// <summary>One question's lines (comments removed, with their 1-based line numbers) and its <c>// course:</c> comments.</summary>
    private sealed record Block(IReadOnlyList<(int Line, string Text)> Lines, IReadOnlyList<(int Line, string Key, string Value)> Comments);

    private static IEnumerable<Block> Blocks(string gift)
    {
        var lines = gift.TrimStart('\uFEFF').Replace("\r\n", "\n").Split('\n');
        var (text, comments) = (new List<(int, string)>(), new List<(int, string, string)>());
        for (var i = 0; i <= lines.Length; i++)
        {
            if (i == lines.Length || lines[i].Trim().Length == 0)
            {
                if (text.Count + comments.Count > 0)
                {
                    yield return new Block(text, comments);
                    (text, comments) = ([], []);
                }
            }
            else if (lines[i].TrimStart().StartsWith("//", StringComparison.Ordinal))
            {
                if (GiftComments.Read(lines[i]) is var (key, value))
                {
                    comments.Add((i + 1, key, value));
                }
            }
            else
            {
                text.Add((i + 1, lines[i]));
            }
        }
    }

    /// <summary>An answer of a choice or short-answer list: its marker (= or ~), <c>%weight%</c>, text and <c>#feedback</c>.</summary>
    private sealed record Answer(char Marker, double? Weight, string Text, string? Feedback);

    private static void ReadQuestion(State state, Block block)
    {
        var text = GiftText.Protect(string.Join('\n', block.Lines.Select(l => l.Text)));
        int LineAt(int index) => block.Lines[text[..index].Count(c => c == '\n')].Line;

        var at = text.Length - text.TrimStart().Length;
        if (text[at..].StartsWith("$CATEGORY:", StringComparison.Ordinal))
        {
            state.Category = GiftText.Restore(text[(at + "$CATEGORY:".Length)..]).Trim();
            return;
        }
        var title = "";
        if (text[at..].StartsWith("::", StringComparison.Ordinal))
        {
            var end = text.IndexOf("::", at + 2, StringComparison.Ordinal);
            if (end < 0)
            {
                throw new GiftSyntaxException(LineAt(at), "the question title opened with '::' is not closed with '::'");
            }
            title = GiftText.Restore(text[(at + 2)..end]).Trim();
            at = end + 2;
        }
        var label = $"line {block.Lines[0].Line}" + (title.Length > 0 ? $" '{title}'" : "");
        if (FormatTag().Match(text[at..]) is { Success: true } format)
        {
            at += format.Length;
            if (format.Groups[1].Value == "html")
            {
                state.Report.Add($"{label}: HTML text taken as Markdown (inline HTML mostly passes through; check the rendering)");
            }
        }

        var braces = Braces(text, at, LineAt);
        if (braces.Count == 0)
        {
            Description(state, label, GiftText.Restore(text[at..]).Trim());
            return;
        }
        var (open, close) = braces[0];
        void Skip(string reason)
        {
            state.Report.Add($"{label}: skipped: {reason}");
            state.Skipped++;
        }
        if (braces.Count > 1 || text[(close + 1)..].Trim().Length > 0)
        {
            Skip("a missing-word question (text after the answers, or several answer sets); the course's answers come after the question");
            return;
        }
        if (Prompt(GiftText.Restore(text[at..open]).Trim(), title) is not var (prompt, stem))
        {
            Skip("no question text");
            return;
        }

        var answers = text[(open + 1)..close];
        // The last "####": an empty option feedback just before it ("T#wrong#####general") must stay with the option.
        var general = answers.LastIndexOf("####", StringComparison.Ordinal);
        var explanation = general < 0 ? "" : GiftText.Restore(answers[(general + 4)..]).Trim();
        answers = (general < 0 ? answers : answers[..general]).Trim();
        var head = (answers.IndexOf('#') is var hash and > 0 ? answers[..hash] : answers).Trim();
        var notes = new List<string>();
        var draft = new Draft(notes);
        var read = answers switch
        {
            "" => "an essay question ({}): the course has no free-text answers graded by hand",
            _ when answers[0] == '#' => Numeric(draft, answers[1..]),
            _ when answers.Contains('~') => Choice(draft, SplitAnswers(answers)),
            _ when answers.Contains('=') && answers.Contains("->", StringComparison.Ordinal) => "a matching question: the course has no matching type",
            _ when head is "T" or "TRUE" or "F" or "FALSE" => TrueFalse(draft, answers, head is "T" or "TRUE"),
            _ => ShortAnswer(draft, SplitAnswers(answers)),
        };
        if (read is not null)
        {
            Skip(read);
            return;
        }
        ApplyComments(draft, block, notes);
        if (explanation.Length == 0)
        {
            // No placeholder text: an empty 'explanation:' fails validation at the item, so nothing reaches students
            // until the instructor has written one.
            notes.Add("no general feedback (####): its 'explanation:' is left empty, and the quiz does not validate until you write one");
        }
        state.Items.Add(new QuizItemSource(draft.Type, prompt, stem, draft.Options,
            [], draft.Keys.ToDictionary(k => k.Key, k => (IReadOnlyList<SourceLine>)k.Value), explanation, block.Lines[0].Line, block.Lines[0].Line));
        state.Report.AddRange(notes.Select(n => $"{label}: {n}"));
    }

    /// <summary>The answer braces of a question as (open, close) positions; unbalanced braces are syntax errors.</summary>
    private static List<(int Open, int Close)> Braces(string text, int from, Func<int, int> lineAt)
    {
        var pairs = new List<(int, int)>();
        int? open = null;
        for (var i = from; i < text.Length; i++)
        {
            if (text[i] == '{')
            {
                if (open is { } previous)
                {
                    throw new GiftSyntaxException(lineAt(previous), $"'{{' is not closed before the next '{{' on line {lineAt(i)} (write \\{{ for a literal brace)");
                }
                open = i;
            }
            else if (text[i] == '}')
            {
                if (open is not { } start)
                {
                    throw new GiftSyntaxException(lineAt(i), "'}' without an opening '{' (write \\} for a literal brace)");
                }
                pairs.Add((start, i));
                open = null;
            }
        }
        return open is { } unclosed
            ? throw new GiftSyntaxException(lineAt(unclosed), "'{' is not closed: the answers must end with '}' before the blank line that ends the question")
            : pairs;
    }

    /// <summary>A question without answers: the first one, before any question, is the quiz introduction.</summary>
    private static void Description(State state, string label, string text)
    {
        if (state.Intro is null && state.Items.Count == 0)
        {
            state.Intro = text;
            return;
        }
        state.Report.Add($"{label}: skipped: a description (text without answers); only one before the first question becomes the introduction");
        state.Skipped++;
    }

    /// <summary>
    /// The heading is the first paragraph (one line, as the exporter writes it) and the rest is the stem. Text that
    /// starts with a block (code, list…) stays whole in the stem under the question's title.
    /// </summary>
    private static (string Prompt, string Stem)? Prompt(string text, string title)
    {
        var split = BlankLine().Match(text);
        var first = split.Success ? text[..split.Index] : text;
        var rest = split.Success ? text[(split.Index + split.Length)..].Trim() : "";
        if (first.Length == 0 || BlockStart().IsMatch(first))
        {
            return title.Length == 0 ? null : (title, text);
        }
        return (string.Join(' ', first.Split('\n').Select(l => l.Trim())), rest);
    }

    /// <summary>The item being built: its type, options and <c>key: value</c> lines.</summary>
    private sealed class Draft(List<string> notes)
    {
        public QuizItemType Type = QuizItemType.Single;
        public readonly List<QuizOptionSource> Options = [];
        public readonly Dictionary<string, List<SourceLine>> Keys = [];

        public void Set(string key, string value) => Keys[key] = [new SourceLine(OneLine(key, value), 0)];

        public void Add(string key, string value) => (Keys.TryGetValue(key, out var values) ? values : Keys[key] = []).Add(new SourceLine(OneLine(key, value), 0));

        /// <summary>Option texts and key values are single lines in the quiz format; a GIFT newline becomes a space.</summary>
        public string OneLine(string what, string value)
        {
            if (!value.Contains('\n'))
            {
                return value;
            }
            notes.Add($"the line breaks in {what} '{value.Split('\n')[0]}…' became spaces (the quiz format keeps it on one line)");
            return string.Join(' ', value.Split('\n').Select(l => l.Trim()));
        }

        public void Note(string note) => notes.Add(note);
    }

    /// <summary>Splits <c>=a#f ~%50%b</c> at its markers (escaped ones are placeholders by now).</summary>
    private static List<Answer> SplitAnswers(string answers)
    {
        var list = new List<Answer>();
        var starts = Enumerable.Range(0, answers.Length).Where(i => answers[i] is '=' or '~').ToList();
        for (var i = 0; i < starts.Count; i++)
        {
            var part = answers[(starts[i] + 1)..(i + 1 < starts.Count ? starts[i + 1] : answers.Length)].Trim();
            double? weight = null;
            if (part.StartsWith('%') && part.IndexOf('%', 1) is var end and > 0
                && double.TryParse(part[1..end], NumberStyles.Float, CultureInfo.InvariantCulture, out var percent))
            {
                weight = percent;
                part = part[(end + 1)..].Trim();
            }
            var hash = part.IndexOf('#');
            list.Add(new Answer(answers[starts[i]], weight, GiftText.Restore(hash < 0 ? part : part[..hash]).Trim(),
                hash < 0 ? null : GiftText.Restore(part[(hash + 1)..]).Trim()));
        }
        return list;
    }

    /// <summary>Single choice when an answer is marked '=' (as Moodle decides), else multiple choice by weights.</summary>
    private static string? Choice(Draft draft, List<Answer> answers)
    {
        if (answers.Any(a => a.Text.Length == 0))
        {
            return "an empty option";
        }
        if (answers.Any(a => a.Marker == '='))
        {
            if (answers.Count(a => a.Marker == '=') > 1 || answers.Any(a => a.Marker == '=' && a.Weight is not (null or 100)))
            {
                return "several right answers in a single-choice question (the course's single choice has exactly one)";
            }
            if (answers.Any(a => a.Marker == '~' && a.Weight is not (null or 0)))
            {
                return "partial credit for wrong options of a single-choice question (the course scores it 1 or 0)";
            }
            draft.Type = QuizItemType.Single;
            draft.Options.AddRange(answers.Select(a => Option(draft, a.Text, a.Marker == '=', a.Feedback)));
            return null;
        }
        var (correct, wrong) = (answers.Count(a => a.Weight > 0), answers.Count(a => a.Weight is not > 0));
        if (correct == 0)
        {
            return "no option has a positive weight, so no answer is right";
        }
        // The course's partial credit is fixed: +100/k % per correct option, −100/w % per wrong one (content/README.md).
        if (answers.Any(a => Math.Abs((a.Weight ?? 0) - (a.Weight > 0 ? 100.0 / correct : -100.0 / wrong)) > 0.01))
        {
            draft.Note($"weights {string.Join(", ", answers.Select(a => $"{(a.Weight ?? 0).ToString(CultureInfo.InvariantCulture)}%"))} replaced by the course's "
                + $"partial credit: +1/{correct} per right option, −1/{wrong} per wrong one");
        }
        draft.Type = QuizItemType.Multiple;
        draft.Options.AddRange(answers.Select(a => Option(draft, a.Text, a.Weight > 0, a.Feedback)));
        return null;
    }

    private static QuizOptionSource Option(Draft draft, string text, bool correct, string? feedback) =>
        new(draft.OneLine("option", text), correct, string.IsNullOrEmpty(feedback) ? null : feedback, 0);

    /// <summary><c>T#feedback if wrong#feedback if right</c>.</summary>
    private static string? TrueFalse(Draft draft, string answers, bool isTrue)
    {
        var parts = answers.Split('#', 3).Select(p => GiftText.Restore(p).Trim()).ToArray();
        var (ifWrong, ifRight) = (parts.ElementAtOrDefault(1), parts.ElementAtOrDefault(2));
        draft.Type = QuizItemType.TrueFalse;
        draft.Options.Add(Option(draft, "True", isTrue, isTrue ? ifRight : ifWrong));
        draft.Options.Add(Option(draft, "False", !isTrue, isTrue ? ifWrong : ifRight));
        return null;
    }

    /// <summary><c>{#value:tolerance}</c>, <c>{#min..max}</c> or <c>{#=value…}</c>; <c>~#feedback</c> is shown on wrong answers.</summary>
    private static string? Numeric(Draft draft, string answers)
    {
        var tilde = answers.IndexOf('~');
        var wrongFeedback = tilde < 0 ? null : GiftText.Restore(answers[(tilde + 1)..].Trim().TrimStart('#')).Trim();
        var list = answers[..(tilde < 0 ? answers.Length : tilde)].Trim();
        var parsed = list.Contains('=') ? SplitAnswers(list) : SplitAnswers("=" + list);
        if (parsed.Count != 1)
        {
            return $"{parsed.Count} numeric answers (partial credit or several right values; the course takes one value with a tolerance)";
        }
        var answer = parsed[0];
        if (answer.Weight is not (null or 100))
        {
            return FormattableString.Invariant($"a numeric answer worth {answer.Weight}% (the course scores numeric answers 1 or 0)");
        }
        static bool Number(string text, out double value) => double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out value);
        var range = answer.Text.Split("..");
        var tolerance = answer.Text.Split(':');
        if (range.Length == 2 && Number(range[0], out var min) && Number(range[1], out var max) && min <= max)
        {
            draft.Set("answer", ((min + max) / 2).ToString(CultureInfo.InvariantCulture));
            draft.Set("tolerance", ((max - min) / 2).ToString(CultureInfo.InvariantCulture));
            draft.Note(FormattableString.Invariant($"the range {answer.Text} became answer {(min + max) / 2} with tolerance {(max - min) / 2}"));
        }
        else if (tolerance.Length <= 2 && Number(tolerance[0], out _) && (tolerance.Length == 1 || Number(tolerance[1], out _)))
        {
            draft.Set("answer", tolerance[0].Trim());
            if (tolerance.Length == 2 && tolerance[1].Trim() is var value && value != "0")
            {
                draft.Set("tolerance", value);
            }
        }
        else
        {
            return $"'{answer.Text}' is not a number, 'value:tolerance' or 'min..max'";
        }
        if (answer.Feedback is { Length: > 0 })
        {
            draft.Note($"feedback for the right answer dropped: '{answer.Feedback}' (the course shows feedback on wrong answers only)");
        }
        if (wrongFeedback is { Length: > 0 })
        {
            draft.Set("feedback", wrongFeedback);
        }
        draft.Type = QuizItemType.Numeric;
        return null;
    }

    /// <summary>
    /// <c>{=a =b =%0%*#feedback}</c>: 100% answers are accepted values (with Moodle's <c>*</c> wildcard as a pattern),
    /// and the 0% catch-all <c>*</c> carries the feedback for wrong answers.
    /// </summary>
    private static string? ShortAnswer(Draft draft, List<Answer> answers)
    {
        if (answers.FirstOrDefault(a => a.Weight is > 0 and < 100) is { } partial)
        {
            return FormattableString.Invariant($"partial credit ({partial.Weight}% for '{partial.Text}'; the course scores short answers 1 or 0)");
        }
        var accepted = answers.Where(a => a.Weight is null or 100 && a.Text.Length > 0).ToList();
        if (accepted.Count == 0)
        {
            return "no accepted answer (short answers are written {=answer})";
        }
        foreach (var answer in accepted)
        {
            if (answer.Text.Contains('*'))
            {
                var pattern = string.Join(".*", answer.Text.Split('*').Select(Regex.Escape));
                draft.Add("pattern", pattern);
                draft.Note($"the wildcard answer '{answer.Text}' became the pattern '{pattern}'");
            }
            else
            {
                draft.Add("accept", answer.Text);
            }
            if (answer.Feedback is { Length: > 0 })
            {
                draft.Note($"feedback for the right answer '{answer.Text}' dropped: '{answer.Feedback}' (the course shows feedback on wrong answers only)");
            }
        }
        foreach (var wrong in answers.Where(a => a.Weight == 0))
        {
            if (wrong.Text == "*" && wrong.Feedback is { Length: > 0 })
            {
                draft.Set("feedback", wrong.Feedback);
            }
            else
            {
                draft.Note($"the 0% answer '{wrong.Text}' dropped (the course has one feedback for every wrong answer)");
            }
        }
        draft.Type = QuizItemType.Text;
        return null;
    }

    /// <summary>Restores the item keys of <c>// course:</c> comments; a computation turns the numeric question back into a computed item.</summary>
    private static void ApplyComments(Draft draft, Block block, List<string> notes)
    {
        foreach (var (line, key, value) in block.Comments.Where(c => !GiftComments.QuizKeys.Contains(c.Key)))
        {
            var applies = key switch
            {
                "points" => true,
                "tolerance" or "compute" or "tokenizer" or "text" => draft.Type == QuizItemType.Numeric,
                "pattern" or "case_sensitive" => draft.Type == QuizItemType.Text,
                _ => false,
            };
            if (!applies)
            {
                notes.Add($"'// course: {key}=' on line {line} ignored: not a course setting of a {QuizParser.TypeName(draft.Type)} question");
            }
            else if (key is "pattern" or "text")
            {
                draft.Add(key, value);
            }
            else
            {
                draft.Set(key, value);
            }
        }
        if (draft.Keys.ContainsKey("compute"))
        {
            draft.Type = QuizItemType.Computed;
            draft.Keys.Remove("answer");
            draft.Keys.Remove("tolerance");
        }
    }

    private static QuizFrontMatter Front(State state, string? id, string? topic)
    {
        string? Setting(string key) => state.Settings.TryGetValue(key, out var setting) ? setting.Value : null;
        string Default(string key, string value, string why)
        {
            state.Report.Add($"no {key} (no '// course: {key}=' comment{why}): using '{value}'");
            return value;
        }
        T Parsed<T>(string key, T fallback, Func<string, T?> parse) where T : struct
        {
            if (Setting(key) is not { } text)
            {
                return fallback;
            }
            if (parse(text) is { } value)
            {
                return value;
            }
            state.Report.Add($"line {state.Settings[key].Line}: '// course: {key}={text}' is not valid; using {fallback}");
            return fallback;
        }
        var timeLimit = Parsed<int>("time_limit", 0, t => int.TryParse(t, CultureInfo.InvariantCulture, out var v) ? v : null);
        return new QuizFrontMatter
        {
            Id = id ?? Setting("id") ?? Default("id", "imported-quiz", " and none given"),
            Title = Setting("title") ?? state.Category?.Split('/')[^1] ?? Default("title", "Imported quiz", " or $CATEGORY"),
            Topic = topic ?? Setting("topic") ?? Default("topic", "module", " and none given"),
            Attempts = Parsed<int>("attempts", 1, t => int.TryParse(t, CultureInfo.InvariantCulture, out var v) ? v : null),
            Grading = Setting("grading") ?? "best",
            TimeLimit = timeLimit == 0 ? null : timeLimit,
            Shuffle = Parsed<bool>("shuffle", true, t => bool.TryParse(t, out var v) ? v : null),
        };
    }
}
