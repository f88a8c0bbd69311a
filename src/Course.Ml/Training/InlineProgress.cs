namespace Course.Ml.Training;

/// <summary>
/// Reports on the calling thread, in order. <see cref="Progress{T}"/> posts each report to the thread pool when
/// there is no synchronisation context (the CLI, a worker), so the last lines of a run could arrive after the
/// command had printed its result or the process had exited.
/// </summary>
public sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
