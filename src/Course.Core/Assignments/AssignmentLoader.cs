using System.Text.RegularExpressions;
using Course.Core.Content;
using Course.Yaml;
using YamlDotNet.RepresentationModel;

namespace Course.Core.Assignments;

public sealed record AssignmentFile(string SourcePath, Assignment? Assignment, IReadOnlyList<ContentError> Errors);

/// <summary>
/// Reads <c>assignments/&lt;id&gt;/assignment.md</c> and checks its rules: the schema, a rubric that rises to
/// 100, the public splits, and a hidden split that exists and lies outside every folder the site serves.
/// The starter configuration is checked against the training schema by the caller (Course.Ml owns it).
/// </summary>
public static partial class AssignmentLoader
{
    public static readonly IReadOnlyList<string> Tasks = ["text-classification", "token-classification", "question-answering"];

    [GeneratedRegex(@"^eval_[a-z0-9_]+\z", RegexOptions.NonBacktracking)]
    private static partial Regex MetricName();

    /// <param name="hiddenRoot">Where hidden splits live (<c>Grading:HiddenDataPath</c>); null skips that check.</param>
    /// <param name="servedRoots">Folders the site serves files from; the hidden root must lie outside all of them.</param>
    public static IReadOnlyList<AssignmentFile> LoadAll(ContentFiles content, string? hiddenRoot, IReadOnlyList<string> servedRoots,
        Func<string, string?> resolveLesson, Func<Directive, string?>? checkWidget = null, bool checkCalibration = true)
    {
        var folder = content.FullPath("assignments");
        if (!Directory.Exists(folder))
        {
            return [];
        }
        return Directory.GetDirectories(folder).Order(StringComparer.Ordinal)
            .Select(d => Load(content, Path.GetFileName(d), hiddenRoot, servedRoots, resolveLesson, checkWidget, checkCalibration))
            .ToList();
    }

