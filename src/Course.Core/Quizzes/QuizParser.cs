using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Course.Core.Content;
using YamlDotNet.RepresentationModel;
using Course.Yaml;

namespace Course.Core.Quizzes;

/// <summary>The quiz front matter (content/README.md, "Quizzes").</summary>
public sealed class QuizFrontMatter
{
    public string? Id { get; set; }
    public string? Title { get; set; }
    public string? Topic { get; set; }
    public int Attempts { get; set; } = 1;
    public string Grading { get; set; } = "best";

    /// <summary>Minutes.</summary>
    public int? TimeLimit { get; set; }

    public bool Shuffle { get; set; } = true;

    /// <summary>UTC instant after which no attempt starts or continues and the <c>after_close</c> review applies.</summary>
    public DateTimeOffset? Closes { get; set; }

    /// <summary>Ungraded: left out of the gradebook, and everything is shown after each attempt by default.</summary>
    public bool Practice { get; set; }

    /// <summary>Moment → the review options shown then; checked, with their lines, by <see cref="QuizParser"/>.</summary>
    public Dictionary<string, List<string>>? Review { get; set; }
}

/// <summary>
/// Reads the quiz Markdown format: YAML front matter, an optional introduction, then one item per
/// <c>## type: prompt</c> heading with its stem, options (<c>- [x]</c> with indented <c>&gt;</c> feedback),
/// numbered steps, <c>key: value</c> lines and a closing <c>explanation:</c>. Every problem is reported at its
/// line; text goes through the lessons' Markdown pipeline. Computed keys are resolved by the caller's tokenizers.
/// Two stages: <see cref="ReadSource"/> splits the file into its Markdown parts (kept for converters such as GIFT),
/// then <see cref="Parse"/> checks and renders them.
/// </summary>
public static partial class QuizParser
{
    /// <summary>The <c>key: value</c> names an item may use, in the order <see cref="QuizSourceWriter"/> writes them.</summary>
    public static readonly IReadOnlyList<string> Keys = ["answer", "tolerance", "accept", "pattern", "case_sensitive", "compute", "tokenizer", "text", "points", "feedback", "explanation"];

    public static readonly IReadOnlyList<string> ComputeFunctions = ["token_count", "input_ids_length", "token_id", "vocab_size"];

    [GeneratedRegex(@"^##\s+([A-Za-z-]+)\s*:\s*(.*)\z", RegexOptions.NonBacktracking)]
    private static partial Regex ItemHeading();

    [GeneratedRegex(@"^- \[([ xX])\]\s+(.+)\z", RegexOptions.NonBacktracking)]
    private static partial Regex OptionLine();

    [GeneratedRegex(@"^\s{2,}>\s?(.*)\z", RegexOptions.NonBacktracking)]
    private static partial Regex FeedbackLine();

    [GeneratedRegex(@"^\d+\.\s+(.+)\z", RegexOptions.NonBacktracking)]
    private static partial Regex StepLine();

    [GeneratedRegex(@"^([a-z_]+):(?:\s+(.*))?\z", RegexOptions.NonBacktracking)]
    private static partial Regex KeyLine();

    [GeneratedRegex(@"^[a-z0-9][a-z0-9-]*\z", RegexOptions.NonBacktracking)]
    private static partial Regex IdPattern();

    /// <param name="computeKey">Resolves a computed item's key (tokenizers); null leaves computed keys unresolved.</param>
    public static (Quiz? Quiz, IReadOnlyList<ContentError> Errors) Parse(string text, string file,
        Func<ComputeSpec, double>? computeKey = null, Func<string, string?>? resolveLesson = null)
    {
        var errors = new List<ContentError>();
        var source = ReadSource(text, file, errors);
        if (source is null)
        {
            return (null, errors);
        }
        var grading = CheckFrontMatter(source.Front, file, errors);
        var review = source.Front.Review is null ? null : ReadReview(source.Front, FrontMatterLines(text), file, errors);
        var context = new Context(file, errors, computeKey, resolveLesson ?? (_ => null));
        var intro = context.Html(source.Intro, source.IntroLine, inline: false);
        var items = source.Items.Select((item, i) => Build(context, i + 1, item)).ToList();
        if (errors.Count > 0)
        {
            return (null, errors);
        }
        var front = source.Front;
        var version = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
        return (new Quiz(front.Id!, front.Title!, front.Topic!, front.Attempts, grading,
            front.TimeLimit is { } minutes ? TimeSpan.FromMinutes(minutes) : null, front.Shuffle, intro, items, file, version,
            front.Closes, front.Practice, review), errors);
    }

