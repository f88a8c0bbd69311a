using Course.Core.Configuration;
using Course.Core.Content;
using Course.Core.Quizzes;
using Course.Core.Quizzes.Gift;
using Course.Grading.Content;
using Course.Ml;
using Course.Ml.Hub;

namespace Course.Cli;

/// <summary><c>content export-gift</c> and <c>content import-gift</c>: quizzes to and from Moodle GIFT (content/README.md, "GIFT").</summary>
internal sealed class GiftCommands(CourseSettings settings)
{
    private string ContentRoot => settings.ContentRoot;

    // Computed keys as `content validate` computes them, so an export carries today's tokenizer answers.
    private Func<ComputeSpec, double> ComputeKey => new TokenizerQuizKeys(settings.Hub).Compute;

    public int Export(string quizFileOrId, string? output)
    {
        var path = FindQuiz(quizFileOrId);
        var relative = Path.GetRelativePath(ContentRoot, path).Replace('\\', '/');
        GiftExport export;
        try
        {
            export = GiftExporter.Export(File.ReadAllText(path), relative.StartsWith("..", StringComparison.Ordinal) ? path : relative, ComputeKey);
        }
        catch (ContentException ex)
        {
            ex.Errors.ToList().ForEach(e => Console.Error.WriteLine(e));
            Console.Error.WriteLine("error: the quiz does not validate; nothing exported");
            return 1;
        }
        if (output is not null)
        {
            File.WriteAllText(Path.GetFullPath(output), export.Text);
            Console.Error.WriteLine($"GIFT written to {output}");
        }
        else
        {
            Console.Write(export.Text);
        }
        export.Report.ToList().ForEach(Console.Error.WriteLine);
        CommandLine.WriteResult(new { quiz = export.QuizId, exported = export.Exported, skipped = export.Skipped, report = export.Report });
        return 0;
    }

    public int Import(string file, string? markdown, string? id, string? topic, bool force)
    {
        var output = markdown ?? throw new UsageException("content import-gift needs --output content/quizzes/NAME.md");
        GiftImport import;
        try
        {
            import = GiftImporter.Import(File.ReadAllText(file), id, topic);
        }
        catch (GiftSyntaxException ex)
        {
            Console.Error.WriteLine($"error: {file}: {ex.Message}");
            return 1;
        }
        import.Report.ToList().ForEach(Console.Error.WriteLine);
        var (quiz, errors) = QuizParser.Parse(import.Markdown, output, ComputeKey);
        var target = Path.GetFullPath(output);
        var written = false;
        if (quiz is null)
        {
            errors.ToList().ForEach(e => Console.Error.WriteLine(e));
            Console.Error.WriteLine($"error: the Markdown made from {file} does not validate (lines above are of that Markdown); nothing written");
        }
        else if (File.Exists(target) && !force)
        {
            Console.Error.WriteLine($"error: {output} exists; --force overwrites it");
        }
        else
        {
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.WriteAllText(target, import.Markdown);
            Console.Error.WriteLine($"quiz {quiz.Id} written to {output}");
            written = true;
        }
        CommandLine.WriteResult(new
        {
            quiz = quiz?.Id,
            valid = quiz is not null,
            written,
            imported = import.Imported,
            skipped = import.Skipped,
            report = import.Report,
            errors = errors.Select(e => e.ToString()),
        });
        return written ? 0 : 1;
    }

    /// <summary>A quiz file path, or the id of a quiz in the content's quizzes/ folder.</summary>
    private string FindQuiz(string fileOrId)
    {
        if (File.Exists(fileOrId))
        {
            return Path.GetFullPath(fileOrId);
        }
        var folder = Path.Combine(ContentRoot, "quizzes");
        return Directory.GetFiles(folder, "*.md").Order(StringComparer.Ordinal)
            .FirstOrDefault(f => QuizParser.ReadSource(File.ReadAllText(f), f).Source?.Front.Id == fileOrId)
            ?? throw new UsageException($"'{fileOrId}' is neither a quiz file nor the id of a quiz in {folder}");
    }
}
