using Course.Ml.Hub;
using Course.Ml.Hub.Import;
using Course.Ml.Training;

namespace Course.Ml.Tests;

/// <summary>Installs into one hub folder from several hub instances, as web nodes and workers sharing a disk do.</summary>
public sealed class HubInstallTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("course-hub-install-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>A packaged model of two small files whose writing the test can hold open, and which counts its writes.</summary>
    private sealed record GatedModel(string Id) : PackagedModel(Id)
    {
        public TaskCompletionSource Writing { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public ManualResetEventSlim Release { get; } = new(initialState: true);
        public bool Fail { get; set; }
        public int Writes;

        public override void WriteTo(string folder, IProgress<string>? progress)
        {
            Interlocked.Increment(ref Writes);
            File.WriteAllText(Path.Combine(folder, "config.json"), "{\"model_type\": \"bert\"}");
            Writing.TrySetResult();
            Release.Wait();
            if (Fail)
            {
                throw new IOException("disk full");
            }
            File.WriteAllText(Path.Combine(folder, "README.md"), $"# {Id}\n");
        }
    }

    private static readonly string[] ModelFiles = ["README.md", "config.json"];

    [Fact]
    public async Task Two_installs_of_one_model_at_once_write_it_once_and_leave_one_complete_folder()
    {
        var model = new GatedModel("course/shared");
        model.Release.Reset(); // held until the second install is seen waiting
        var (first, second) = (new ModelHub(_root), new ModelHub(_root));
        var secondWaits = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var firstInstall = Task.Run(() => first.Install(model));
        await model.Writing.Task; // the first holds the lock and is writing
        var secondInstall = Task.Run(() => second.Install(model, new InlineProgress<string>(m =>
        {
            if (m.Contains("waiting for another install"))
            {
                secondWaits.TrySetResult();
            }
        })));
        await secondWaits.Task;
        model.Release.Set();
        var installed = await Task.WhenAll(firstInstall, secondInstall);

        Assert.Equal(1, model.Writes);
        Assert.All(installed, m => Assert.Equal(Path.Combine(_root, "course", "shared"), m.Path));
        Assert.All(installed, m => Assert.Equal(ModelFiles, m.Files));
        Assert.Equal(["course/shared"], second.ListIds());
        Assert.Equal("# course/shared\n", File.ReadAllText(Path.Combine(_root, "course", "shared", "README.md")));
        Assert.Equal(["shared"], Directory.GetFileSystemEntries(Path.Combine(_root, "course")).Select(Path.GetFileName));
        Assert.Empty(Directory.GetDirectories(Path.Combine(_root, ".staging", "course", "shared")));
    }

    [Fact]
    public async Task A_wait_for_a_model_another_hub_holds_ends_when_it_is_cancelled_and_the_lock_stays_with_its_holder()
    {
        var (first, second) = (new ModelHub(_root), new ModelHub(_root));
        using var held = first.LockInstall("course/demo");
        using var stop = new CancellationTokenSource();
        var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var wait = Task.Run(() => second.LockInstall("course/demo", new Lines(_ => waiting.TrySetResult()), stop.Token));
        await waiting.Task; // it found the lock held and waits
        await stop.CancelAsync();

        await Assert.ThrowsAsync<OperationCanceledException>(() => wait);
        Assert.Throws<IOException>(() => new FileStream(Path.Combine(_root, ".locks", "course", "demo.lock"), FileMode.Open, FileAccess.ReadWrite, FileShare.None));
    }

    private sealed class Lines(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }

    [Fact]
    public void A_staging_folder_left_by_a_crashed_install_is_removed_and_does_not_block_the_next()
    {
        var leftover = Directory.CreateDirectory(Path.Combine(_root, ".staging", "course", "shared", "crashed")).FullName;
        File.WriteAllText(Path.Combine(leftover, "config.json"), "{\"model_type\": \"be");
        Directory.CreateDirectory(Path.Combine(_root, ".locks", "course"));
        File.WriteAllText(Path.Combine(_root, ".locks", "course", "shared.lock"), ""); // the lock file stays; its lock died with the process

        var installed = new ModelHub(_root).Install(new GatedModel("course/shared"));

        Assert.Equal(ModelFiles, installed.Files);
        Assert.False(Directory.Exists(leftover));
        Assert.Empty(Directory.GetDirectories(Path.Combine(_root, ".staging", "course", "shared")));
    }

    [Fact]
    public void A_failed_install_leaves_neither_the_model_nor_its_staging_folder_and_the_next_one_installs()
    {
        var hub = new ModelHub(_root);

        Assert.Throws<IOException>(() => hub.Install(new GatedModel("course/shared") { Fail = true }));
        Assert.False(hub.Contains("course/shared"));
        Assert.Empty(Directory.GetDirectories(Path.Combine(_root, ".staging", "course", "shared")));

        Assert.Equal(ModelFiles, hub.Install(new GatedModel("course/shared")).Files);
    }

    [Fact]
    public void A_forced_install_replaces_the_model_in_place()
    {
        var hub = new ModelHub(_root);
        hub.Install(new GatedModel("course/shared"));
        File.WriteAllText(Path.Combine(_root, "course", "shared", "stale.bin"), "old");

        var reinstalled = hub.Install(new GatedModel("course/shared"), force: true);

        Assert.Equal(ModelFiles, reinstalled.Files);
        Assert.Empty(Directory.GetDirectories(Path.Combine(_root, ".staging", "course", "shared")));
    }
}
