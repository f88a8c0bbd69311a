namespace Course.Web.Extensions;

/// <summary>
/// How long each end of a Blazor circuit waits for the other's keep-alive before it closes the circuit. Both
/// sides ping every 15 s; SignalR's 30 s defaults closed circuits on a starved machine whose timers ran late
/// (the soak in docs/benchmarks.md), so both wait four pings.
/// </summary>
public static class CircuitKeepAlive
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);
}
