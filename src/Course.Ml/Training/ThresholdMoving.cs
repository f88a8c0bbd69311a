namespace Course.Ml.Training;

/// <summary>
/// Threshold moving for a classifier (the <c>decision:</c> block): one additive bias per class on the logits
/// before the argmax, so a rare class can win with a lower score. <see cref="Tune"/> chooses the biases that
/// maximise a metric on labelled logits (the validation split's).
/// </summary>
public static class ThresholdMoving
{
    /// <summary>The biases <see cref="Tune"/> tries for each class: −4 to 4 in log-odds, in steps of 0.1.</summary>
    public static readonly IReadOnlyList<double> Grid = Enumerable.Range(-40, 81).Select(i => i / 10.0).ToList();

    /// <summary>Coordinate-ascent sweeps at most; a sweep that changes no bias ends the search earlier.</summary>
    public const int MaxSweeps = 5;

    /// <summary>The logits with the bias added (as they are when null), in float as the model gives them.</summary>
    public static float[] Apply(float[] logits, IReadOnlyList<double>? bias) =>
        bias is null ? logits : logits.Select((l, i) => (float)(l + bias[i])).ToArray();

    /// <summary>The predicted class of each row: the argmax of the biased logits, the lowest id on a tie (as HF's <c>argmax</c>).</summary>
    public static int[] Predict(IReadOnlyList<float[]> logits, IReadOnlyList<double>? bias) =>
        logits.Select(row =>
        {
            var biased = Apply(row, bias);
            return Array.IndexOf(biased, biased.Max());
        }).ToArray();

    /// <summary>
    /// The biases (class 0 fixed at 0, since only differences between classes change an argmax) that maximise
    /// <paramref name="score"/> of the predictions: coordinate ascent over <see cref="Grid"/>, one class at a
    /// time with the others held, for up to <see cref="MaxSweeps"/> sweeps. Among biases that score the same the
    /// one nearest 0 wins (the negative one of ±b), so a bias moves only where it changes the metric.
    /// </summary>
    public static double[] Tune(IReadOnlyList<float[]> logits, int numClasses, Func<IReadOnlyList<int>, double> score)
    {
        var bias = new double[numClasses];
        var candidates = Grid.OrderBy(Math.Abs).ThenBy(b => b).ToList();
        for (var sweep = 0; sweep < MaxSweeps; sweep++)
        {
            var changed = false;
            for (var c = 1; c < numClasses; c++)
            {
                var current = bias[c];
                var (bestValue, bestBias) = (double.NegativeInfinity, 0.0);
                foreach (var candidate in candidates)
                {
                    bias[c] = candidate;
                    var value = score(Predict(logits, bias));
                    if (value > bestValue)
                    {
                        (bestValue, bestBias) = (value, candidate);
                    }
                }
                bias[c] = bestBias;
                changed |= bestBias != current;
            }
            if (!changed)
            {
                break;
            }
        }
        return bias;
    }
}