    public static AssignmentFile Load(ContentFiles content, string folderName, string? hiddenRoot, IReadOnlyList<string> servedRoots,
        Func<string, string?> resolveLesson, Func<Directive, string?>? checkWidget = null, bool checkCalibration = true)
    {
        var source = $"assignments/{folderName}/assignment.md";
        var contentRoot = content.Root;
        var errors = new List<ContentError>();
        if (!content.Exists(source))
        {
            return new AssignmentFile(source, null, [new ContentError(source, 1, "an assignment folder needs assignment.md (front matter + brief)")]);
        }
        var text = content.ReadAllText(source);
        var rendered = LessonMarkdown.Render(text, source, resolveLesson, checkWidget);
        errors.AddRange(rendered.Errors);
        if (rendered.FrontMatter is null)
        {
            errors.Add(new ContentError(source, 1, "assignment.md starts with YAML front matter (id, task, dataset, metric, rubric, …)"));
            return new AssignmentFile(source, null, errors);
        }
        var rules = YamlReader.Read<AssignmentFrontMatter>(rendered.FrontMatter, source, rendered.FrontMatterLine, errors);
        if (rules is null)
        {
            return new AssignmentFile(source, null, errors);
        }
        // Each error at the line of the key it is about, or at the front matter's first line when the key is not written.
        var front = YamlText.Parse(rendered.FrontMatter, source, rendered.FrontMatterLine);
        void Check(bool ok, string key, string message)
        {
            if (!ok) errors.Add(new ContentError(source, front.LineOfKey(key) ?? rendered.FrontMatterLine, message));
        }

        Check(rules.Id == folderName, "id", $"id must equal the folder name '{folderName}', not '{rules.Id}'");
        Check(!string.IsNullOrWhiteSpace(rules.Title), "title", "title is required");
        Check(rules.Task is not null && Tasks.Contains(rules.Task), "task", $"task must be one of {string.Join(", ", Tasks)}, not '{rules.Task}'");
        Check(rules.Metric is not null && MetricName().IsMatch(rules.Metric), "metric", $"metric is an evaluation metric name such as eval_f1 or eval_accuracy, not '{rules.Metric}'");
        var marks = rules.Rubric;
        Check(marks.Count >= 2, "rubric", "rubric lists at least two marks { at: VALUE, points: N }");
        Check(marks.Zip(marks.Skip(1)).All(p => p.Second.At > p.First.At && p.Second.Points >= p.First.Points), "rubric",
            "rubric marks rise: each 'at' above the previous one, points never lower");
        Check(marks.Count == 0 || (marks[0].Points >= 0 && marks[^1].Points == 100), "rubric", "rubric points run from ≥ 0 up to 100 at the top mark");
        Check(marks.Count == 0 || (rules.PassPoints > marks[0].Points && rules.PassPoints < 100), "pass_points", $"pass_points must lie between the rubric's lowest points and 100, not {rules.PassPoints}");
        foreach (var gate in rules.Gates)
        {
            Check(gate.Metric is not null && MetricName().IsMatch(gate.Metric), "gates", $"gates: metric is an evaluation metric name such as eval_urgent_recall, not '{gate.Metric}'");
            Check(gate.MaxPoints is null || (gate.MaxPoints >= 0 && gate.MaxPoints < rules.PassPoints), "gates",
                $"gates: max_points must be under pass_points ({rules.PassPoints}), or the gate cannot stop anyone passing");
        }
        if (checkCalibration && rules.Calibration is { } calibrated && marks.Count >= 2 && rules.PassPoints < 100)
        {
            var passMark = new Assignment(rules, "", source, "").PassMark;
            var starterScore = Math.Max(calibrated.StarterValidation, calibrated.StarterHiddenSample);
            Check(passMark > starterScore, "calibration",
                $"the pass mark ({rules.Metric} {passMark:0.###}) must lie above what the unchanged starter scores ({starterScore:0.###}); " +
                $"raise the rubric, or re-measure with ./course assignments calibrate {rules.Id}");
        }
        Check(rules.Opens is not null && rules.Due is not null && rules.Opens < rules.Due, "due", "opens and due are UTC times with opens before due");
        Check(rules.MaxSubmissionsPerDay is >= 1 and <= 100, "max_submissions_per_day", $"max_submissions_per_day must be 1–100, not {rules.MaxSubmissionsPerDay}");
        Check(Data.Submission.IsQueueName(rules.Queue), "queue", $"queue is a name of 1–{Data.Submission.QueueMaxLength} lowercase letters, digits, '-' or '_', not '{rules.Queue}'");
        Check(rules.Queue != Data.DemoBuild.Queue, "queue", $"queue '{Data.DemoBuild.Queue}' is the demo-model builds' queue; name another");
        Check(rules.FinalSubmissions is >= 1 and <= 10, "final_submissions", $"final_submissions must be 1–10, not {rules.FinalSubmissions}");
        Check(rules.Limits.MaxEpochs is > 0 and <= 50, "max_epochs", $"limits.max_epochs must be in (0, 50], not {rules.Limits.MaxEpochs}");
        Check(rules.Limits.MaxSeqLength is >= 8 and <= 512, "max_seq_length", $"limits.max_seq_length must be 8–512, not {rules.Limits.MaxSeqLength}");
        Check(rules.Limits.TimeLimitMinutes is >= 1 and <= 240, "time_limit_minutes", $"limits.time_limit_minutes must be 1–240, not {rules.Limits.TimeLimitMinutes}");
        Check(rules.Limits.MaxTrainExamples >= 1, "max_train_examples", "limits.max_train_examples must be ≥ 1");
        Check(rules.AllowedModels.Count > 0, "allowed_models", "allowed_models lists at least one hub id");
        foreach (var (key, range) in rules.Ranges)
        {
            Check(rules.AllowedTrainingArgs.Contains(key), "ranges", $"ranges.{key}: '{key}' is not in allowed_training_args");
            Check(range.Count == 2 && range[0] <= range[1], "ranges", $"ranges.{key} is [min, max]");
        }

        if (rules.Report is { } report)
        {
            errors.AddRange(CheckReport(report, front, source, rendered.FrontMatterLine));
        }

        var dataset = Path.Combine(contentRoot, "datasets", rules.Dataset ?? "");
        Check(rules.Dataset is not null && File.Exists(Path.Combine(dataset, "train.jsonl")) && File.Exists(Path.Combine(dataset, "validation.jsonl")),
            "dataset", $"dataset '{rules.Dataset}' needs content/datasets/{rules.Dataset}/train.jsonl and validation.jsonl");
        if (hiddenRoot is not null)
        {
            var hidden = Path.GetFullPath(Path.Combine(hiddenRoot, rules.HiddenSplit ?? ""));
            Check(rules.HiddenSplit is not null && File.Exists(hidden) && hidden.StartsWith(Path.GetFullPath(hiddenRoot), StringComparison.Ordinal),
                "hidden_split", $"hidden_split '{rules.HiddenSplit}' is not a file under the hidden data folder {hiddenRoot}");
            foreach (var served in servedRoots.Append(contentRoot))
            {
                var root = Path.GetFullPath(served).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
                Check(!hidden.StartsWith(root, StringComparison.Ordinal), "hidden_split", $"the hidden split {hidden} lies inside {served}, which students can reach");
            }
        }
        var starter = content.FullPath($"assignments/{folderName}/starter.yaml");
        Check(content.Exists($"assignments/{folderName}/starter.yaml"), "id", $"assignments/{folderName}/starter.yaml (the starter configuration) is missing");
        return new AssignmentFile(source, errors.Count == 0 ? new Assignment(rules, rendered.Html, source, starter) : null, errors);
    }

