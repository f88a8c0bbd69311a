using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers;

namespace Course.Benchmarks;

/// <summary>
/// The live managed heap of another .NET process, read over its diagnostics port the way `dotnet-gcdump` does:
/// enabling the runtime's GCHeapCollect keyword makes it run a full blocking collection, and the bytes it promoted
/// (every generation's survivors, large and pinned objects included) are the live objects. Resident memory alone
/// cannot tell a leak from garbage: the server garbage collector lets its budget grow and keeps freed memory
/// committed while a site is busy. The heap's size after the collection is no better: it counts the free space
/// between survivors, which moved by tens of MiB between readings of the same site (2026-12-07).
/// </summary>
internal static class LiveHeap
{
    /// <summary>Bytes of the objects that survived a forced full collection, or null if none was reported in <paramref name="wait"/>.</summary>
    public static long? Collect(int processId, TimeSpan wait)
    {
        var provider = new EventPipeProvider("Microsoft-Windows-DotNETRuntime", EventLevel.Informational,
            (long)(ClrTraceEventParser.Keywords.GC | ClrTraceEventParser.Keywords.GCHeapCollect));
        using var session = new DiagnosticsClient(processId).StartEventPipeSession(provider, requestRundown: false);
        var measured = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var reading = Task.Run(() =>
        {
            using var source = new EventPipeEventSource(session.EventStream);
            var full = false;
            source.Clr.GCStart += data => full = data.Depth == 2;
            // The statistics follow the collection they describe; the first full one after the session starts is ours.
            source.Clr.GCHeapStats += data =>
            {
                if (full)
                {
                    measured.TrySetResult(data.TotalPromoted);
                }
            };
            source.Process();
        });
        var done = measured.Task.Wait(wait);
        try { session.Stop(); } catch (ServerNotAvailableException) { } // the process may have exited
        reading.Wait(TimeSpan.FromSeconds(10));
        return done ? measured.Task.Result : null;
    }
}