    /// <summary>
    /// The file's structure with every part as written (Markdown, raw key values), without rendering or the checks
    /// of <see cref="Parse"/>: errors are only those of the structure itself. Null when the front matter is unreadable.
    /// </summary>
    public static (QuizSource? Source, IReadOnlyList<ContentError> Errors) ReadSource(string text, string file)
    {
        var errors = new List<ContentError>();
        return (ReadSource(text, file, errors), errors);
    }

    private static QuizSource? ReadSource(string text, string file, List<ContentError> errors)
    {
        var lines = text.Replace("\r\n", "\n").Split('\n');
        var end = FrontMatterEnd(lines);
        if (end < 0)
        {
            errors.Add(new ContentError(file, 1, "a quiz starts with YAML front matter between two '---' lines (id, title, topic, attempts, grading)"));
            return null;
        }
        var front = YamlReader.Read<QuizFrontMatter>(string.Join('\n', lines[1..end]), file, 2, errors);
        if (front is null)
        {
            return null;
        }
        var context = new Context(file, errors, null, _ => null);
        var starts = ItemStarts(lines, end + 1);
        var intro = string.Join('\n', lines[(end + 1)..(starts.Count > 0 ? starts[0] : lines.Length)]);
        var items = new List<QuizItemSource>();
        for (var i = 0; i < starts.Count; i++)
        {
            if (ReadItem(context, lines, starts[i], i + 1 < starts.Count ? starts[i + 1] : lines.Length) is { } item)
            {
                items.Add(item);
            }
        }
        if (starts.Count == 0)
        {
            errors.Add(new ContentError(file, end + 2, "the quiz has no items: start each with a heading '## single: Your question?'"));
        }
        return new QuizSource(front, intro, end + 2, items);
    }

    /// <summary>The index of the line closing the front matter, or -1.</summary>
    private static int FrontMatterEnd(string[] lines) =>
        lines.Length > 0 && lines[0].TrimEnd() == "---" ? Array.FindIndex(lines, 1, l => l.TrimEnd() == "---") : -1;

    /// <summary>The front matter's YAML of a file whose front matter has been read (it starts at line 2).</summary>
    private static string FrontMatterLines(string text)
    {
        var lines = text.Replace("\r\n", "\n").Split('\n');
        return string.Join('\n', lines[1..FrontMatterEnd(lines)]);
    }

    /// <summary>
    /// The <c>review:</c> section over the defaults (moments not listed keep theirs), read from the YAML nodes so that an
    /// unknown moment or option is reported at its own line.
    /// </summary>
    private static QuizReview ReadReview(QuizFrontMatter front, string yaml, string file, List<ContentError> errors)
    {
        var review = QuizReview.Default(front.Practice);
        var text = YamlText.Parse(yaml, file, 2);
        errors.AddRange(text.Errors);
        if (text.Entry("review")?.Value is not YamlMappingNode section)
        {
            errors.Add(new ContentError(file, 2, "review maps moments to lists, e.g. 'review:' then '  after_attempt: [score, right_or_wrong]'"));
            return review;
        }
        int LineOf(YamlNode node) => text.LineOf(node);
        foreach (var (key, value) in section.Children)
        {
            var name = ((YamlScalarNode)key).Value ?? "";
            if (!QuizReview.Moments.TryGetValue(name, out var moment))
            {
                errors.Add(new ContentError(file, LineOf(key), $"review: unknown moment '{name}' (after_attempt, after_last_attempt, after_close)"));
                continue;
            }
            if (value is not YamlSequenceNode list)
            {
                errors.Add(new ContentError(file, LineOf(key), $"review: {name} is a list such as [score, right_or_wrong], or [] to show nothing"));
                continue;
            }
            var options = ReviewOptions.None;
            foreach (var entry in list.Children)
            {
                if (entry is YamlScalarNode { Value: { } option } && QuizReview.Options.TryGetValue(option, out var flag))
                {
                    options |= flag;
                }
                else
                {
                    errors.Add(new ContentError(file, LineOf(entry),
                        $"review: {name}: unknown option '{(entry as YamlScalarNode)?.Value ?? entry.ToString()}' ({string.Join(", ", QuizReview.Options.Keys)})"));
                }
            }
            review = review.With(moment, options);
        }
        return review;
    }

