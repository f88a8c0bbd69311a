using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace Course.E2E;

/// <summary>axe-core's WCAG 2.2 A/AA rules on a page as it stands, and the one-<c>main</c>-landmark rule.</summary>
public static class Axe
{
    private static readonly AxeRunOptions Wcag22AA = new()
    {
        RunOnly = new RunOnlyOptions { Type = "tag", Values = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"] },
    };

    /// <summary>Each serious or critical violation with where it is, and a count of main landmarks other than 1.</summary>
    public static async Task<IReadOnlyList<string>> FindingsAsync(IPage page, string what)
    {
        var result = await page.RunAxe(Wcag22AA);
        var findings = result.Violations.Where(v => v.Impact is "serious" or "critical")
            .Select(v => $"{what}: {v.Id} ({v.Impact}) {v.Help}; {v.Nodes.Length} nodes, first: {v.Nodes[0].Html}").ToList();
        var mains = await page.GetByRole(AriaRole.Main).CountAsync();
        if (mains != 1)
        {
            findings.Add($"{what}: {mains} main landmarks, not 1");
        }
        return findings;
    }
}
