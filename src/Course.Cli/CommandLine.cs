using System.Text.Json;
using System.Text.Json.Serialization;
using Course.Core.Configuration;
using Course.Core.Content;
using Course.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Course.Cli;

/// <summary>Dispatches the verbs of the course CLI.</summary>
public static class CommandLine
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private const string Usage = """
        usage: ./course VERB [options]
          run [--urls URL]            build and start the site (handled by ./course)
          test                        build and run every test suite (handled by ./course)
          backup [--output FILE]      write a consistent copy of the database
          content validate [PATH]     check the course content; errors as file:line: message
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        try
        {
            return args switch
            {
                ["backup", .. var rest] => await BackupAsync(Options.Parse(rest, "output")),
                ["content", "validate", .. var rest] => ValidateContent(rest),
                ["help" or "--help" or "-h"] or [] => PrintUsage(0),
                _ => Fail($"unknown command '{string.Join(' ', args)}'"),
            };
        }
        catch (UsageException ex)
        {
            return Fail(ex.Message);
        }
    }

    private static async Task<int> BackupAsync(Options options)
    {
        var environment = CourseEnvironment.Discover();
        var configuration = new ConfigurationBuilder().AddCourseConfiguration(environment, "Production", []).Build();
        var services = new ServiceCollection()
            .AddLogging(b => b.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace))
            .AddCourseDatabase(configuration, environment)
            .BuildServiceProvider();

        var dataRoot = environment.Resolve(configuration[$"{DataOptions.Section}:Path"] ?? "data");
        var destination = options.Get("output") is { } output
            ? Path.GetFullPath(output)
            : Path.Combine(dataRoot, "backups", $"course-{DateTime.UtcNow:yyyyMMdd-HHmmss}.db");
        var factory = services.GetRequiredService<IDbContextFactory<CourseDbContext>>();
        await factory.BackupAsync(destination);
        Console.Error.WriteLine($"backup written to {destination}");
        WriteResult(new { path = destination, bytes = new FileInfo(destination).Length });
        return 0;
    }

    private static int ValidateContent(string[] rest)
    {
        var environment = CourseEnvironment.Discover();
        var path = rest.Length > 0 ? Path.GetFullPath(rest[0]) : environment.Resolve("content");
        IReadOnlyList<ContentError> errors;
        var lessons = 0;
        try
        {
            var snapshot = ContentLoader.Load(path);
            errors = snapshot.Errors.ToList();
            lessons = snapshot.Lessons.Count;
        }
        catch (ContentException ex)
        {
            errors = ex.Errors;
        }

        foreach (var error in errors)
        {
            Console.Error.WriteLine(error);
        }
        WriteResult(new { valid = errors.Count == 0, lessons, errors = errors.Select(e => e.ToString()) });
        return errors.Count == 0 ? 0 : 1;
    }

    private static void WriteResult(object value) => Console.WriteLine(JsonSerializer.Serialize(value, Json));

    private static int PrintUsage(int code)
    {
        Console.Error.WriteLine(Usage);
        return code;
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        Console.Error.WriteLine(Usage);
        return 2;
    }
}

public sealed class UsageException(string message) : Exception(message);

/// <summary>Minimal <c>--name value</c> options; unknown names are usage errors, not ignored.</summary>
public sealed class Options
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public static Options Parse(string[] args, params string[] allowed)
    {
        var options = new Options();
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i].StartsWith("--", StringComparison.Ordinal) ? args[i][2..] : null;
            if (name is null || !allowed.Contains(name))
            {
                throw new UsageException($"unexpected argument '{args[i]}'");
            }
            if (i + 1 >= args.Length)
            {
                throw new UsageException($"--{name} needs a value");
            }
            options._values[name] = args[++i];
        }
        return options;
    }

    public string? Get(string name) => _values.GetValueOrDefault(name);
}