    /// <summary>Longest <c>max_words</c> an assignment may set: a report is a page, not an essay.</summary>
    public const int MaxReportWords = 2000;

    /// <summary>Longest prompt and rubric item title (they are shown in the form and on every grading screen).</summary>
    public const int MaxReportText = 300;

    [GeneratedRegex(@"^[a-z0-9][a-z0-9_-]{0,39}\z", RegexOptions.NonBacktracking)]
    private static partial Regex RubricItemId();

    /// <summary>
    /// The <c>report:</c> block's rules, each error at the line of the key or list entry it is about: a weight in
    /// [0, 1], max_words 1–<see cref="MaxReportWords"/>, one to ten prompts, and rubric items with unique ids, titles
    /// and non-zero points, at least one of them positive (the report's full marks are the positive items together).
    /// </summary>
    public static IReadOnlyList<ContentError> CheckReport(ReportRules report, YamlText front, string source, int fallbackLine)
    {
        var errors = new List<ContentError>();
        var blockLine = front.Entry("report") is { } block ? front.LineOf(block.Key) : fallbackLine;
        int LineOf(string key) => front.Entry("report", key) is { } entry ? front.LineOf(entry.Key) : blockLine;
        int LineOfItem(string key, int index) => front.Entry("report", key)?.Value is YamlSequenceNode { } list && index < list.Children.Count
            ? front.LineOf(list.Children[index]) : LineOf(key);
        void Check(bool ok, int line, string message)
        {
            if (!ok) errors.Add(new ContentError(source, line, message));
        }

        Check(front.Entry("report", "weight") is not null, blockLine, "report.weight is required: the report's share of the grade, from 0 to 1");
        Check(report.Weight is >= 0 and <= 1, LineOf("weight"), $"report.weight is the report's share of the grade, from 0 to 1, not {report.Weight}");
        Check(report.MaxWords is >= 1 and <= MaxReportWords, LineOf("max_words"), $"report.max_words must be 1–{MaxReportWords}, not {report.MaxWords}");
        Check(report.Prompts.Count is >= 1 and <= 10, LineOf("prompts"), "report.prompts lists 1–10 questions the report answers");
        for (var i = 0; i < report.Prompts.Count; i++)
        {
            Check(!string.IsNullOrWhiteSpace(report.Prompts[i]) && report.Prompts[i].Length <= MaxReportText, LineOfItem("prompts", i),
                $"report.prompts: each prompt is text of 1–{MaxReportText} characters");
        }
        Check(report.Rubric.Count is >= 1 and <= 30, LineOf("rubric"), "report.rubric lists 1–30 items { id, title, points }");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < report.Rubric.Count; i++)
        {
            var item = report.Rubric[i];
            var line = LineOfItem("rubric", i);
            Check(item.Id is not null && RubricItemId().IsMatch(item.Id), line,
                $"report.rubric: id '{item.Id}' must be 1–40 lower-case letters, digits, '-' or '_' (it ties graded reports to the item)");
            Check(item.Id is null || seen.Add(item.Id), line, $"report.rubric: id '{item.Id}' is used twice; ids are unique");
            Check(!string.IsNullOrWhiteSpace(item.Title) && item.Title.Length <= MaxReportText, line,
                $"report.rubric: item '{item.Id}' needs a title of 1–{MaxReportText} characters");
            Check(item.Points != 0 && Math.Abs(item.Points) <= 100, line,
                $"report.rubric: item '{item.Id}' has points from -100 to 100 other than 0 (negative: a deduction), not {item.Points}");
        }
        Check(report.Rubric.Count == 0 || report.MaxPoints > 0, LineOf("rubric"),
            "report.rubric needs at least one item with positive points: together they are the report's full marks");
        return errors;
    }
}
