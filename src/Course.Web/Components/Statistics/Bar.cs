using Microsoft.AspNetCore.Components;

namespace Course.Web.Components.Statistics;

/// <summary>One bar of a <see cref="BarChart"/>.</summary>
/// <param name="Label">What the bar counts; markup, so quiz options keep their authored formatting.</param>
/// <param name="Fraction">Length of the bar, 0–1.</param>
/// <param name="Value">The number in words, always shown beside the bar.</param>
/// <param name="Highlight">Drawn in the success colour (a correct option); the label must say so in words too.</param>
public sealed record Bar(MarkupString Label, double Fraction, string Value, bool Highlight = false)
{
    public static Bar Text(string label, double fraction, string value) => new(new MarkupString(System.Net.WebUtility.HtmlEncode(label)), fraction, value);
}
