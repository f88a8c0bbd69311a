using Course.Core.Configuration;
using Course.Grading;
using Course.Grading.Submissions;
using Course.Ml;
using Course.Ml.Hub;
using Microsoft.Extensions.Configuration;

namespace Course.Cli;

/// <summary>
/// The site's options classes bound from the CLI's configuration (appsettings, environment variables), so a
/// setting's default lives once, in its options class, and the CLI finds the folders the site uses.
/// </summary>
internal sealed class CourseSettings
{
    private CourseSettings(CourseEnvironment environment, IConfiguration configuration)
    {
        Environment = environment;
        Configuration = configuration;
        Content = Bind<ContentOptions>(ContentOptions.Section);
        Data = Bind<DataOptions>(DataOptions.Section);
        Grading = Bind<GradingOptions>(GradingOptions.Section);
        Ml = Bind<MlOptions>(MlOptions.Section);
    }

    public CourseEnvironment Environment { get; }

    /// <summary>For what reads its own sections: the database connection and the grading worker.</summary>
    public IConfiguration Configuration { get; }

    public ContentOptions Content { get; }

    public DataOptions Data { get; }

    public GradingOptions Grading { get; }

    public MlOptions Ml { get; }

    /// <summary>Read when a verb runs (not when the command line is built), so a test's environment variables count.</summary>
    public static CourseSettings Load()
    {
        var environment = CourseEnvironment.Discover();
        return new CourseSettings(environment, new ConfigurationBuilder().AddCourseConfiguration(environment, "Production", []).Build());
    }

    public string ContentRoot => Environment.Resolve(Content.Path);

    public string DatasetsFolder => Path.Combine(ContentRoot, "datasets");

    public string DataRoot => Environment.Resolve(Data.Path);

    public string HiddenDataPath => Environment.Resolve(Grading.HiddenDataPath);

    public HiddenSplits HiddenSplits => HiddenSplits.Create(Environment, Data.Path, Grading.HiddenDataPath);

    public ModelHub Hub => new(Environment.Resolve(Ml.HubPath));

    public string WebRoot => Environment.Resolve(Path.Combine("src", "Course.Web", "wwwroot"));

    private T Bind<T>(string section) where T : new() => Configuration.GetSection(section).Get<T>() ?? new T();
}
