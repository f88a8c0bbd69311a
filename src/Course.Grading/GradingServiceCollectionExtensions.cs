using Course.Core.Configuration;
using Course.Core.Data;
using Course.Core.Search;
using Course.Grading.Queue;
using Course.Grading.Search;
using Course.Ml;
using Course.Ml.Hub;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Course.Grading;

public static class GradingServiceCollectionExtensions
{
    /// <summary>
    /// The <c>Grading</c> section bound to <see cref="GradingOptions"/>, the submission queue and its overview, the demo builds' queue, the workers' registry and theirs, the hidden splits, the site's search,
    /// and the model hub under the course root (here because only this layer knows both the root and
    /// <see cref="MlOptions"/>; the site's pages read the same hub).
    /// </summary>
    public static IServiceCollection AddCourseGrading(this IServiceCollection services)
    {
        services.AddOptions<GradingOptions>().BindConfiguration(GradingOptions.Section).InSharedStorage(
            $"{GradingOptions.Section}:{nameof(GradingOptions.CheckpointPath)}", StorageOptions.CheckpointsFolder, (grading, path) => grading.CheckpointPath = path);
        services.AddSingleton<SubmissionQueue>();
        services.AddSingleton<DemoBuildQueue>();
        services.AddSingleton<QueueOverview>();
        services.AddSingleton<Workers.WorkerRegistry>();
        services.AddSingleton<Workers.WorkerOverview>();
        services.AddSingleton(provider => HiddenSplits.Create(provider.GetRequiredService<CourseEnvironment>(), provider.GetRequiredService<IOptions<StorageOptions>>().Value,
            provider.GetRequiredService<IOptions<DataOptions>>().Value.Path, provider.GetRequiredService<IOptions<GradingOptions>>().Value.HiddenDataPath));
        // Course.Ml knows nothing of the course's storage: the hub's place in the shared folder is set here.
        services.AddOptions<MlOptions>().InSharedStorage($"{MlOptions.Section}:{nameof(MlOptions.HubPath)}", StorageOptions.HubFolder, (ml, path) => ml.HubPath = path);
        services.AddSingleton(provider => new ModelHub(
            provider.GetRequiredService<CourseEnvironment>().Resolve(provider.GetRequiredService<IOptions<MlOptions>>().Value.HubPath)));
        services.AddOptions<SearchOptions>().BindConfiguration(SearchOptions.Section)
            .Validate(search => search.BatchSize is >= 1 and <= 1024, $"{SearchOptions.Section}:{nameof(SearchOptions.BatchSize)} must be between 1 and 1024 (passages per forward pass).");
        services.AddSingleton<ISemanticIndex, EmbeddingSemanticIndex>();
        services.AddSingleton(provider => new CourseSearch(provider.GetRequiredService<ISemanticIndex>()));
        return services;
    }

    /// <summary>
    /// The composition of a process without a web host (the grading worker, the CLI): the given configuration
    /// and the same <c>AddCourse*</c> registrations the site makes, so all three read a setting the same way.
    /// </summary>
    public static IServiceCollection AddCourseServices(this IServiceCollection services, IConfiguration configuration, CourseEnvironment course) =>
        services.AddSingleton(configuration)
            .AddCourseCore(course)
            .AddCourseDatabase()
            .AddCourseMl()
            .AddCourseGrading();
}