    private static GradingPolicy CheckFrontMatter(QuizFrontMatter front, string file, List<ContentError> errors)
    {
        void Check(bool ok, string message)
        {
            if (!ok) errors.Add(new ContentError(file, 2, message));
        }
        Check(IsId(front.Id), $"id must be lowercase letters, digits and '-', not '{front.Id}'");
        Check(!string.IsNullOrWhiteSpace(front.Title), "title is required");
        Check(!string.IsNullOrWhiteSpace(front.Topic), "topic is required: a topic id from module.yaml, or \"module\"");
        Check(front.Attempts is >= 0 and <= 100, $"attempts must be 0 (unlimited) to 100, not {front.Attempts}");
        Check(front.TimeLimit is null or (>= 1 and <= 600), $"time_limit is in minutes, 1–600, not {front.TimeLimit}");
        var ok = Enum.TryParse<GradingPolicy>(front.Grading, ignoreCase: true, out var grading) && front.Grading.All(char.IsLower);
        Check(ok, $"grading must be best, last or average, not '{front.Grading}'");
        return grading;
    }

    /// <summary>Lines of <c>## </c> headings outside fenced code.</summary>
    private static List<int> ItemStarts(string[] lines, int from)
    {
        var starts = new List<int>();
        var fenced = false;
        for (var i = from; i < lines.Length; i++)
        {
            if (IsFence(lines[i]))
            {
                fenced = !fenced;
            }
            else if (!fenced && lines[i].StartsWith("## ", StringComparison.Ordinal))
            {
                starts.Add(i);
            }
        }
        return starts;
    }

    private static bool IsFence(string line) => line.TrimStart().StartsWith("```", StringComparison.Ordinal) || line.TrimStart().StartsWith("~~~", StringComparison.Ordinal);

    private sealed record Context(string File, List<ContentError> Errors, Func<ComputeSpec, double>? ComputeKey, Func<string, string?> ResolveLesson)
    {
        public void Error(int line, string message) => Errors.Add(new ContentError(File, line, message));

        /// <summary>Renders a fragment that starts at 1-based <paramref name="line"/> with the lessons' pipeline.</summary>
        public string Html(string markdown, int line, bool inline)
        {
            var rendered = LessonMarkdown.Render(markdown, File, ResolveLesson);
            foreach (var error in rendered.Errors)
            {
                Error(line + error.Line - 1, error.Message);
            }
            var html = rendered.Html.Trim();
            return inline && html.StartsWith("<p>", StringComparison.Ordinal) && html.EndsWith("</p>", StringComparison.Ordinal) && html.IndexOf("<p>", 3, StringComparison.Ordinal) < 0
                ? html[3..^4]
                : html;
        }
    }

