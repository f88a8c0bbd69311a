using System.Net;
using System.Text.RegularExpressions;

namespace Course.Core.Content;

/// <summary>A run of lesson HTML, or a live widget to mount in its place.</summary>
public sealed record LessonSegment(string Html, Directive? Widget);

/// <summary>
/// Cuts rendered lesson HTML at the widget figures the Markdown pipeline writes, so a page can mount the live
/// component there; the figure itself (inputs as readable text) stays the fallback wherever HTML is shown as is.
/// </summary>
public static partial class LessonSegments
{
    [GeneratedRegex("""<figure class="widget widget-[a-z]+" data-widget="(?<name>[a-z]+)"(?<attrs>[^>]*)>.*?</figure>""", RegexOptions.Singleline | RegexOptions.NonBacktracking)]
    private static partial Regex WidgetFigure();

    [GeneratedRegex("""\sdata-(?<key>[a-z-]+)="(?<value>[^"]*)" """, RegexOptions.IgnorePatternWhitespace | RegexOptions.NonBacktracking)]
    private static partial Regex DataAttribute();

    public static IReadOnlyList<LessonSegment> Split(string html)
    {
        var segments = new List<LessonSegment>();
        var at = 0;
        foreach (Match figure in WidgetFigure().Matches(html))
        {
            if (figure.Index > at)
            {
                segments.Add(new LessonSegment(html[at..figure.Index], null));
            }
            var attributes = DataAttribute().Matches(figure.Groups["attrs"].Value)
                .ToDictionary(m => m.Groups["key"].Value.Replace('-', '_'), m => WebUtility.HtmlDecode(m.Groups["value"].Value));
            segments.Add(new LessonSegment(figure.Value, new Directive(figure.Groups["name"].Value, attributes)));
            at = figure.Index + figure.Length;
        }
        if (at < html.Length)
        {
            segments.Add(new LessonSegment(html[at..], null));
        }
        return segments;
    }
}
