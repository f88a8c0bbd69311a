using Course.Ml.Metrics;

namespace Course.Ml.Tests;

public class BootstrapTests
{
    [Fact]
    public void Percentiles_interpolate_linearly_as_numpy_does()
    {
        double[] sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
        // numpy.percentile(range(1, 11), [2.5, 50, 97.5]) → 1.225, 5.5, 9.775
        Assert.Equal(1.225, Bootstrap.Percentile(sorted, 2.5), 12);
        Assert.Equal(5.5, Bootstrap.Percentile(sorted, 50), 12);
        Assert.Equal(9.775, Bootstrap.Percentile(sorted, 97.5), 12);
    }

    [Fact]
    public void A_metric_that_every_row_agrees_on_has_no_width()
    {
        var intervals = Bootstrap.Intervals(50, rows => new Dictionary<string, double> { ["accuracy"] = 1.0 }, ["accuracy"]);

        Assert.Equal((1.0, 1.0), intervals["accuracy"]);
    }

    [Fact]
    public void The_interval_of_a_mean_is_seeded_and_about_as_wide_as_the_normal_approximation()
    {
        var values = Enumerable.Range(0, 200).Select(i => i % 2 == 0 ? 1.0 : 0.0).ToArray();
        IReadOnlyDictionary<string, double> Mean(int[] rows) => new Dictionary<string, double> { ["accuracy"] = rows.Average(r => values[r]) };

        var first = Bootstrap.Intervals(values.Length, Mean, ["accuracy"])["accuracy"];
        var again = Bootstrap.Intervals(values.Length, Mean, ["accuracy"])["accuracy"];
        var otherSeed = Bootstrap.Intervals(values.Length, Mean, ["accuracy"], seed: 1)["accuracy"];

        Assert.Equal(first, again);
        Assert.NotEqual(first, otherSeed);
        // 1.96 × sqrt(0.25 / 200) = 0.0693 each side of 0.5; a 1,000-draw percentile interval lands within a few thousandths.
        Assert.InRange(first.Low, 0.5 - 0.0693 - 0.01, 0.5 - 0.0693 + 0.01);
        Assert.InRange(first.High, 0.5 + 0.0693 - 0.01, 0.5 + 0.0693 + 0.01);
    }
}
