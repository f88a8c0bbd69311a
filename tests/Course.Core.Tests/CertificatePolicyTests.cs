using Course.Core.Content;
using Course.Tests.Shared;

namespace Course.Core.Tests;

/// <summary>module.yaml's <c>certificate:</c> block: read into the module's policy, or refused at its line.</summary>
public class CertificatePolicyTests
{
    /// <summary>TempContent's module with a certificate block after it: <c>certificate:</c> is line 16, its keys 17–19.</summary>
    private static TempContent WithPolicy(string lessons = "lessons: 100", string quizGrade = "quiz_grade: 60", string assignments = "assignments: all")
    {
        var content = new TempContent();
        var module = Path.Combine(content.Root, "module.yaml");
        File.WriteAllText(module, File.ReadAllText(module).TrimEnd('\n') + $"\ncertificate:\n  {lessons}\n  {quizGrade}\n  {assignments}\n");
        return content;
    }

    [Fact]
    public void The_block_becomes_the_modules_policy()
    {
        using var all = WithPolicy();
        using var none = WithPolicy(lessons: "lessons: 80", quizGrade: "quiz_grade: 0", assignments: "assignments: []");

        var policy = ContentLoader.Load(all.Root).Module.Certificate!;
        var empty = ContentLoader.Load(none.Root).Module.Certificate!;

        Assert.Equal((100, 60.0, (IReadOnlyList<string>?)null), (policy.LessonsPercent, policy.QuizGrade, policy.Assignments));
        Assert.Equal((80, 0.0, 0), (empty.LessonsPercent, empty.QuizGrade, empty.Assignments!.Count));
    }

    [Fact]
    public void A_module_without_the_block_issues_no_certificate()
    {
        using var content = new TempContent();

        Assert.Null(ContentLoader.Load(content.Root).Module.Certificate);
    }

    [Theory]
    [InlineData("lessons: 101", "quiz_grade: 60", "assignments: all", 17,
        "certificate: 'lessons' is the percent of the module's lessons a student completes, a whole number 0–100 (100: every lesson), not 101")]
    [InlineData("lessons: 100", "quiz_grade: -5", "assignments: all", 18,
        "certificate: 'quiz_grade' is the lowest grade in percent on every graded quiz, 0–100 (0: no quiz required), not -5")]
    [InlineData("lessons: 100", "quiz_grade: 60", "assignments: some", 19,
        "certificate: 'assignments' is 'all' (every published assignment) or a list of assignment ids, e.g. [sentiment, ner]; write [] for none")]
    [InlineData("lessons: 100", "quiz_grade: 60", "assignments: [a, a]", 19, "certificate: assignment 'a' is listed twice")]
    [InlineData("# no lessons", "quiz_grade: 60", "assignments: all", 16,
        "certificate: 'lessons' is the percent of the module's lessons a student completes, a whole number 0–100 (100: every lesson), not missing")]
    public void A_malformed_value_is_a_content_error_at_its_line(string lessons, string quizGrade, string assignments, int line, string message)
    {
        using var content = WithPolicy(lessons, quizGrade, assignments);

        var error = Assert.Single(Assert.Throws<ContentException>(() => ContentLoader.Load(content.Root)).Errors);

        Assert.Equal(new Course.Yaml.ContentError("module.yaml", line, message), error);
    }

    [Fact]
    public void A_value_of_the_wrong_type_is_refused_by_the_reader_at_its_line()
    {
        using var content = WithPolicy(lessons: "lessons: every one");

        var error = Assert.Single(Assert.Throws<ContentException>(() => ContentLoader.Load(content.Root)).Errors);

        Assert.Equal(("module.yaml", 17), (error.File, error.Line));
    }

    [Fact]
    public void An_assignment_that_is_not_published_is_reported_and_the_rest_of_the_module_loads()
    {
        using var content = WithPolicy(assignments: "assignments: [sentiment]");

        var snapshot = ContentLoader.Load(content.Root);

        Assert.Equal(new Course.Yaml.ContentError("module.yaml", 19,
            "certificate: assignment 'sentiment' is not a published assignment (published: none); no one could earn the certificate"), Assert.Single(snapshot.Errors));
        Assert.Equal(["sentiment"], snapshot.Module.Certificate!.Assignments!);
    }
}
