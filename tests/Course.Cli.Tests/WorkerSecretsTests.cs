namespace Course.Cli.Tests;

/// <summary>
/// <c>./course worker</c> takes its connection string from the environment or a file, never its command line, and
/// refuses a database <c>./course migrate</c> has not brought up to date (a worker never migrates).
/// </summary>
[Collection(CliCollection.Name)]
public sealed class WorkerSecretsTests(CliRunner cli) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("course-worker-secrets-").FullName;

    [Fact]
    public async Task A_worker_reads_the_connection_string_file_it_is_given_and_refuses_an_unmigrated_database()
    {
        var database = Path.Combine(_folder, "remote.db");
        var file = Path.Combine(_folder, "connection-string");
        await File.WriteAllTextAsync(file, $"Data Source={database}\n");

        var (code, stdout, stderr) = await cli.RunAsync("worker", "--connection-string-file", file);

        Assert.Equal((1, ""), (code, stdout));
        // The file's database, and what to run (the message in full: DatabaseProviderTests).
        var error = stderr.Split(Environment.NewLine).Single(line => line.StartsWith("error: ", StringComparison.Ordinal));
        Assert.StartsWith($"error: The SQLite database {database} is not migrated: ", error);
        Assert.EndsWith("Run `./course migrate` (with this configuration) first.", error);
    }

    [Fact]
    public async Task A_connection_string_on_the_command_line_is_a_usage_error()
    {
        var (code, _, stderr) = await cli.RunAsync("worker", "--ConnectionStrings:Course=Data Source=x.db");

        Assert.Equal(2, code);
        Assert.StartsWith("error: unknown option '--ConnectionStrings:Course=Data Source=x.db'", stderr);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
