using System.Security.Cryptography;
using System.Text;
using Course.Core.Data;
using Course.Tests.Shared;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace Course.Cli.Tests;

/// <summary>
/// <c>./course assignments hidden</c> on the tiny grading setup: a bad file is refused at its lines with nothing
/// stored, a good one is stored owner-only and audited, and the next <c>./course grade</c> scores against it.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class HiddenSplitCommandTests : IDisposable
{
    private readonly CliRunner _cli;
    private readonly TinyGradingSetup _setup = new();
    private readonly Dictionary<string, string?> _previous = [];

    public HiddenSplitCommandTests(CliRunner cli)
    {
        _cli = cli;
        Set("Content__Path", _setup.Content);
        Set("Data__Path", _setup.Data);
        Set("Grading__HiddenDataPath", _setup.Hidden);
        Set("Ml__HubPath", _setup.Hub.Root);
        Set("ConnectionStrings__Course", $"Data Source={Path.Combine(_setup.Root, "course.db")}");
    }

    private void Set(string variable, string value)
    {
        _previous[variable] = Environment.GetEnvironmentVariable(variable);
        Environment.SetEnvironmentVariable(variable, value);
    }

    private static string Row(string text, string label) => $"{{\"text\": \"{text}\", \"label\": \"{label}\"}}";

    private string Uploaded => Path.Combine(_setup.Data, "hidden", "reviews", "test.jsonl");

    private async Task<int> AuditEntriesAsync()
    {
        await using var db = new PooledDbContextFactory<CourseDbContext>(new DbContextOptionsBuilder<CourseDbContext>()
            .UseSqlite($"Data Source={Path.Combine(_setup.Root, "course.db")};Pooling=False").Options).CreateDbContext();
        return await db.AuditEntries.CountAsync(e => e.Action == "assignment.hidden-split");
    }

    [Fact]
    public async Task A_file_with_a_public_duplicate_an_unknown_label_or_a_broken_line_is_refused_at_those_lines_and_nothing_is_stored()
    {
        var publicRow = System.Text.Json.JsonDocument.Parse(File.ReadLines(Path.Combine(_setup.DatasetsFolder, "reviews", "train.jsonl")).ElementAt(4)).RootElement;
        // The public row in capitals, spaced out and with an exclamation mark: still the same review.
        var copied = Row("  " + publicRow.GetProperty("text").GetString()!.ToUpperInvariant().Replace(" ", "  ") + "!", publicRow.GetProperty("label").GetString()!);
        var file = Path.Combine(_setup.Root, "bad.jsonl");
        File.WriteAllText(file, string.Join('\n', Row("a hidden camera review 1 good", "positive"), copied, Row("a hidden review 2", "meh"), "{\"text\": \"unclosed", ""));

        var (code, stdout, stderr) = await _cli.RunAsync("assignments", "hidden", "--assignment", "reviews", "--file", file);

        Assert.True(code == 1, stderr);
        Assert.Equal("", stdout);
        // The file's refusals, one a line; a first run on a fresh database also says where the new instructor's password is.
        var lines = stderr.TrimEnd('\n').Split('\n').Where(l => l.StartsWith(file, StringComparison.Ordinal)).ToArray();
        Assert.True(lines.Length == 3, stderr);
        Assert.Equal($"{file}:2: repeats row 5 of the public train split (case and punctuation ignored): students train on it", lines[0]);
        Assert.Equal($"{file}:3: \"label\" must be one of the assignment's labels (negative, positive), not 'meh'", lines[1]);
        Assert.StartsWith($"{file}:4: not a JSON object", lines[2]);
        Assert.False(File.Exists(Uploaded));
        Assert.False(Directory.Exists(Path.GetDirectoryName(Uploaded)));
        Assert.Equal(0, await AuditEntriesAsync());
    }

    [Fact]
    public async Task An_uploaded_split_is_stored_owner_only_audited_and_used_by_the_next_grading_run()
    {
        var text = string.Join('\n', Enumerable.Range(0, 20).Select(i => i % 2 == 0
            ? Row($"the new tablet {i} was superb", "positive") : Row($"the new tablet {i} was awful", "negative"))) + "\n";
        var file = Path.Combine(_setup.Root, "real-test.jsonl");
        File.WriteAllText(file, text);
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

        var (code, stdout, stderr) = await _cli.RunAsync("assignments", "hidden", "--assignment", "reviews", "--file", file);

        Assert.True(code == 0, stderr);
        var report = CliRunner.LastLine(stdout);
        Assert.Equal((20, sha256, Uploaded), (report.GetProperty("rows").GetInt32(), report.GetProperty("sha256").GetString(), report.GetProperty("stored_at").GetString()));
        Assert.Equal((10, 10), (report.GetProperty("labels").GetProperty("positive").GetInt32(), report.GetProperty("labels").GetProperty("negative").GetInt32()));
        Assert.Equal(100, report.GetProperty("public_labels").GetProperty("train").GetProperty("positive").GetInt32());
        Assert.Equal(text, File.ReadAllText(Uploaded));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Uploaded));
        Assert.Equal(["test.jsonl"], Directory.GetFiles(Path.GetDirectoryName(Uploaded)!).Select(Path.GetFileName)); // no temporary file left
        Assert.Equal(1, await AuditEntriesAsync());

        var config = Path.Combine(_setup.Root, "submission.yaml");
        File.WriteAllText(config, TinyGradingSetup.Config(1));
        (code, stdout, stderr) = await _cli.RunAsync("grade", "--assignment", "reviews", "--config", config);

        Assert.True(code == 0, stderr);
        var receipt = CliRunner.LastLine(stdout).GetProperty("receipt");
        Assert.Equal(sha256, receipt.GetProperty("dataset_sha256").GetProperty("hidden_test").GetString());
        Assert.Contains($"hidden split: uploaded by an instructor, sha256 {sha256}", stderr);
        Assert.DoesNotContain("practice grading", stderr);
    }

    public void Dispose()
    {
        foreach (var (variable, value) in _previous)
        {
            Environment.SetEnvironmentVariable(variable, value);
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _setup.Dispose();
    }
}