    private static QuizItemSource? ReadItem(Context context, string[] lines, int start, int stop)
    {
        var heading = ItemHeading().Match(lines[start]);
        var line = start + 1;
        if (!heading.Success || heading.Groups[2].Value.Trim().Length == 0)
        {
            context.Error(line, "an item heading is '## type: prompt', e.g. '## single: Which file holds the configuration?'");
            return null;
        }
        var typeName = heading.Groups[1].Value;
        QuizItemType? parsedType = typeName switch
        {
            "single" => QuizItemType.Single, "multiple" => QuizItemType.Multiple, "true-false" => QuizItemType.TrueFalse,
            "numeric" => QuizItemType.Numeric, "text" => QuizItemType.Text, "ordering" => QuizItemType.Ordering, "computed" => QuizItemType.Computed,
            _ => null,
        };
        if (parsedType is not { } type)
        {
            context.Error(line, $"unknown item type '{typeName}' (single, multiple, true-false, numeric, text, ordering, computed)");
            return null;
        }

        var stem = new List<string>();
        var options = new List<(string Text, bool Correct, List<string> Feedback, int Line)>();
        var steps = new List<SourceLine>();
        var keys = new Dictionary<string, IReadOnlyList<SourceLine>>();
        var explanation = new List<string>();
        var explanationLine = 0;
        var inStem = true;
        var fenced = false;
        for (var i = start + 1; i < stop; i++)
        {
            var text = lines[i];
            if (explanationLine > 0)
            {
                explanation.Add(text);
                continue;
            }
            if (fenced || IsFence(text))
            {
                fenced ^= IsFence(text);
                if (inStem) stem.Add(text);
                else context.Error(i + 1, "code belongs in the stem (before the options) or in the explanation");
                continue;
            }
            if (OptionLine().Match(text) is { Success: true } option)
            {
                options.Add((option.Groups[2].Value.Trim(), option.Groups[1].Value != " ", [], i + 1));
                inStem = false;
            }
            else if (FeedbackLine().Match(text) is { Success: true } feedback && options.Count > 0 && !inStem)
            {
                options[^1].Feedback.Add(feedback.Groups[1].Value);
            }
            else if (type == QuizItemType.Ordering && StepLine().Match(text) is { Success: true } step)
            {
                steps.Add(new SourceLine(step.Groups[1].Value.Trim(), i + 1));
                inStem = false;
            }
            else if (KeyLine().Match(text) is { Success: true } key && Keys.Contains(key.Groups[1].Value))
            {
                var (name, value) = (key.Groups[1].Value, key.Groups[2].Value.Trim());
                if (name == "explanation")
                {
                    explanationLine = i + 1;
                    explanation.Add(value);
                }
                else
                {
                    keys[name] = [.. keys.GetValueOrDefault(name) ?? [], new SourceLine(value, i + 1)];
                }
                inStem = false;
            }
            else if (inStem)
            {
                stem.Add(text);
            }
            else if (text.Trim().Length > 0)
            {
                context.Error(i + 1, $"unexpected text after the answers: '{Shorten(text)}' (stem paragraphs go before the options; feedback lines are indented '  > …')");
            }
        }
        return new QuizItemSource(type, heading.Groups[2].Value.Trim(), string.Join('\n', stem).Trim(),
            options.Select(o => new QuizOptionSource(o.Text, o.Correct, o.Feedback.Count == 0 ? null : string.Join('\n', o.Feedback), o.Line)).ToList(),
            steps, keys, string.Join('\n', explanation), explanationLine, line);
    }

