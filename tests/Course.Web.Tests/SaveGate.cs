using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Course.Web.Tests;

/// <summary>
/// Holds every <c>SaveChangesAsync</c> while a test says so, to stand for a slow database: in-memory SQLite
/// otherwise completes before a page could interleave two events.
/// </summary>
public sealed class SaveGate : SaveChangesInterceptor
{
    private TaskCompletionSource? _held;

    public void Hold() => _held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Release()
    {
        var held = _held;
        _held = null;
        held?.SetResult();
    }

    public override async ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result,
        CancellationToken cancellationToken = default)
    {
        if (_held is { } held)
        {
            await held.Task;
        }
        return result;
    }
}
