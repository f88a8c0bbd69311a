namespace Course.Core.Assignments;

/// <summary>One point of the rubric: reaching metric value <see cref="At"/> earns <see cref="Points"/>.</summary>
public sealed class RubricMark
{
    public double At { get; set; }
    public double Points { get; set; }
}

/// <summary>
/// A condition for passing beside the headline metric: while <see cref="Metric"/> (an <c>eval_</c> name, read on the
/// split being scored) is below <see cref="AtLeast"/>, points stop at <see cref="MaxPoints"/> (default: just under
/// the pass mark). The ticket assignment cannot be passed without finding urgent tickets.
/// </summary>
public sealed class RubricGate
{
    public string? Metric { get; set; }
    public double AtLeast { get; set; }
    public double? MaxPoints { get; set; }
}

/// <summary>What the unchanged starter scored when last measured (<c>./course assignments calibrate ID</c>): the pass mark lies above both.</summary>
public sealed class StarterCalibration
{
    public double StarterValidation { get; set; }
    public double StarterHiddenSample { get; set; }
    public string? Measured { get; set; }
}

public sealed class AssignmentLimits
{
    public double MaxEpochs { get; set; } = 5;
    public int MaxTrainExamples { get; set; } = 10_000;
    public int MaxSeqLength { get; set; } = 128;
    public int TimeLimitMinutes { get; set; } = 20;
}

/// <summary>The front matter of <c>assignments/&lt;id&gt;/assignment.md</c>: the grading rules (content/README.md).</summary>
public sealed class AssignmentFrontMatter
{
    public string? Id { get; set; }
    public string? Title { get; set; }
    public string? Task { get; set; }
    public string? Dataset { get; set; }
    public string? HiddenSplit { get; set; }
    public string? Metric { get; set; }
    public List<RubricMark> Rubric { get; set; } = [];
    public List<RubricGate> Gates { get; set; } = [];
    public double PassPoints { get; set; } = 50;
    public StarterCalibration? Calibration { get; set; }
    public DateTimeOffset? Opens { get; set; }
    public DateTimeOffset? Due { get; set; }
    public int MaxSubmissionsPerDay { get; set; } = 5;

    /// <summary>
    /// The grading queue this assignment's submissions join (<see cref="Data.Submission.Queue"/>): only workers whose
    /// <c>Grading:Queues</c> list it take them, so a GPU-sized assignment can say <c>queue: gpu</c>.
    /// </summary>
    public string Queue { get; set; } = Data.Submission.DefaultQueue;

    /// <summary>How many graded submissions a student may mark as final (Kaggle's "final submissions").</summary>
    public int FinalSubmissions { get; set; } = 1;
    public AssignmentLimits Limits { get; set; } = new();
    public List<string> AllowedModels { get; set; } = [];
    public List<string> AllowedTrainingArgs { get; set; } = [];

    /// <summary>Top-level data keys of HF's example scripts a submission may set (label_all_tokens, doc_stride, max_answer_length, n_best_size).</summary>
    public List<string> AllowedDataArgs { get; set; } = [];

    /// <summary>Keys of the <c>preprocessing:</c> block a submission may set; none leaves the block out of the assignment.</summary>
    public List<string> AllowedPreprocessing { get; set; } = [];

    /// <summary>Keys of the <c>decision:</c> block (class_bias, tune_for) a submission may set; none leaves the block out of the assignment.</summary>
    public List<string> AllowedDecision { get; set; } = [];
    public Dictionary<string, List<double>> Ranges { get; set; } = [];

    /// <summary>The evaluation report graded by instructors; null: the assignment has none and its grade is the automatic one.</summary>
    public ReportRules? Report { get; set; }
}

/// <summary>
/// One reusable rubric item of the evaluation report (Gradescope's rubric): instructors apply it to reports by
/// <see cref="Id"/>, so its title and points are read from the front matter whenever a score is computed, and an
/// edit changes every report that applied it. Negative points are deductions.
/// </summary>
public sealed class ReportRubricItem
{
    public string? Id { get; set; }
    public string? Title { get; set; }
    public double Points { get; set; }
}

/// <summary>
/// The <c>report:</c> block: a short Markdown evaluation report per submission, written to the brief's prompts,
/// graded by instructors with the rubric items, and weighted into the assignment's grade.
/// </summary>
public sealed class ReportRules
{
    /// <summary>The report's share of the assignment grade (0–1); the automatic part has the rest.</summary>
    public double Weight { get; set; }

    public int MaxWords { get; set; } = 400;
    public List<string> Prompts { get; set; } = [];
    public List<ReportRubricItem> Rubric { get; set; } = [];

    /// <summary>The report's full marks: the positive items together (deductions only take away).</summary>
    public double MaxPoints => Rubric.Where(i => i.Points > 0).Sum(i => i.Points);

    public ReportRubricItem? Item(string id) => Rubric.FirstOrDefault(i => i.Id == id);
}

/// <summary>A validated assignment: its rules, brief and files.</summary>
public sealed record Assignment(AssignmentFrontMatter Rules, string BriefHtml, string SourcePath, string StarterPath)
{
    public string Id => Rules.Id!;
    public string Title => Rules.Title!;

    /// <summary>Points out of 100 for a metric value: linear between the rubric's marks, clamped at both ends.</summary>
    public double PointsFor(double metric)
    {
        var marks = Rules.Rubric;
        if (metric <= marks[0].At) return marks[0].Points;
        for (var i = 1; i < marks.Count; i++)
        {
            if (metric <= marks[i].At)
            {
                var t = (metric - marks[i - 1].At) / (marks[i].At - marks[i - 1].At);
                return Math.Round(marks[i - 1].Points + t * (marks[i].Points - marks[i - 1].Points), 2);
            }
        }
        return marks[^1].Points;
    }

    /// <summary>
    /// Points for one split's metrics (<paramref name="split"/> <c>eval</c> or <c>test</c>): the rubric on the
    /// headline metric, held under each gate whose metric falls short.
    /// </summary>
    public double PointsFor(IReadOnlyDictionary<string, double> metrics, string split)
    {
        var points = PointsFor(metrics[OnSplit(Rules.Metric!, split)]);
        foreach (var gate in Rules.Gates.Where(g => metrics.GetValueOrDefault(OnSplit(g.Metric!, split)) < g.AtLeast))
        {
            points = Math.Min(points, GateCap(gate));
        }
        return points;
    }

    /// <summary>The highest points a failed gate leaves: its own, or just under the pass mark.</summary>
    public double GateCap(RubricGate gate) => gate.MaxPoints ?? Math.Max(0, Rules.PassPoints - 1);

    /// <summary>An <c>eval_</c> metric name on another split: <c>eval_f1</c> → <c>test_f1</c>.</summary>
    public static string OnSplit(string evalMetric, string split) => $"{split}_{evalMetric["eval_".Length..]}";

    /// <summary>The metric value at which the rubric reaches <see cref="AssignmentFrontMatter.PassPoints"/>.</summary>
    public double PassMark => InverseOf(Rules.PassPoints);

    public double TopMark => Rules.Rubric[^1].At;

    private double InverseOf(double points)
    {
        var marks = Rules.Rubric;
        for (var i = 1; i < marks.Count; i++)
        {
            if (points <= marks[i].Points)
            {
                var span = marks[i].Points - marks[i - 1].Points;
                return span == 0 ? marks[i].At : marks[i - 1].At + (points - marks[i - 1].Points) / span * (marks[i].At - marks[i - 1].At);
            }
        }
        return marks[^1].At;
    }
}
