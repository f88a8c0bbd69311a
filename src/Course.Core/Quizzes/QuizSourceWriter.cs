using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Course.Core.Quizzes;

/// <summary>
/// Writes a <see cref="QuizSource"/> in the quiz Markdown format (content/README.md), laid out as the shipped
/// quizzes are, so that <see cref="QuizParser.ReadSource"/> reads the same parts back. Line numbers are ignored.
/// </summary>
public static class QuizSourceWriter
{
    // A JSON string is a valid YAML double-quoted scalar; relaxed escaping keeps non-ASCII titles readable.
    private static readonly JsonSerializerOptions YamlString = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Write(QuizSource source)
    {
        var text = new StringBuilder();
        var front = source.Front;
        text.Append("---\n")
            .Append($"id: {(QuizParser.IsId(front.Id) ? front.Id : Quote(front.Id ?? ""))}\n")
            .Append($"title: {Quote(front.Title ?? "")}\n")
            .Append($"topic: {Quote(front.Topic ?? "")}\n")
            .Append(CultureInfo.InvariantCulture, $"attempts: {front.Attempts}\n")
            .Append($"grading: {front.Grading}\n");
        if (front.TimeLimit is { } minutes)
        {
            text.Append(CultureInfo.InvariantCulture, $"time_limit: {minutes}\n");
        }
        text.Append($"shuffle: {(front.Shuffle ? "true" : "false")}\n---\n");
        if (source.Intro.Trim().Length > 0)
        {
            text.Append('\n').Append(source.Intro.Trim()).Append('\n');
        }
        foreach (var item in source.Items)
        {
            WriteItem(text, item);
        }
        return text.ToString();
    }

    private static void WriteItem(StringBuilder text, QuizItemSource item)
    {
        text.Append($"\n## {QuizParser.TypeName(item.Type)}: {item.Prompt}\n\n");
        if (item.Stem.Length > 0)
        {
            text.Append(item.Stem).Append("\n\n");
        }
        foreach (var option in item.Options)
        {
            text.Append($"- [{(option.Correct ? 'x' : ' ')}] {option.Text}\n");
            foreach (var feedback in option.Feedback?.Split('\n') ?? [])
            {
                text.Append($"  > {feedback}\n");
            }
        }
        for (var i = 0; i < item.Steps.Count; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"{i + 1}. {item.Steps[i].Text}\n");
        }
        foreach (var key in QuizParser.Keys)
        {
            foreach (var value in item.Values(key))
            {
                text.Append($"{key}: {value}\n");
            }
        }
        // A fence must start its own line to stay a fence, so such an explanation starts below the key.
        var explanation = item.Explanation.Trim();
        var fence = explanation.StartsWith("```", StringComparison.Ordinal) || explanation.StartsWith("~~~", StringComparison.Ordinal);
        text.Append(item.Options.Count + item.Steps.Count + item.Keys.Count > 0 ? "\n" : "")
            .Append(fence ? "explanation:\n" : "explanation: ").Append(explanation).Append('\n');
    }

    private static string Quote(string value) => JsonSerializer.Serialize(value, YamlString);
}
