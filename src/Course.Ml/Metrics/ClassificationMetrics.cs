namespace Course.Ml.Metrics;

/// <summary>Precision, recall, F1 and support of one class.</summary>
public sealed record ClassScores(string Label, double Precision, double Recall, double F1, int Support);

/// <summary>Everything a classification report shows, with scikit-learn's definitions (0 where undefined).</summary>
public sealed record ClassificationReport(
    double Accuracy,
    IReadOnlyList<ClassScores> PerClass,
    double MacroPrecision, double MacroRecall, double MacroF1,
    double MicroPrecision, double MicroRecall, double MicroF1,
    double WeightedPrecision, double WeightedRecall, double WeightedF1,
    int[,] ConfusionMatrix);

/// <summary>Accuracy, per-class and averaged precision/recall/F1, and the confusion matrix (rows = true, columns = predicted).</summary>
public static class ClassificationMetrics
{
    public static ClassificationReport Compute(IReadOnlyList<int> references, IReadOnlyList<int> predictions, IReadOnlyList<string> labels)
    {
        if (references.Count != predictions.Count)
        {
            throw new ArgumentException($"{references.Count} references but {predictions.Count} predictions.");
        }
        if (references.Count == 0)
        {
            throw new ArgumentException("Nothing to score: no references.");
        }
        var k = labels.Count;
        var matrix = new int[k, k];
        for (var i = 0; i < references.Count; i++)
        {
            if ((uint)references[i] >= k || (uint)predictions[i] >= k)
            {
                throw new ArgumentOutOfRangeException(nameof(references), $"row {i + 1}: label id outside 0–{k - 1}.");
            }
            matrix[references[i], predictions[i]]++;
        }

        var perClass = new List<ClassScores>();
        int totalTp = 0, totalFp = 0, totalFn = 0;
        for (var c = 0; c < k; c++)
        {
            var tp = matrix[c, c];
            var predicted = Enumerable.Range(0, k).Sum(r => matrix[r, c]);
            var actual = Enumerable.Range(0, k).Sum(p => matrix[c, p]);
            totalTp += tp;
            totalFp += predicted - tp;
            totalFn += actual - tp;
            var (precision, recall, f1) = Prf(tp, predicted, actual);
            perClass.Add(new ClassScores(labels[c], precision, recall, f1, actual));
        }

        var (microP, microR, microF) = Prf(totalTp, totalTp + totalFp, totalTp + totalFn);
        var support = perClass.Sum(c => c.Support);
        double Weighted(Func<ClassScores, double> f) => support == 0 ? 0 : perClass.Sum(c => f(c) * c.Support) / support;
        return new ClassificationReport(
            (double)totalTp / references.Count,
            perClass,
            perClass.Average(c => c.Precision), perClass.Average(c => c.Recall), perClass.Average(c => c.F1),
            microP, microR, microF,
            Weighted(c => c.Precision), Weighted(c => c.Recall), Weighted(c => c.F1),
            matrix);
    }

    /// <summary>Precision, recall and F1 from counts; 0 where a denominator is 0 (scikit-learn's zero_division=0).</summary>
    internal static (double Precision, double Recall, double F1) Prf(int truePositives, int predicted, int actual)
    {
        var precision = predicted == 0 ? 0 : (double)truePositives / predicted;
        var recall = actual == 0 ? 0 : (double)truePositives / actual;
        var f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
        return (precision, recall, f1);
    }

    /// <summary>exp(mean cross-entropy): masked-LM perplexity.</summary>
    public static double Perplexity(double meanLoss) => Math.Exp(meanLoss);
}
