using Course.Grading.Workers;
using Course.Ml.Training;

namespace Course.Grading.Tests;

public class DemoBuildProcessTests
{
    [Fact]
    public void A_progress_line_carries_the_report_and_any_other_line_is_log_output()
    {
        var step = new TrainerProgress(12, 40, 0.3, 0.6931, 4e-5, 51.5, TimeSpan.FromSeconds(90), new Dictionary<string, double> { ["eval_accuracy"] = 0.75 }, TrainerEvent.Evaluate);
        var report = new DemoBuildProgress("course/minilm-ner", 1, 4, step, null);

        var line = DemoBuildProcess.Format(report);
        var read = DemoBuildProcess.Parse(line)!;

        Assert.StartsWith(DemoBuildProcess.ProgressPrefix, line);
        Assert.DoesNotContain('\n', line);
        Assert.Equal((report.Id, report.Index, report.Count, report.Message), (read.Id, read.Index, read.Count, read.Message));
        Assert.Equal(step with { EvalMetrics = null }, read.Step! with { EvalMetrics = null });
        Assert.Equal(0.75, read.Step!.EvalMetrics!["eval_accuracy"]);
        Assert.Null(DemoBuildProcess.Parse("info: Course.Ml[0] loading sentence-transformers/all-MiniLM-L6-v2"));
    }

    [Fact]
    public void An_evaluation_right_after_a_logging_step_has_no_running_loss_and_still_makes_a_line()
    {
        // The Trainer resets the running loss when it logs, so an evaluation at the same step reports NaN.
        var step = new TrainerProgress(40, 40, 1, double.NaN, 0, 51.5, TimeSpan.Zero, new Dictionary<string, double> { ["eval_f1"] = 0.5 }, TrainerEvent.Evaluate);

        var read = DemoBuildProcess.Parse(DemoBuildProcess.Format(new DemoBuildProgress("course/minilm-qa", 3, 4, step, null)))!;

        Assert.True(double.IsNaN(read.Step!.Loss));
        Assert.Equal(0.5, read.Step.EvalMetrics!["eval_f1"]);
    }
}
