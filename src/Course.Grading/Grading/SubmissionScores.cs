using Course.Core.Assignments;
using Course.Core.Data;

namespace Course.Grading;

/// <summary>A 95 % bootstrap interval of a score.</summary>
public sealed record ScoreInterval(double Low, double High);

/// <summary>
/// What one viewer may see of a graded submission. Validation figures are always there; anything computed on the
/// hidden split (private score, its interval, points, per-class figures, the confusion matrix, the split's hash) only
/// once it is released: for instructors at any time, for the student after their own due date. The site renders
/// from this, never from the stored result, so nothing hidden reaches a circuit before then.
/// </summary>
public sealed record SubmissionScores(
    double PublicScore,
    double ValidationPoints,
    bool HiddenReleased,
    double? PrivateScore,
    ScoreInterval? PrivateInterval,
    double? Points,
    IReadOnlyDictionary<string, double> Metrics,
    Receipt Receipt)
{
    /// <summary>Per class on the validation split (always) or on the hidden split (released only: empty otherwise).</summary>
    public IReadOnlyList<(string Label, double Precision, double Recall, double F1, double Support)> PerClass(string prefix) =>
        GradingResult.PerClass(Metrics, prefix);

    public (IReadOnlyList<string> Labels, double[,] Counts)? Confusion(string prefix) => GradingResult.Confusion(Metrics, prefix);

    public static SubmissionScores For(GradingResult result, Assignment assignment, double? gradeOverride, bool released)
    {
        var test = Assignment.OnSplit(assignment.Rules.Metric!, "test");
        var interval = result.Metrics.TryGetValue($"{test}_ci95_low", out var low) && result.Metrics.TryGetValue($"{test}_ci95_high", out var high)
            ? new ScoreInterval(low, high) : null;
        if (released)
        {
            return new SubmissionScores(result.PublicScore, assignment.PointsFor(result.Metrics, "eval"), true, result.PrivateScore, interval,
                gradeOverride ?? result.Grade, result.Metrics, result.Receipt);
        }
        var hashes = result.Receipt.DatasetSha256.Where(h => h.Key != GradingResult.HiddenSplitKey).ToDictionary();
        return new SubmissionScores(result.PublicScore, assignment.PointsFor(result.Metrics, "eval"), false, null, null,
            gradeOverride, result.Metrics.Where(m => !m.Key.StartsWith("test_", StringComparison.Ordinal)).ToDictionary(),
            result.Receipt with { DatasetSha256 = hashes });
    }

    /// <summary>The error a viewer reads: a platform failure's details (paths, hidden files) are for instructors.</summary>
    public static string? ErrorFor(Submission submission, bool instructor) =>
        submission.Error is null || instructor || submission.CountsAgainstQuota || submission.Status == SubmissionStatus.Cancelled
            ? submission.Error
            : "The grading platform failed on this submission; it does not count against your quota, and instructors have the details.";
}
