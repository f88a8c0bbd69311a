using Course.Core.Assignments;
using Course.Core.Data;

namespace Course.Grading;

/// <summary>
/// The grade rules of an assignment, Kaggle's way: before the due date a student sees validation figures only and
/// marks up to <c>final_submissions</c> graded submissions as final; after it the grade is the rubric on the best
/// private score of that selection. Pure functions over submission rows, so the site, the CLI and tests agree.
/// </summary>
public static class AssignmentGrades
{
    /// <summary>
    /// The submissions whose private scores decide the grade: those marked final, or with none marked, the best
    /// <paramref name="finalSubmissions"/> by public score (the earlier one on a tie), as Kaggle selects for a
    /// competitor who chose none.
    /// </summary>
    public static IReadOnlyList<Submission> FinalSelection(IEnumerable<Submission> submissions, int finalSubmissions)
    {
        var graded = submissions.Where(s => s.Status == SubmissionStatus.Succeeded && s.PublicScore is not null).ToList();
        var marked = graded.Where(s => s.MarkedFinal).OrderBy(s => s.Id).ToList();
        return marked.Count > 0
            ? marked.Take(finalSubmissions).ToList()
            : graded.OrderByDescending(s => s.PublicScore).ThenBy(s => s.Id).Take(finalSubmissions).ToList();
    }

    /// <summary>
    /// The assignment grade of one student: the best of the final selection's points (the rubric on the private
    /// score) and of any instructor override, an override standing for its submission. Null before anything is graded.
    /// </summary>
    public static double? GradeOf(IEnumerable<Submission> submissions, int finalSubmissions) =>
        GradedSubmission(submissions, finalSubmissions) is { } graded ? PointsOf(graded) : null;

    /// <summary>
    /// The submission whose points are the automatic grade (<see cref="GradeOf(IEnumerable{Submission}, int)"/>): the
    /// best of the final selection's and of any overridden one's points, the earlier on a tie. Its evaluation report is
    /// the one that counts. Null before anything is graded.
    /// </summary>
    public static Submission? GradedSubmission(IEnumerable<Submission> submissions, int finalSubmissions)
    {
        var all = submissions.ToList();
        return FinalSelection(all, finalSubmissions).Where(s => s.GradeOverride is null && s.Grade is not null)
            .Concat(all.Where(s => s.GradeOverride is not null))
            .OrderByDescending(PointsOf).ThenBy(s => s.Id)
            .FirstOrDefault();
    }

    /// <summary>A submission's automatic points: an instructor's override stands for the rubric's.</summary>
    public static double? PointsOf(Submission submission) => submission.GradeOverride ?? submission.Grade;

    public static double? GradeOf(IEnumerable<Submission> submissions, Assignment assignment) =>
        GradeOf(submissions, assignment.Rules.FinalSubmissions);

    /// <summary>Whether figures of the hidden split may be shown to the student whose due date (extensions included) is <paramref name="due"/>.</summary>
    public static bool HiddenReleased(DateTimeOffset due, DateTimeOffset now) => now > due;

    /// <summary>
    /// The leaderboard turns private only once every student's due date has passed: a private ranking shown while
    /// one student still works under an extension would tell that student how their submissions score on the hidden split.
    /// </summary>
    public static bool LeaderboardPrivate(Assignment assignment, IEnumerable<DateTimeOffset> extensions, DateTimeOffset now) =>
        HiddenReleased(extensions.Append(assignment.Rules.Due!.Value).Max(), now);
}