    private static QuizItem Build(Context context, int number, QuizItemSource source)
    {
        var (type, line) = (source.Type, source.Line);
        string? Single(string key)
        {
            if (!source.Keys.TryGetValue(key, out var values)) return null;
            if (values.Count > 1) context.Error(values[1].Line, $"'{key}' is given more than once");
            return values[0].Text;
        }
        int LineOf(string key) => source.Keys.TryGetValue(key, out var values) ? values[0].Line : line;

        var allowed = type switch
        {
            QuizItemType.Numeric => new[] { "answer", "tolerance", "feedback", "points" },
            QuizItemType.Text => ["accept", "pattern", "case_sensitive", "feedback", "points"],
            QuizItemType.Computed => ["compute", "tokenizer", "text", "feedback", "points"],
            _ => ["points"],
        };
        foreach (var (key, values) in source.Keys.Where(k => !allowed.Contains(k.Key)))
        {
            context.Error(values[0].Line, $"'{key}' does not apply to {TypeName(type)} items (allowed: {string.Join(", ", allowed.Append("explanation"))})");
        }
        if (source.ExplanationLine == 0 || source.Explanation.Trim().Length == 0)
        {
            context.Error(line, "every item needs an 'explanation:' (shown after submitting)");
        }

        var points = 1.0;
        if (Single("points") is { } pointsText && (!double.TryParse(pointsText, NumberStyles.Float, CultureInfo.InvariantCulture, out points) || points is <= 0 or > 100))
        {
            context.Error(LineOf("points"), $"points must be a number in (0, 100], not '{pointsText}'");
        }

        var options = new List<QuizOption>();
        if (type is QuizItemType.Single or QuizItemType.Multiple or QuizItemType.TrueFalse)
        {
            CheckOptions(context, source);
            options.AddRange(source.Options.Select((o, i) => new QuizOption(OptionId(i), context.Html(o.Text, o.Line, inline: true), o.Correct,
                o.Feedback is null ? null : context.Html(o.Feedback, o.Line + 1, inline: true))));
        }
        else if (source.Options.Count > 0)
        {
            context.Error(source.Options[0].Line, $"{TypeName(type)} items have no '- [ ]' options");
        }
        if (type == QuizItemType.Ordering)
        {
            if (source.Steps.Count < 2)
            {
                context.Error(line, "an ordering item lists at least two steps as '1. …', '2. …' in the correct order");
            }
            options.AddRange(source.Steps.Select((s, i) => new QuizOption(OptionId(i), context.Html(s.Text, s.Line, inline: true), true, null)));
        }

        double? answer = null;
        var (tolerance, relative) = (0.0, false);
        if (type == QuizItemType.Numeric)
        {
            var answerText = Single("answer");
            if (answerText is null || !double.TryParse(answerText, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                context.Error(LineOf("answer"), $"a numeric item needs 'answer: NUMBER' (e.g. answer: 0.73), not '{answerText}'");
            }
            else
            {
                answer = value;
            }
            if (Single("tolerance") is { } toleranceText)
            {
                relative = toleranceText.EndsWith('%');
                if (!double.TryParse(toleranceText.TrimEnd('%'), NumberStyles.Float, CultureInfo.InvariantCulture, out tolerance) || tolerance < 0)
                {
                    context.Error(LineOf("tolerance"), $"tolerance must be a non-negative number or percentage (0.01, 2%), not '{toleranceText}'");
                }
                tolerance = relative ? tolerance / 100 : tolerance;
            }
        }

        var accept = source.Values("accept");
        var patterns = source.Values("pattern");
        var caseSensitive = false;
        if (type == QuizItemType.Text)
        {
            if (accept.Count + patterns.Count == 0 || accept.Concat(patterns).Any(string.IsNullOrWhiteSpace))
            {
                context.Error(line, "a text item needs 'accept: value' and/or 'pattern: regex' lines, none empty");
            }
            foreach (var (pattern, patternLine) in source.Keys.GetValueOrDefault("pattern") ?? [])
            {
                try
                {
                    _ = new Regex(pattern, RegexOptions.None, TimeSpan.FromMilliseconds(100));
                }
                catch (ArgumentException ex)
                {
                    context.Error(patternLine, $"pattern is not a valid regular expression: {ex.Message}");
                }
            }
            if (Single("case_sensitive") is { } flag && !bool.TryParse(flag, out caseSensitive))
            {
                context.Error(LineOf("case_sensitive"), $"case_sensitive must be true or false, not '{flag}'");
            }
        }

        ComputeSpec? compute = null;
        List<ComputedVariant>? variants = null;
        if (type == QuizItemType.Computed)
        {
            var texts = source.Keys.GetValueOrDefault("text") ?? [];
            compute = BuildCompute(context, Single("compute"), Single("tokenizer"), texts.Count > 0 ? texts[0].Text : null, LineOf("compute"), line);
            double? Key(ComputeSpec spec, int keyLine)
            {
                try
                {
                    return context.ComputeKey?.Invoke(spec);
                }
                catch (Exception ex) when (ex is ArgumentException or KeyNotFoundException or InvalidOperationException or IOException)
                {
                    context.Error(keyLine, $"the key cannot be computed: {ex.Message}");
                    return null;
                }
            }
            if (compute is { Text: null })
            {
                if (texts.Count > 0) context.Error(texts[0].Line, $"compute: {compute.Function} takes no 'text:'");
                answer = Key(compute, LineOf("compute"));
            }
            else if (compute is not null)
            {
                if (texts.Count > 1 && !(source.Prompt + source.Stem).Contains(QuizItem.TextPlaceholder, StringComparison.Ordinal))
                {
                    context.Error(texts[1].Line, $"with several 'text:' lines each student gets one: write {QuizItem.TextPlaceholder} in the prompt or stem where it is shown");
                }
                foreach (var empty in texts.Where(t => string.IsNullOrEmpty(Unquote(t.Text))))
                {
                    context.Error(empty.Line, "text is empty: write the text the key is computed from, 'text: \"…\"'");
                }
                foreach (var duplicate in texts.GroupBy(t => Unquote(t.Text), StringComparer.Ordinal).Where(g => g.Count() > 1))
                {
                    context.Error(duplicate.ElementAt(1).Line, $"text \"{Shorten(duplicate.Key ?? "")}\" is given twice");
                }
                variants = [.. texts.Where(t => !string.IsNullOrEmpty(Unquote(t.Text))).Select(t => new ComputedVariant(Unquote(t.Text)!, Key(compute with { Text = Unquote(t.Text) }, texts.Count > 1 ? t.Line : LineOf("compute"))))];
                answer = variants[0].Key;
            }
        }

        var stem = source.Stem;
        var promptHtml = context.Html(source.Prompt, line, inline: true) + (stem.Length > 0 ? "\n" + context.Html(stem, line + 1, inline: false) : "");
        var feedbackText = Single("feedback");
        return new QuizItem(number, type, promptHtml, points, options, answer, tolerance, relative, accept, patterns, caseSensitive, compute,
            feedbackText is null ? null : context.Html(feedbackText, LineOf("feedback"), inline: true),
            context.Html(source.Explanation, Math.Max(1, source.ExplanationLine), inline: false), line, variants);
    }

    private static void CheckOptions(Context context, QuizItemSource source)
    {
        var (type, line) = (source.Type, source.Line);
        var correct = source.Options.Count(o => o.Correct);
        if (source.Options.Count < 2)
        {
            context.Error(line, $"a {TypeName(type)} item needs at least two options '- [ ] …' / '- [x] …'");
        }
        else if (type != QuizItemType.Multiple && correct != 1)
        {
            context.Error(line, $"a {TypeName(type)} item marks exactly one option '- [x]', not {correct}");
        }
        else if (type == QuizItemType.Multiple && correct == 0)
        {
            context.Error(line, "a multiple item marks at least one option '- [x]'");
        }
        if (type == QuizItemType.TrueFalse && (source.Options.Count != 2
            || !source.Options.Select(o => o.Text.ToLowerInvariant()).Order().SequenceEqual(["false", "true"])))
        {
            context.Error(line, "a true-false item has exactly the options 'True' and 'False'");
        }
        foreach (var duplicate in source.Options.GroupBy(o => o.Text, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
        {
            context.Error(duplicate.ElementAt(1).Line, $"option '{Shorten(duplicate.Key)}' appears twice");
        }
    }

    private static ComputeSpec? BuildCompute(Context context, string? function, string? tokenizer, string? text, int functionLine, int line)
    {
        if (function is null || !ComputeFunctions.Contains(function))
        {
            context.Error(functionLine, $"compute must be one of {string.Join(", ", ComputeFunctions)}, not '{function}'");
            return null;
        }
        if (string.IsNullOrWhiteSpace(tokenizer))
        {
            context.Error(line, "a computed item names its 'tokenizer:' (e.g. gpt2, sentence-transformers/all-MiniLM-L6-v2)");
            return null;
        }
        var unquoted = Unquote(text);
        if (function != "vocab_size" && string.IsNullOrEmpty(unquoted))
        {
            context.Error(line, $"compute: {function} needs 'text: \"…\"'");
            return null;
        }
        return new ComputeSpec(function, tokenizer.Trim(), function == "vocab_size" ? null : unquoted);
    }

    private static string? Unquote(string? text) => text is { Length: >= 2 } && text[0] == '"' && text[^1] == '"' ? text[1..^1] : text;

    private static string OptionId(int index) => ((char)('a' + index)).ToString();

    /// <summary>Whether <paramref name="id"/> is a valid quiz id: lowercase letters, digits and '-'.</summary>
    public static bool IsId([NotNullWhen(true)] string? id) => id is not null && IdPattern().IsMatch(id);

    /// <summary>The type as item headings write it: single, multiple, true-false, numeric, text, ordering, computed.</summary>
    public static string TypeName(QuizItemType type) => type == QuizItemType.TrueFalse ? "true-false" : type.ToString().ToLowerInvariant();

    private static string Shorten(string text) => text.Trim() is var t && t.Length > 60 ? t[..57] + "…" : text.Trim();
}
