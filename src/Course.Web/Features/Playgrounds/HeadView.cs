using Course.Ml.Pipelines;

namespace Course.Web.Features.Playgrounds;

/// <summary>One line of the head view: <see cref="Query"/> on the left attends to <see cref="Key"/> on the right with <see cref="Weight"/>.</summary>
public sealed record AttentionLine(int Head, int Query, int Key, float Weight);

/// <summary>
/// BertViz's head view as data: the tokens in two columns, a line from each token (left) to each token it attends to
/// (right) whose opacity is the weight, one colour per head, selected heads overlaid, one token's lines when it is
/// focused. Lines below <see cref="MinWeight"/> are left out: at that opacity they are invisible, and a head of 48
/// tokens would otherwise send 2,304 lines to the browser.
/// </summary>
public static class HeadView
{
    public const float MinWeight = 0.01f;

    /// <summary>Thumbnails draw only a head's strong links, so its pattern reads at a glance.</summary>
    public const float ThumbnailMinWeight = 0.1f;

    /// <summary>d3's <c>schemeCategory10</c>, BertViz's head colours.</summary>
    public static IReadOnlyList<string> Colors { get; } =
        ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

    public static string ColorOf(int head) => Colors[head % Colors.Count];

    public static IEnumerable<AttentionLine> Lines(AttentionMaps maps, int layer, IEnumerable<int> heads, int? query = null, float minWeight = MinWeight)
    {
        foreach (var head in heads.Where(h => h >= 0 && h < maps.Heads))
        {
            var rows = maps.Attentions[layer][head];
            for (var q = query ?? 0; q <= (query ?? rows.Length - 1); q++)
            {
                for (var k = 0; k < rows[q].Length; k++)
                {
                    if (rows[q][k] >= minWeight)
                    {
                        yield return new AttentionLine(head, q, k, rows[q][k]);
                    }
                }
            }
        }
    }

    /// <summary>A token as the view writes it (BertViz shows WordPiece's <c>##</c> as is).</summary>
    public static string Display(string token) => token.Length > 14 ? token[..13] + "…" : token;
}
