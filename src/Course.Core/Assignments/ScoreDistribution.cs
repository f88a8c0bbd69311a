namespace Course.Core.Assignments;

/// <summary>One bar of a score histogram: scores from <see cref="From"/> (included) to <see cref="To"/> (excluded, except 100).</summary>
public sealed record HistogramBin(double From, double To, int Count)
{
    public string Label => $"{From:0}–{To:0}";
}

/// <summary>How the students' assignment grades (0–100 rubric points) spread.</summary>
public static class ScoreDistribution
{
    public const int Bins = 10;
    public const double MaxPoints = 100;

    /// <summary>
    /// Counts of points in ten bins 0–10, 10–20, …, 90–100; a bin holds its lower edge, and the last one also 100 so a
    /// full mark is not a bin of its own. Points outside 0–100 (never written by the grader) fall into the nearest bin.
    /// </summary>
    public static IReadOnlyList<HistogramBin> Histogram(IEnumerable<double> points)
    {
        const double width = MaxPoints / Bins;
        var counts = new int[Bins];
        foreach (var p in points)
        {
            counts[Math.Clamp((int)Math.Floor(p / width), 0, Bins - 1)]++;
        }
        return counts.Select((count, i) => new HistogramBin(i * width, (i + 1) * width, count)).ToList();
    }
}
