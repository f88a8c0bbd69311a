using Course.Core.Configuration;
using Course.Core.Data;
using Course.Grading;
using Course.Ml.Hub;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TorchSharp;

namespace Course.Cli;

/// <summary>
/// The CLI's composition: its configuration (appsettings, environment variables) through the same
/// <c>AddCourse*</c> registrations and options classes the site and the worker use, so a setting's default
/// lives once, in its options class, and the CLI finds the folders and the database the site uses.
/// </summary>
internal sealed class CourseSettings
{
    private CourseSettings(CourseEnvironment environment, IConfiguration configuration)
    {
        Environment = environment;
        Configuration = configuration;
        var services = new ServiceCollection()
            .AddLogging(b => b.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace).SetMinimumLevel(LogLevel.Warning))
            .AddCourseServices(configuration, environment);
        // `submit` creates the student account it submits for.
        services.AddIdentityCore<CourseUser>().AddRoles<IdentityRole>().AddEntityFrameworkStores<CourseDbContext>();
        Services = services.BuildServiceProvider();
    }

    public CourseEnvironment Environment { get; }

    /// <summary>Handed on whole to the grading worker, which composes its own process from it.</summary>
    public IConfiguration Configuration { get; }

    /// <summary>Built once per verb; a verb that needs scoped services (Identity's stores) opens a scope.</summary>
    public ServiceProvider Services { get; }

    /// <summary>Read when a verb runs (not when the command line is built), so a test's environment variables count.</summary>
    /// <param name="overrides">Settings a verb's own options give (<c>worker --connection-string-file</c>), over every other source.</param>
    public static CourseSettings Load(IReadOnlyDictionary<string, string?>? overrides = null)
    {
        var environment = CourseEnvironment.Discover();
        return new CourseSettings(environment, new ConfigurationBuilder().AddCourseConfiguration(environment, "Production", [])
            .AddInMemoryCollection(overrides ?? new Dictionary<string, string?>()).Build());
    }

    public string ContentRoot => Environment.Resolve(Options<ContentOptions>().Path);

    public string DatasetsFolder => Path.Combine(ContentRoot, "datasets");

    public string DataRoot => Environment.Resolve(Options<DataOptions>().Path);

    public string HiddenDataPath => Environment.Resolve(Options<GradingOptions>().HiddenDataPath);

    public HiddenSplits HiddenSplits => Services.GetRequiredService<HiddenSplits>();

    public ModelHub Hub => Services.GetRequiredService<ModelHub>();

    /// <summary>The resolved <c>Ml:Device</c>, asked for by the verbs that run a model (a bad setting fails them with its message).</summary>
    public torch.Device Device => Services.GetRequiredService<torch.Device>();

    public string WebRoot => Environment.Resolve(Path.Combine("src", "Course.Web", "wwwroot"));

    private T Options<T>() where T : class => Services.GetRequiredService<IOptions<T>>().Value;
}
