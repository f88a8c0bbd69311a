namespace Course.Web.Features.Playgrounds;

/// <summary>A batch about to run: its (task, model) and whose requests it holds, in order.</summary>
public sealed record InferenceBatch(string Task, string Model, IReadOnlyList<string> Requesters);

/// <summary>
/// Dynamic micro-batching for one (task, model). While no batch of this line runs, a request goes at once: a lone
/// user pays no window. While one runs, arriving requests gather, and go when it finishes, when
/// <see cref="PlaygroundOptions.BatchWindowMilliseconds"/> has passed since the oldest arrived, or when
/// <see cref="PlaygroundOptions.MaxBatchSize"/> of them can go, whichever comes first; a batch then takes a slot of
/// the service's pool and runs as one padded batch whose results are split back per request. A batch holds at most
/// <see cref="PlaygroundOptions.MaxPerUserInBatch"/> requests of one requester, so one user's burst cannot fill it;
/// the rest of theirs wait for the next. A cancelled request leaves the line (or, once in a batch, its result is
/// dropped); the batch runs on for the others.
/// </summary>
internal sealed class InferenceBatcher(
    string task, string model, Func<IReadOnlyList<InferenceRequest>, IReadOnlyList<InferenceResult>> run,
    SemaphoreSlim slots, PlaygroundOptions options, TimeProvider time, Action<InferenceBatch> batchTaken)
{
    private sealed record Pending(InferenceRequest Request, string Requester, IProgress<int>? Position, DateTimeOffset Arrived)
    {
        public TaskCompletionSource<InferenceResult> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private readonly List<Pending> _line = [];
    private TaskCompletionSource _batchReady = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _dispatching;
    private int _running;

    /// <summary>Requests in this line, not yet in a batch.</summary>
    public int Waiting
    {
        get { lock (_line) return _line.Count; }
    }

    /// <param name="requester">Whose request it is, for the fair share.</param>
    public async Task<InferenceResult> RunAsync(InferenceRequest request, string requester, IProgress<int>? position, CancellationToken cancellationToken)
    {
        var pending = new Pending(request, requester, position, time.GetUtcNow());
        bool start;
        lock (_line)
        {
            _line.Add(pending);
            position?.Report(_line.Count);
            if (Next().Count >= options.MaxBatchSize)
            {
                _batchReady.TrySetResult();
            }
            start = !_dispatching;
            _dispatching = true;
        }
        if (start)
        {
            // Runs to its first wait here, so the window's timer exists once this request is in line.
            _ = DispatchAsync();
        }
        await using (cancellationToken.Register(() => Cancel(pending)))
        {
            return await pending.Result.Task;
        }
    }

    private void Cancel(Pending pending)
    {
        lock (_line)
        {
            if (_line.Remove(pending))
            {
                ReportPositions();
            }
        }
        pending.Result.TrySetResult(InferenceResult.Failed("Cancelled."));
    }

    /// <summary>Forms batches until the line is empty; one loop per line at a time, started by the request that finds none.</summary>
    private async Task DispatchAsync()
    {
        while (true)
        {
            Task ready;
            TimeSpan wait;
            lock (_line)
            {
                if (_line.Count == 0)
                {
                    _dispatching = false;
                    return;
                }
                if (_batchReady.Task.IsCompleted)
                {
                    _batchReady = new(TaskCreationOptions.RunContinuationsAsynchronously);
                }
                // Company is worth waiting for only while this line's model is busy anyway.
                ready = _running == 0 || Next().Count >= options.MaxBatchSize ? Task.CompletedTask : _batchReady.Task;
                wait = _line[0].Arrived + TimeSpan.FromMilliseconds(options.BatchWindowMilliseconds) - time.GetUtcNow();
            }
            if (!ready.IsCompleted && wait > TimeSpan.Zero)
            {
                await Task.WhenAny(ready, Task.Delay(wait, time));
            }
            // Requests keep joining while every slot is busy: under load, batches fill up in the wait for a slot.
            await slots.WaitAsync();
            List<Pending> batch;
            lock (_line)
            {
                batch = Next();
                foreach (var pending in batch)
                {
                    _line.Remove(pending);
                }
                ReportPositions();
                _running += batch.Count == 0 ? 0 : 1;
            }
            if (batch.Count == 0)
            {
                slots.Release(); // every waiting request was cancelled meanwhile
                continue;
            }
            foreach (var pending in batch)
            {
                pending.Position?.Report(0);
            }
            batchTaken(new InferenceBatch(task, model, batch.ConvertAll(p => p.Requester)));
            // The batch is synchronous work in one dispose scope: a pool thread of its own, so its scope stays on one thread.
            _ = Task.Run(() =>
            {
                try
                {
                    var results = run(batch.ConvertAll(p => p.Request));
                    for (var i = 0; i < batch.Count; i++)
                    {
                        batch[i].Result.TrySetResult(results[i]);
                    }
                }
                catch (Exception ex)
                {
                    // Not an input's fault (those come back as results): each caller sees the failure, as without batching.
                    batch.ForEach(p => p.Result.TrySetException(ex));
                }
                finally
                {
                    slots.Release();
                    lock (_line)
                    {
                        // Those who gathered meanwhile go now rather than at the window's end.
                        _running--;
                        _batchReady.TrySetResult();
                    }
                }
            });
        }
    }

    /// <summary>The next batch: the longest-waiting requests, up to the batch size, at most the fair share of each requester.</summary>
    private List<Pending> Next()
    {
        var batch = new List<Pending>();
        var taken = new Dictionary<string, int>();
        foreach (var pending in _line)
        {
            if (batch.Count == options.MaxBatchSize)
            {
                break;
            }
            var count = taken.GetValueOrDefault(pending.Requester);
            if (count < options.MaxPerUserInBatch)
            {
                taken[pending.Requester] = count + 1;
                batch.Add(pending);
            }
        }
        return batch;
    }

    private void ReportPositions()
    {
        for (var i = 0; i < _line.Count; i++)
        {
            _line[i].Position?.Report(i + 1);
        }
    }
}
