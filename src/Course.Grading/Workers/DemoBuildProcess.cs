using System.Text.Json;
using System.Text.Json.Serialization;
using Course.Core.Configuration;
using Course.Ml.Hub;
using Course.Ml.Training;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using TorchSharp;

namespace Course.Grading.Workers;

/// <summary>
/// Builds the missing demo models in a process of its own, as grading workers train: the site starts it and
/// reads its progress, so fine-tuning's threads and memory never share the process that serves students. Each
/// report is one line on stdout, <see cref="ProgressPrefix"/> and the <see cref="DemoBuildProgress"/> as JSON.
/// </summary>
public static class DemoBuildProcess
{
    public const string ProgressPrefix = "demo-build-progress ";

    public static int Run(CourseEnvironment environment, IConfiguration configuration, CancellationToken stop)
    {
        using var services = new ServiceCollection().AddCourseServices(configuration, environment).BuildServiceProvider();
        var content = services.GetRequiredService<IOptions<ContentOptions>>().Value;
        try
        {
            DemoModels.BuildMissing(services.GetRequiredService<ModelHub>(), services.GetRequiredService<torch.Device>(), environment.Resolve(Path.Combine(content.Path, "datasets")),
                new InlineProgress<DemoBuildProgress>(report => Console.Out.WriteLine(Format(report))), stop); // one line per report, as it comes: the site reads them as they arrive
            return 0;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("stopped; the build resumes at the next start");
            return 2;
        }
    }

    /// <summary>A report's loss is NaN when no step has run since the last log, which plain JSON cannot carry.</summary>
    private static readonly JsonSerializerOptions LineOptions = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>The report a progress line carries, or null for any other line (log output).</summary>
    public static DemoBuildProgress? Parse(string line) =>
        line.StartsWith(ProgressPrefix, StringComparison.Ordinal) ? JsonSerializer.Deserialize<DemoBuildProgress>(line.AsSpan(ProgressPrefix.Length), LineOptions) : null;

    public static string Format(DemoBuildProgress progress) => ProgressPrefix + JsonSerializer.Serialize(progress, LineOptions);
}
