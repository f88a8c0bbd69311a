using System.Globalization;
using System.Text.RegularExpressions;
using Course.Yaml;
using YamlDotNet.RepresentationModel;

namespace Course.Core.Content;

/// <summary>A topic's planned time (from module.yaml) beside the time its lessons add up to.</summary>
public sealed record TopicDuration(string TopicId, int Minutes, int? PlannedMin, int? PlannedMax)
{
    public bool WithinPlan => PlannedMin is not { } min || PlannedMax is not { } max || Minutes >= min && Minutes <= max;
}

/// <summary>
/// The outline gives each topic a time with its hands-on part ("2 - 2.5 hours (…)"); each lesson's duration counts
/// its reading and its counted exercises, so a topic's lessons must add up to a time inside that range.
/// </summary>
public static partial class TopicDurations
{
    // Linear: each part consumes distinct characters; the timeout guards that reasoning.
    [GeneratedRegex(@"^\s*(\d+(?:\.\d+)?)\s*[-–]\s*(\d+(?:\.\d+)?)\s*(hours?|h|minutes?|min)\b", RegexOptions.IgnoreCase, matchTimeoutMilliseconds: 1000)]
    private static partial Regex RangePattern();

    /// <summary>The planned range in minutes of a duration such as "1 - 1.5 hours (lecture)" or "40–60 min", or null when it gives none.</summary>
    public static (int Min, int Max)? PlannedMinutes(string duration)
    {
        if (RangePattern().Match(duration) is not { Success: true } match)
        {
            return null;
        }
        var perUnit = match.Groups[3].Value.StartsWith('h') || match.Groups[3].Value.StartsWith('H') ? 60 : 1;
        int Minutes(Group group) => (int)Math.Round(double.Parse(group.Value, CultureInfo.InvariantCulture) * perUnit);
        return (Minutes(match.Groups[1]), Minutes(match.Groups[2]));
    }

    public static IReadOnlyList<TopicDuration> Of(CourseModule module, IEnumerable<Lesson> lessons)
    {
        var minutes = lessons.GroupBy(l => l.TopicId).ToDictionary(g => g.Key, g => g.Sum(l => l.DurationMinutes));
        return module.Topics.Select(t => PlannedMinutes(t.Duration) is { } plan
                ? new TopicDuration(t.Id, minutes.GetValueOrDefault(t.Id), plan.Min, plan.Max)
                : new TopicDuration(t.Id, minutes.GetValueOrDefault(t.Id), null, null))
            .ToList();
    }

    /// <summary>A topic whose lessons fall outside its planned time, reported at the topic's <c>duration:</c> line.</summary>
    public static IEnumerable<ContentError> Check(CourseModule module, IEnumerable<Lesson> lessons, string moduleYaml, string moduleFile)
    {
        var yaml = YamlText.Parse(moduleYaml, moduleFile);
        var topics = (yaml.Root as YamlMappingNode)?.Children.TryGetValue(new YamlScalarNode("topics"), out var list) == true ? list as YamlSequenceNode : null;
        int LineOf(string id) => topics?.Children.OfType<YamlMappingNode>()
            .FirstOrDefault(t => t.Children.TryGetValue(new YamlScalarNode("id"), out var node) && (node as YamlScalarNode)?.Value == id) is { } topic
            && topic.Children.TryGetValue(new YamlScalarNode("duration"), out var duration) ? yaml.LineOf(duration) : 1;
        return Of(module, lessons).Where(d => !d.WithinPlan).Select(d => new ContentError(moduleFile, LineOf(d.TopicId),
            $"topic {d.TopicId}: its lessons take {d.Minutes} minutes, outside its planned {d.PlannedMin}–{d.PlannedMax} minutes; " +
            "change the lessons' 'duration' (reading plus counted exercises) or the topic's"));
    }
}
