using System.Net;
using System.Text.RegularExpressions;
using Course.Core.Content;
using Course.Core.Quizzes;

namespace Course.Core.Search;

/// <summary>The content as search documents: lessons cut into passages, and every quiz question with its explanation.</summary>
public static partial class SearchDocuments
{
    /// <summary>
    /// Words per passage. all-MiniLM-L6-v2 was trained on sentence pairs and reads 256 word pieces at most; ~120 words
    /// (about 170 pieces) keeps a paragraph group whole and focused on one idea.
    /// </summary>
    public const int PassageWords = 120;

    public static IReadOnlyList<SearchDocument> FromContent(ContentSnapshot content) =>
        [.. content.Lessons.Select(FromLesson), .. content.Quizzes.SelectMany(FromQuiz)];

    public static SearchDocument FromLesson(Lesson lesson) =>
        new(lesson.Id, SearchKind.Lesson, lesson.Title, lesson.Url, lesson.PlainText, Passages(lesson.Title, lesson.PlainText));

    /// <summary>Each question of <paramref name="quiz"/>: its prompt is the preview, its explanation is searched too.</summary>
    public static IEnumerable<SearchDocument> FromQuiz(Quiz quiz) => quiz.Items.Select(item =>
    {
        var prompt = TextOf(item.PromptHtml);
        var text = $"{prompt}\n\n{TextOf(item.ExplanationHtml)}".Trim();
        return new SearchDocument($"quiz:{quiz.Id}#{item.Number}", SearchKind.Quiz, $"{quiz.Title}, question {item.Number}",
            $"/quizzes/{Uri.EscapeDataString(quiz.Id)}", text, Passages(quiz.Title, text), prompt);
    });

    /// <summary>
    /// <paramref name="text"/>'s paragraphs grouped into passages of about <see cref="PassageWords"/> words, each led
    /// by <paramref name="title"/> so a paragraph that says "it" still says what it is about.
    /// </summary>
    public static IReadOnlyList<string> Passages(string title, string text)
    {
        var passages = new List<string>();
        var words = new List<string>();
        // A paragraph longer than a passage is cut at word boundaries; shorter ones are packed together.
        foreach (var piece in Paragraphs().Split(text).Select(Collapse).Where(p => p.Length > 0).SelectMany(p => p.Split(' ').Chunk(PassageWords)))
        {
            if (words.Count > 0 && words.Count + piece.Length > PassageWords)
            {
                passages.Add($"{title}: {string.Join(' ', words)}");
                words.Clear();
            }
            words.AddRange(piece);
        }
        if (words.Count > 0)
        {
            passages.Add($"{title}: {string.Join(' ', words)}");
        }
        return passages.Count > 0 ? passages : [title];
    }

    /// <summary>The text of HTML the course's Markdown pipeline rendered (no raw HTML, so tags are all there is to drop).</summary>
    public static string TextOf(string html) => Collapse(WebUtility.HtmlDecode(Tags().Replace(html, " ")));

    private static string Collapse(string text) => string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    [GeneratedRegex(@"\n\s*\n")]
    private static partial Regex Paragraphs();

    [GeneratedRegex("<[^>]*>")]
    private static partial Regex Tags();
}
