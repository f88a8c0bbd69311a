using Course.Core.Content;
using Course.Tests.Shared;

namespace Course.Core.Tests;

public class TopicDurationsTests
{
    [Theory]
    [InlineData("1 - 1.5 hours (lecture and exploration)", 60, 90)]
    [InlineData("2–2.5 h", 120, 150)]
    [InlineData("40-60 min", 40, 60)]
    public void A_planned_range_reads_in_minutes(string duration, int min, int max) =>
        Assert.Equal((min, max), TopicDurations.PlannedMinutes(duration));

    [Theory]
    [InlineData("1 hour")]
    [InlineData("a while")]
    [InlineData("")]
    public void A_duration_without_a_range_plans_nothing(string duration) => Assert.Null(TopicDurations.PlannedMinutes(duration));

    [Fact]
    public void A_topic_whose_lessons_fall_outside_its_range_is_reported_at_its_duration_line_and_others_pass()
    {
        using var content = new TempContent("""
            id: m
            title: Test module
            topics:
              - id: "4.1"
                title: First topic
                folder: 4.1-first
                duration: 15 - 25 min (short)
              - id: "4.2"
                title: Second topic
                folder: 4.2-second
                duration: 5 - 10 min
            """);
        content.Write("topics/4.1-first/01-a.md", TempContent.Lesson("4.1", 1, "A", "Body."));
        content.Write("topics/4.1-first/02-b.md", TempContent.Lesson("4.1", 2, "B", "Body."));
        content.Write("topics/4.2-second/01-c.md", TempContent.Lesson("4.2", 1, "C", "Body."));
        content.Write("topics/4.2-second/02-d.md", TempContent.Lesson("4.2", 2, "D", "Body."));

        var snapshot = ContentLoader.Load(content.Root);

        // Each lesson takes 10 minutes: 20 for 4.1 (inside 15–25), 20 for 4.2 (outside 5–10).
        Assert.Equal([new TopicDuration("4.1", 20, 15, 25), new TopicDuration("4.2", 20, 5, 10)], TopicDurations.Of(snapshot.Module, snapshot.Lessons));
        Assert.Equal(["module.yaml:11: topic 4.2: its lessons take 20 minutes, outside its planned 5–10 minutes; change the lessons' 'duration' (reading plus counted exercises) or the topic's"],
            snapshot.ModuleErrors.Select(e => e.ToString()));
    }
}
