namespace Course.Web.Tests;

/// <summary>The site resolves <c>Ml:Device</c> as it starts: <c>cuda</c> on this CPU-only build stops the start with the setting's message.</summary>
public sealed class TorchDeviceCheckTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("course-device-").FullName;

    [Fact]
    public void The_site_refuses_to_start_when_the_device_is_cuda_on_a_cpu_build()
    {
        Assert.False(TorchSharp.torch.cuda.is_available()); // TorchSharp-cpu
        using var site = InMemorySite.Create(_root, new Dictionary<string, string?> { ["Ml:Device"] = "cuda" });

        var error = Assert.Throws<InvalidOperationException>(() => site.CreateClient());

        Assert.Equal("Ml:Device is 'cuda' but this build of TorchSharp has no CUDA (or no GPU is visible): build with -p:TorchDevice=cuda"
            + " on a machine with an NVIDIA driver (README, \"GPU (CUDA) builds\"), or set Ml:Device to auto or cpu.", error.Message);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_root, recursive: true);
    }
}
