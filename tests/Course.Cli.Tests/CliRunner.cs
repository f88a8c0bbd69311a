using System.Text.Json;

namespace Course.Cli.Tests;

/// <summary>
/// Runs CLI verbs in-process with stdout/stderr captured, against a temporary hub (Ml__HubPath).
/// Console redirection is process-wide, so every CLI test shares one non-parallel collection.
/// </summary>
public sealed class CliRunner : IDisposable
{
    public string HubPath { get; } = Directory.CreateTempSubdirectory("course-cli-hub-").FullName;

    public CliRunner() => Environment.SetEnvironmentVariable("Ml__HubPath", HubPath);

    public async Task<(int Code, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var (oldOut, oldErr) = (Console.Out, Console.Error);
        Console.SetOut(stdout);
        Console.SetError(stderr);
        try
        {
            var code = await CommandLine.RunAsync(args);
            return (code, stdout.ToString(), stderr.ToString());
        }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetError(oldErr);
        }
    }

    /// <summary>The machine-readable contract: the last line of stdout is one JSON value.</summary>
    public static JsonElement LastLine(string stdout) =>
        JsonDocument.Parse(stdout.TrimEnd('\n').Split('\n')[^1]).RootElement;

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("Ml__HubPath", null);
        Directory.Delete(HubPath, recursive: true);
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CliCollection : ICollectionFixture<CliRunner>
{
    public const string Name = "cli";
}
