using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;

namespace Course.Benchmarks;

/// <summary>
/// The runtime's own counters of another .NET process, read over its diagnostics port (what `dotnet-counters`
/// shows). Resident memory alone cannot say whether a server keeps objects alive: the server garbage collector
/// grows its budget and keeps freed segments committed under load, so the soak reads the managed heap beside it.
/// </summary>
internal sealed class GcCounters : IDisposable
{
    /// <summary>One reading, in bytes: the managed heap (live objects and garbage not yet collected), what survived
    /// the last collections (generation 2, large and pinned objects), and the memory the collector holds committed.</summary>
    public sealed record Reading(long HeapBytes, long SurvivedBytes, long CommittedBytes);

    private readonly EventPipeSession session;
    private readonly Task reading;
    private readonly Dictionary<string, double> latest = [];

    public GcCounters(int processId)
    {
        var provider = new EventPipeProvider("System.Runtime", System.Diagnostics.Tracing.EventLevel.Informational, 0,
            new Dictionary<string, string> { ["EventCounterIntervalSec"] = "5" });
        session = new DiagnosticsClient(processId).StartEventPipeSession(provider, requestRundown: false);
        reading = Task.Run(() =>
        {
            using var source = new EventPipeEventSource(session.EventStream);
            source.Dynamic.All += data =>
            {
                if (data.EventName != "EventCounters" || data.PayloadValue(0) is not IDictionary<string, object> outer ||
                    outer["Payload"] is not IDictionary<string, object> payload)
                {
                    return;
                }
                var value = payload.TryGetValue("Mean", out var mean) ? mean : payload["Increment"];
                lock (latest) latest[(string)payload["Name"]] = Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture);
            };
            source.Process();
        });
    }

    /// <summary>The latest values, or null before the first interval has been reported.</summary>
    public Reading? Read()
    {
        lock (latest)
        {
            if (!latest.TryGetValue("gc-heap-size", out var heapMb) || !latest.TryGetValue("gen-2-size", out var gen2) ||
                !latest.TryGetValue("loh-size", out var loh) || !latest.TryGetValue("gc-committed", out var committedMb))
            {
                return null;
            }
            var poh = latest.GetValueOrDefault("poh-size");
            const double Mb = 1_000_000; // the runtime reports these two in decimal megabytes
            return new Reading((long)(heapMb * Mb), (long)(gen2 + loh + poh), (long)(committedMb * Mb));
        }
    }

    public void Dispose()
    {
        try { session.Stop(); } catch (ServerNotAvailableException) { } // the site may already have exited
        reading.Wait(TimeSpan.FromSeconds(10));
        session.Dispose();
    }
}
