namespace Course.Core.Quizzes;

/// <summary>
/// A quiz file as written, before rendering and checks: what <see cref="QuizParser.ReadSource"/> reads and
/// <see cref="QuizSourceWriter"/> writes. Converters (GIFT) work on this level so that Markdown survives verbatim.
/// </summary>
/// <param name="IntroLine">1-based line where the introduction starts, so that rendering errors point into the file.</param>
public sealed record QuizSource(QuizFrontMatter Front, string Intro, int IntroLine, IReadOnlyList<QuizItemSource> Items);

/// <summary>A one-line value (a <c>key: value</c> line, an ordering step) and its 1-based line; 0 when not read from a file.</summary>
public sealed record SourceLine(string Text, int Line);

/// <param name="Feedback">The indented <c>&gt;</c> lines joined by newlines; null when there are none.</param>
public sealed record QuizOptionSource(string Text, bool Correct, string? Feedback, int Line);

/// <param name="Prompt">The heading's text after <c>## type:</c>.</param>
/// <param name="Stem">The Markdown between the heading and the answers, trimmed.</param>
/// <param name="Keys"><c>key: value</c> lines other than <c>explanation:</c>, each key's values in file order.</param>
/// <param name="Explanation">From <c>explanation:</c> to the next item; <paramref name="ExplanationLine"/> is 0 when missing.</param>
public sealed record QuizItemSource(
    QuizItemType Type,
    string Prompt,
    string Stem,
    IReadOnlyList<QuizOptionSource> Options,
    IReadOnlyList<SourceLine> Steps,
    IReadOnlyDictionary<string, IReadOnlyList<SourceLine>> Keys,
    string Explanation,
    int ExplanationLine,
    int Line)
{
    /// <summary>The first value of <paramref name="key"/>, or null.</summary>
    public string? Key(string key) => Keys.TryGetValue(key, out var values) ? values[0].Text : null;

    public IReadOnlyList<string> Values(string key) => Keys.TryGetValue(key, out var values) ? values.Select(v => v.Text).ToList() : [];
}
