using Course.Ml.Hub;
using Course.Tests.Shared;

namespace Course.Cli.Tests;

/// <summary>
/// <c>Ml:Device</c> as the CLI reads it: a verb that runs a model resolves it first, and a bad value, or <c>cuda</c>
/// on this CPU-only build, ends it with the setting's message as <c>error: …</c> (exit 1), before any work.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class DeviceSettingTests : IDisposable
{
    private readonly CliRunner _cli;
    private readonly string _folder = Directory.CreateTempSubdirectory("course-device-").FullName;

    public DeviceSettingTests(CliRunner cli)
    {
        _cli = cli;
        TinyDemoModels.WriteTo(new ModelHub(cli.HubPath));
        // `worker` opens a database: this test's own, never the checkout's data/.
        Environment.SetEnvironmentVariable("ConnectionStrings__Course", $"Data Source={Path.Combine(_folder, "course.db")}");
    }

    private async Task<(int Code, string Stdout, string Stderr)> WithDevice(string setting, params string[] args)
    {
        Environment.SetEnvironmentVariable("Ml__Device", setting);
        try
        {
            return await _cli.RunAsync(args);
        }
        finally
        {
            Environment.SetEnvironmentVariable("Ml__Device", null);
        }
    }

    [Theory]
    [InlineData("predict", "--task", "text-classification", "--model", "course/minilm-sentiment", "a lovely screen")]
    [InlineData("worker")]
    public async Task Cuda_on_a_cpu_build_is_refused_with_what_to_do(params string[] args)
    {
        Assert.False(TorchSharp.torch.cuda.is_available()); // TorchSharp-cpu

        var (code, stdout, stderr) = await WithDevice("cuda", args);

        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Equal("error: Ml:Device is 'cuda' but this build of TorchSharp has no CUDA (or no GPU is visible): build with -p:TorchDevice=cuda"
            + " on a machine with an NVIDIA driver (README, \"GPU (CUDA) builds\"), or set Ml:Device to auto or cpu." + Environment.NewLine, stderr);
        Assert.False(File.Exists(Path.Combine(_folder, "course.db"))); // the worker stopped before its database
    }

    [Fact]
    public async Task An_unknown_device_is_refused_naming_the_accepted_values()
    {
        var (code, stdout, stderr) = await WithDevice("gpu0", "predict", "--task", "text-classification", "--model", "course/minilm-sentiment", "a lovely screen");

        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Equal("error: Ml:Device is 'gpu0'; it must be auto, cpu, cuda or cuda:N (N a GPU index from 0)." + Environment.NewLine, stderr);
    }

    [Fact]
    public async Task The_cpu_setting_runs_the_model()
    {
        var (code, stdout, stderr) = await WithDevice("cpu", "predict", "--task", "text-classification", "--model", "course/minilm-sentiment", "a lovely screen");

        Assert.True(code == 0, stderr);
        Assert.Contains("\"label\"", CliRunner.LastLine(stdout).ToString());
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("ConnectionStrings__Course", null);
        Directory.Delete(_folder, recursive: true);
    }
}
