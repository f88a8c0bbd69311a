using Course.Core.Configuration;
using Course.Ml;
using Course.Ml.Hub;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Course.Grading.Tests;

/// <summary>Where every process kind's composition (<see cref="GradingServiceCollectionExtensions.AddCourseServices"/>) puts the folders, with and without <c>Storage:SharedPath</c>.</summary>
public sealed class SharedStorageTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("course-storage-").FullName;

    private string Shared => Path.Combine(_root, "shared");

    private sealed record Folders(string Content, string Hub, string Uploads, string? Checkpoints);

    private Folders Resolve(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        using var services = new ServiceCollection().AddCourseServices(configuration, new CourseEnvironment(_root)).BuildServiceProvider();
        var course = services.GetRequiredService<CourseEnvironment>();
        return new Folders(course.Resolve(services.GetRequiredService<IOptions<ContentOptions>>().Value.Path), services.GetRequiredService<ModelHub>().Root,
            services.GetRequiredService<HiddenSplits>().UploadRoot, services.GetRequiredService<IOptions<GradingOptions>>().Value.CheckpointPath);
    }

    [Fact]
    public void Without_a_shared_path_every_folder_is_where_its_own_default_puts_it()
    {
        var folders = Resolve([]);

        Assert.Equal(new Folders(Path.Combine(_root, "content"), Path.Combine(_root, "data", "hub"), Path.Combine(_root, "data", "hidden"), null), folders);
    }

    [Fact]
    public void A_shared_path_holds_content_hub_hidden_uploads_and_checkpoints_in_fixed_subfolders()
    {
        Directory.CreateDirectory(Shared);

        var folders = Resolve(new() { ["Storage:SharedPath"] = "shared" }); // relative to the repository root, like every path setting

        Assert.Equal(new Folders(Path.Combine(Shared, "content"), Path.Combine(Shared, "hub"), Path.Combine(Shared, "hidden"), Path.Combine("shared", "checkpoints")), folders);
    }

    [Fact]
    public void A_folder_set_explicitly_wins_over_the_shared_path()
    {
        Directory.CreateDirectory(Shared);

        var folders = Resolve(new() { ["Storage:SharedPath"] = Shared, ["Ml:HubPath"] = "/srv/hub", ["Content:Path"] = "my-content" });

        Assert.Equal(new Folders(Path.Combine(_root, "my-content"), "/srv/hub", Path.Combine(Shared, "hidden"), Path.Combine(Shared, "checkpoints")), folders);
    }

    [Fact]
    public void A_shared_path_that_does_not_exist_stops_the_process_naming_the_setting()
    {
        var error = Assert.Throws<OptionsValidationException>(() => Resolve(new() { ["Storage:SharedPath"] = Shared }));

        Assert.Equal($"Storage:SharedPath is '{Shared}', and {Shared} does not exist: mount the folder every web node and worker shares there, or remove the setting.", error.Message);
    }

    [Fact]
    public void A_shared_path_this_process_cannot_write_stops_it_naming_the_setting()
    {
        // /proc exists and refuses new files to every user, root included.
        var error = Assert.Throws<OptionsValidationException>(() => Resolve(new() { ["Storage:SharedPath"] = "/proc" }));

        Assert.StartsWith("Storage:SharedPath is '/proc', and this process cannot write in /proc (", error.Message);
        Assert.EndsWith("): give its user write access, or remove the setting.", error.Message);
    }

    [Fact]
    public void A_node_starts_no_workers_and_builds_no_demos_unless_told_while_the_repositorys_settings_tell_it_to()
    {
        var repository = new ConfigurationBuilder().AddCourseConfiguration(CourseEnvironment.Discover(), "Production", []).Build();

        Assert.Equal((0, false), (new GradingOptions().Workers, new MlOptions().BuildDemoModels));
        Assert.Equal((1, true), (repository.GetSection("Grading").Get<GradingOptions>()!.Workers, repository.GetSection("Ml").Get<MlOptions>()!.BuildDemoModels));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
