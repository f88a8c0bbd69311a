using System.Globalization;
using Course.Core.Assignments;
using Course.Core.Configuration;
using Course.Core.Data;

namespace Course.Grading;

/// <summary>
/// An evaluation report's score: the rubric items applied (as they read in the front matter now), their points
/// together clamped to [0, full marks], and the same on 0–100. <see cref="Graded"/> is false for a blank report
/// no instructor has graded, which scores 0.
/// </summary>
public sealed record ReportScore(IReadOnlyList<ReportRubricItem> Applied, double Points, double MaxPoints, bool Graded)
{
    public double Percent => Math.Round(Points / MaxPoints * 100, 2);
}

/// <summary>
/// One student's grade on one assignment: the automatic part (the rubric on the graded submission, or its
/// override), the report part on 0–100 (null while the counting report waits for an instructor) and the two
/// combined by the report's weight. Without a <c>report:</c> block the grade is the automatic part.
/// </summary>
public sealed record AssignmentGrade(double? Automatic, ReportScore? Report, double? Combined, long? GradedSubmissionId)
{
    public static readonly AssignmentGrade None = new(null, null, null, null);
}

/// <summary>
/// The report's grade rules, pure functions like <see cref="AssignmentGrades"/>: which report counts (that of the
/// submission the automatic grade uses), what it scores, and the combined grade.
/// </summary>
public static class ReportGrades
{
    /// <summary>The ids of the rubric items applied to a submission's report, in the order they were applied.</summary>
    public static IReadOnlyList<string> AppliedIds(Submission submission) =>
        (submission.ReportItems ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>
    /// The score of a submission's report under <paramref name="rules"/> as they are now: applied items that the
    /// front matter no longer lists count nothing; a report never graded scores 0 when blank and is null (waiting)
    /// when written.
    /// </summary>
    public static ReportScore? ScoreOf(Submission submission, ReportRules rules)
    {
        if (submission.ReportGradedAt is null)
        {
            return string.IsNullOrWhiteSpace(submission.Report) ? new ReportScore([], 0, rules.MaxPoints, Graded: false) : null;
        }
        return Score(AppliedIds(submission), rules);
    }

    /// <summary>The score of the items <paramref name="itemIds"/> (ids the rubric no longer lists count nothing): their points together, clamped to [0, full marks].</summary>
    public static ReportScore Score(IEnumerable<string> itemIds, ReportRules rules)
    {
        var applied = itemIds.Select(rules.Item).OfType<ReportRubricItem>().ToList();
        return new ReportScore(applied, Math.Clamp(applied.Sum(i => i.Points), 0, rules.MaxPoints), rules.MaxPoints, Graded: true);
    }

    /// <summary>(1 − weight) × automatic + weight × report, both on 0–100, to two decimals.</summary>
    public static double Combine(double automatic, double report, double weight) => Math.Round((1 - weight) * automatic + weight * report, 2);

    /// <summary>
    /// The grade of one student's submissions: the automatic part and its submission by <see cref="AssignmentGrades"/>,
    /// that submission's report, and the combination once both are known.
    /// </summary>
    public static AssignmentGrade GradeOf(IEnumerable<Submission> submissions, Assignment assignment)
    {
        if (AssignmentGrades.GradedSubmission(submissions, assignment.Rules.FinalSubmissions) is not { } graded)
        {
            return AssignmentGrade.None;
        }
        var automatic = AssignmentGrades.PointsOf(graded)!.Value;
        if (assignment.Rules.Report is not { } rules)
        {
            return new AssignmentGrade(automatic, null, automatic, graded.Id);
        }
        var report = ScoreOf(graded, rules);
        return new AssignmentGrade(automatic, report, report is null ? null : Combine(automatic, report.Percent, rules.Weight), graded.Id);
    }

    /// <summary>
    /// Why <paramref name="report"/> cannot be stored with a submission of <paramref name="assignment"/>, or null
    /// when it can: over the assignment's <c>max_words</c> (counted by <see cref="ReportWords"/>) or
    /// <see cref="TextLimits.Report"/> characters, or written for an assignment that takes none. Blank is always accepted.
    /// </summary>
    public static string? Refusal(Assignment assignment, string? report)
    {
        if (string.IsNullOrWhiteSpace(report))
        {
            return null;
        }
        if (assignment.Rules.Report is not { } rules)
        {
            return $"{assignment.Title} takes no evaluation report.";
        }
        var words = ReportWords.Count(report);
        return words > rules.MaxWords
            ? string.Create(CultureInfo.InvariantCulture, $"The report has {words:N0} words; at most {rules.MaxWords:N0} are accepted. Shorten it and submit again.")
            : TextLimits.Check(report, TextLimits.Report, "The report");
    }
}
