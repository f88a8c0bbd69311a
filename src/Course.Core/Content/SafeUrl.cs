namespace Course.Core.Content;

/// <summary>
/// The link and image targets rendered Markdown may carry: http, https, mailto and relative URLs (paths,
/// <c>?query</c>, <c>#fragment</c>). Everything else — <c>javascript:</c>, <c>data:</c>, <c>vbscript:</c>,
/// <c>file:</c>, … — is refused, so no Markdown source (lessons, quizzes, briefs, cards, GIFT imports) can
/// carry script in a URL. The scheme is read as a browser reads it (WHATWG URL parsing): leading and trailing
/// control characters and spaces dropped and tabs and newlines removed anywhere, so <c>"java\tscript:"</c> or
/// <c>"\u0001javascript:"</c> are seen as <c>javascript:</c>. Markdig has already decoded character
/// references (<c>&amp;#106;avascript:</c>) in the URLs it hands us.
/// </summary>
public static class SafeUrl
{
    private static readonly string[] AllowedSchemes = ["http", "https", "mailto"];

    public static bool IsAllowed(string url)
    {
        var text = string.Concat(url.Where(c => c is not ('\t' or '\n' or '\r'))).Trim(ControlOrSpace);
        var colon = text.IndexOf(':');
        if (colon < 0)
        {
            return true;
        }
        // A ':' after the path, query or fragment begins is not a scheme ("a/b:c", "#x:y", "?q=a:b").
        var path = text.IndexOfAny(['/', '?', '#']);
        if (path >= 0 && path < colon)
        {
            return true;
        }
        return AllowedSchemes.Contains(text[..colon], StringComparer.OrdinalIgnoreCase);
    }

    private static readonly char[] ControlOrSpace = Enumerable.Range(0, 0x21).Select(c => (char)c).ToArray();
}
