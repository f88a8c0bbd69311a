using System.Globalization;
using Course.Core.Assignments;
using Course.Core.Content;
using Course.Core.Data;
using Course.Grading;
using Course.Web.Features.Quizzes;

namespace Course.Web.Features.Certificates;

/// <summary>One requirement of the certificate policy, what the student has of it, and whether that meets it.</summary>
public sealed record CertificateRequirement(string What, string Result, bool Met);

/// <summary>What one student has done that the policy asks about: read from the database by <see cref="CertificateService"/>.</summary>
public sealed record StudentRecord(
    IReadOnlySet<string> CompletedLessons,
    IReadOnlyList<QuizAttempt> Attempts,
    IReadOnlyList<Submission> Submissions,
    IReadOnlyDictionary<string, DateTimeOffset> Due);

/// <summary>
/// The certificate policy applied to one student's record, by the rules the rest of the site grades with: lessons
/// completed, each graded quiz's grade by its own policy, each assignment's grade (report included) against its
/// <c>pass_points</c>, counted only once the student's due date has passed, as the grade itself is shown only then.
/// </summary>
public static class CertificateRequirements
{
    public static IReadOnlyList<CertificateRequirement> Of(CertificatePolicy policy, ContentSnapshot content, StudentRecord student, DateTimeOffset now)
    {
        var requirements = new List<CertificateRequirement>();
        var lessons = content.Lessons;
        var completed = lessons.Count(l => student.CompletedLessons.Contains(l.Id));
        requirements.Add(new($"Lessons completed (required: {policy.LessonsPercent} %)", $"{completed} of {lessons.Count}",
            completed * 100 >= policy.LessonsPercent * lessons.Count));
        if (policy.QuizGrade > 0)
        {
            foreach (var quiz in content.GradedQuizzes)
            {
                var grade = QuizAttemptService.GradeOf(quiz, student.Attempts.Where(a => a.QuizId == quiz.Id)) * 100;
                requirements.Add(new(Invariant($"Quiz: {quiz.Title} (required: {policy.QuizGrade:0.#} %)"),
                    grade is { } g ? Invariant($"{g:0.#} %") : "not taken", grade >= policy.QuizGrade));
            }
        }
        foreach (var id in policy.Assignments ?? content.Assignments.Select(a => a.Id))
        {
            requirements.Add(content.FindAssignment(id) is { } assignment
                ? Passed(assignment, student, now)
                : new($"Assignment: {id}", "not published", false));
        }
        return requirements;
    }

    private static CertificateRequirement Passed(Assignment assignment, StudentRecord student, DateTimeOffset now)
    {
        var what = Invariant($"Assignment: {assignment.Title} (pass: {assignment.Rules.PassPoints:0.#} points)");
        var due = student.Due[assignment.Id];
        if (!AssignmentGrades.HiddenReleased(due, now))
        {
            return new(what, $"graded after the due date, {due.UtcDateTime:yyyy-MM-dd}", false);
        }
        var grade = ReportGrades.GradeOf(student.Submissions.Where(s => s.AssignmentId == assignment.Id), assignment);
        return grade switch
        {
            { Combined: { } points } => new(what, Invariant($"{points:0.#} / 100 points"), points >= assignment.Rules.PassPoints),
            { Automatic: not null } => new(what, "the report awaits grading", false),
            _ => new(what, "no graded submission", false),
        };
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
