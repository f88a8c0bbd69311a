namespace Course.Ml.Training;

/// <summary>
/// A run that failed because of what its configuration asked for, not because the platform failed: a grading
/// job charges the student's daily quota for it (content/README.md, "Charged and not charged"). Everything the
/// configuration can be blamed for before training is refused at submission instead (SubmissionRules); these
/// are the failures only a run can show.
/// </summary>
public abstract class ConfigurationFailureException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The loss or the gradients became NaN or infinite: the weights are ruined, so training stops at once.</summary>
public sealed class TrainingDivergedException(int step, double loss, double gradNorm) : ConfigurationFailureException(
    $"Training diverged at step {step}: the loss was {loss.ToString(System.Globalization.CultureInfo.InvariantCulture)} and the gradient norm {gradNorm.ToString(System.Globalization.CultureInfo.InvariantCulture)}. Lower learning_rate, keep warmup_ratio above 0, or keep max_grad_norm at its default of 1.0.")
{
    public int Step { get; } = step;
}

/// <summary>The run needed more memory than the machine has (the batch size, sequence length or evaluation batch size).</summary>
public sealed class TrainingOutOfMemoryException(Exception inner) : ConfigurationFailureException(
    $"Training ran out of memory ({inner.Message.Split('\n')[0].Trim()}). Lower per_device_train_batch_size (use gradient_accumulation_steps for the same effective batch) or max_seq_length.", inner)
{
    /// <summary>
    /// How torch reports an allocation it could not make: a native error (ExternalException) whose text says so;
    /// its type alone does not tell out-of-memory from other native errors, so this one place reads the text.
    /// </summary>
    public static bool IsTorchOutOfMemory(Exception ex) =>
        ex is System.Runtime.InteropServices.ExternalException
        && (ex.Message.Contains("out of memory", StringComparison.OrdinalIgnoreCase) || ex.Message.Contains("can't allocate memory", StringComparison.OrdinalIgnoreCase));
}
