namespace Course.Ml.Metrics;

/// <summary>
/// Percentile bootstrap intervals of evaluation metrics: the rows of a split are drawn with replacement
/// <see cref="Resamples"/> times from a fixed seed, the metrics recomputed on each draw, and the 2.5th and 97.5th
/// percentiles kept. A 185-row hidden split gives a macro-F1 that moves by several points between draws; a bare
/// point score hides that.
/// </summary>
public static class Bootstrap
{
    public const int Resamples = 1000;
    public const int Seed = 0;

    /// <summary>The 95 % interval of each metric in <paramref name="names"/>, from metrics computed on resampled row indices.</summary>
    public static IReadOnlyDictionary<string, (double Low, double High)> Intervals(int rows, Func<int[], IReadOnlyDictionary<string, double>> metricsOf,
        IReadOnlyCollection<string> names, int resamples = Resamples, int seed = Seed)
    {
        if (rows == 0 || names.Count == 0)
        {
            return new Dictionary<string, (double, double)>();
        }
        var random = new Random(seed);
        var draws = names.ToDictionary(n => n, _ => new double[resamples]);
        var indices = new int[rows];
        for (var r = 0; r < resamples; r++)
        {
            for (var i = 0; i < rows; i++)
            {
                indices[i] = random.Next(rows);
            }
            var metrics = metricsOf(indices);
            foreach (var name in names)
            {
                draws[name][r] = metrics[name];
            }
        }
        return draws.ToDictionary(d => d.Key, d =>
        {
            Array.Sort(d.Value);
            return (Percentile(d.Value, 2.5), Percentile(d.Value, 97.5));
        });
    }

    /// <summary>NumPy's default (linear) percentile of sorted values.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double percent)
    {
        var position = percent / 100 * (sorted.Count - 1);
        var below = (int)Math.Floor(position);
        var above = Math.Min(below + 1, sorted.Count - 1);
        return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
    }
}
