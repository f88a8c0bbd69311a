using Course.Core.Content;
using Course.Tests.Shared;

namespace Course.Cli.Tests;

/// <summary>
/// <c>./course submit --report FILE</c>: the report travels with the queued submission (as the site's form sends
/// it) and <c>submissions show</c> returns it; a report the assignment would refuse, or a missing file, queues nothing.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class SubmitCommandTests : IDisposable
{
    private readonly CliRunner _cli;
    private readonly string _folder = Directory.CreateTempSubdirectory("course-submit-").FullName;

    // An assignment of the course's content that is open now and takes a report: the CLI's default content.
    private readonly Course.Core.Assignments.Assignment _assignment = ContentLoader.Load(Path.Combine(Repository.Root, "content")).Assignments
        .First(a => a.Rules.Report is not null && !(a.Rules.Opens > DateTimeOffset.UtcNow) && !(a.Rules.Due <= DateTimeOffset.UtcNow));

    public SubmitCommandTests(CliRunner cli)
    {
        _cli = cli;
        Environment.SetEnvironmentVariable("ConnectionStrings__Course", $"Data Source={Path.Combine(_folder, "course.db")}");
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, text);
        return path;
    }

    private Task<(int Code, string Stdout, string Stderr)> SubmitAsync(params string[] more) =>
        _cli.RunAsync(["submit", "--assignment", _assignment.Id, "--config", _assignment.StarterPath, "--user", "ada@example.org", .. more]);

    [Fact]
    public async Task The_report_is_queued_with_the_submission_and_shown_with_it()
    {
        const string report = "## Confusion matrix\n\nMost errors are *negative* reviews read as positive.\n";

        var (code, stdout, stderr) = await SubmitAsync("--report", Write("report.md", report));
        var id = CliRunner.LastLine(stdout).GetProperty("id").GetInt64();
        var (shown, showOut, _) = await _cli.RunAsync("submissions", "show", id.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.True(code == 0, stderr);
        Assert.Equal("Queued", CliRunner.LastLine(stdout).GetProperty("status").GetString());
        Assert.Equal(0, shown);
        Assert.Equal(report, CliRunner.LastLine(showOut).GetProperty("report").GetString());
    }

    [Fact]
    public async Task A_report_over_the_word_limit_is_refused_and_nothing_is_queued()
    {
        var words = _assignment.Rules.Report!.MaxWords + 1;

        var (code, stdout, stderr) = await SubmitAsync("--report", Write("long.md", string.Join(' ', Enumerable.Repeat("word", words))));
        var (shown, _, showErr) = await _cli.RunAsync("submissions", "show", "1");

        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Contains(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"The report has {words:N0} words; at most {words - 1:N0} are accepted."), stderr);
        Assert.Equal(2, shown);
        Assert.Contains("no submission 1", showErr);
    }

    [Fact]
    public async Task A_missing_report_file_is_a_usage_error_before_anything_is_written()
    {
        var (code, stdout, stderr) = await SubmitAsync("--report", Path.Combine(_folder, "nope.md"));

        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Contains($"--report: no file '{Path.Combine(_folder, "nope.md")}'", stderr);
        Assert.False(File.Exists(Path.Combine(_folder, "course.db")));
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("ConnectionStrings__Course", null);
        Directory.Delete(_folder, recursive: true);
    }
}
