using Course.Core.Content;
using Course.Grading;
using Course.Tests.Shared;

namespace Course.Cli.Tests;

[Collection(CliCollection.Name)]
public sealed class CalibrateCommandTests(CliRunner cli) : IDisposable
{
    private readonly TinyGradingSetup _setup = new();

    private static readonly string[] Settings = ["Content__Path", "Grading__HiddenDataPath", "Ml__HubPath"];

    [Fact]
    public async Task Calibrate_grades_the_starter_records_it_and_content_validate_then_refuses_a_pass_mark_the_starter_reaches()
    {
        var assignment = ContentLoader.Load(_setup.Content, new ContentLoadOptions(HiddenDataPath: _setup.Hidden)).FindAssignment("reviews")!;
        var expected = GradingRun.Execute(assignment, File.ReadAllText(assignment.StarterPath), _setup.DatasetsFolder, _setup.HiddenSplits, _setup.Hub, TorchSharp.torch.CPU);
        Environment.SetEnvironmentVariable("Content__Path", _setup.Content);
        Environment.SetEnvironmentVariable("Grading__HiddenDataPath", _setup.Hidden);
        Environment.SetEnvironmentVariable("Ml__HubPath", _setup.Hub.Root);

        // The tiny starter learns the keywords well past the 0.7 pass mark: calibrate says so with exit code 1.
        var (code, stdout, stderr) = await cli.RunAsync("assignments", "calibrate", "reviews", "--write");

        Assert.True(code == 1, stderr);
        Assert.Contains("the unchanged starter reaches the pass mark (eval_accuracy 0.7)", stderr);
        var result = CliRunner.LastLine(stdout);
        Assert.Equal(Math.Round(expected.PublicScore, 4), result.GetProperty("starter_validation").GetDouble());
        Assert.Equal(Math.Round(expected.PrivateScore, 4), result.GetProperty("starter_hidden_sample").GetDouble());
        Assert.True(result.GetProperty("starter_passes").GetBoolean());

        var file = Path.Combine(_setup.Content, "assignments", "reviews", "assignment.md");
        var lines = File.ReadAllLines(file);
        var at = Array.FindIndex(lines, l => l.StartsWith("calibration:", StringComparison.Ordinal)) + 1;
        Assert.Equal($"  starter_validation: {Math.Round(expected.PublicScore, 4):0.####}", lines[at]);
        var (validate, _, errors) = await cli.RunAsync("content", "validate", _setup.Content);
        Assert.Equal(1, validate);
        Assert.Contains($"assignments/reviews/assignment.md:{at}: the pass mark (eval_accuracy 0.7) must lie above what the unchanged starter scores", errors);

        // Measured again, the block is replaced, not repeated.
        (code, _, stderr) = await cli.RunAsync("assignments", "calibrate", "reviews", "--write");
        Assert.True(code == 1, stderr);
        Assert.Single(File.ReadAllLines(file), l => l.StartsWith("calibration:", StringComparison.Ordinal));
    }

    public void Dispose()
    {
        foreach (var setting in Settings)
        {
            Environment.SetEnvironmentVariable(setting, null);
        }
        Environment.SetEnvironmentVariable("Ml__HubPath", cli.HubPath);
        _setup.Dispose();
    }
}
