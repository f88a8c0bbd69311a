using System.Text;

namespace Course.Core.Quizzes.Gift;

/// <summary>
/// GIFT's backslash escapes, as Moodle's qformat_gift writes and reads them: <c>\~ \= \# \{ \} \:</c>, <c>\\</c> for a
/// backslash and <c>\n</c> for a newline. Newlines are escaped on export so that a blank line inside Markdown (which
/// would end the question) never reaches the file.
/// </summary>
internal static class GiftText
{
    private const string Escaped = "\\~=#{}:n";

    // Placeholders from the Private Use Area: escaped characters become one char each, so that the importer finds
    // the structure ({, }, ~, =, #, ::) with plain searches and never mistakes an escaped character for syntax.
    private const char FirstPlaceholder = '\uE000';

    public static string Escape(string text)
    {
        var escaped = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            switch (c)
            {
                case '\r':
                    break;
                case '\n':
                    escaped.Append("\\n");
                    break;
                case '\\' or '~' or '=' or '#' or '{' or '}' or ':':
                    escaped.Append('\\').Append(c);
                    break;
                default:
                    escaped.Append(c);
                    break;
            }
        }
        return escaped.ToString();
    }

    /// <summary>Replaces each escape with its placeholder; a backslash before any other character stays as written.</summary>
    public static string Protect(string raw)
    {
        var text = new StringBuilder(raw.Length);
        for (var i = 0; i < raw.Length; i++)
        {
            var index = raw[i] == '\\' && i + 1 < raw.Length ? Escaped.IndexOf(raw[i + 1]) : -1;
            if (index >= 0)
            {
                text.Append((char)(FirstPlaceholder + index));
                i++;
            }
            else
            {
                text.Append(raw[i]);
            }
        }
        return text.ToString();
    }

    /// <summary>Turns placeholders back into the characters they stand for.</summary>
    public static string Restore(string text)
    {
        var restored = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            var index = c - FirstPlaceholder;
            restored.Append(index >= 0 && index < Escaped.Length ? (Escaped[index] == 'n' ? '\n' : Escaped[index]) : c);
        }
        return restored.ToString();
    }
}
