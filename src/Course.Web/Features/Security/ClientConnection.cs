using Microsoft.AspNetCore.Components.Server.Circuits;

namespace Course.Web.Features.Security;

/// <summary>
/// Who is at the other end of this request or circuit (scoped). A page request's address (after the forwarded
/// headers) is handed to <c>Routes</c> as a parameter; a circuit's is read by <see cref="CircuitAddress"/> when the
/// browser's connection opens or comes back, since the interactive pages are islands inside static ones and no
/// root component of theirs is drawn by <c>Routes</c>.
/// </summary>
public sealed class ClientConnection
{
    /// <summary>The client's IP address, or null before it is known.</summary>
    public string? Address { get; set; }

    /// <summary>
    /// Sets the circuit's address from its connection's request: the circuit handler's events run inside the SignalR
    /// hub call that opened or reconnected the circuit, where the accessor holds that WebSocket (or polling) request,
    /// the same client as the page's. Components never read the HttpContext themselves, where it is no longer the
    /// connection's.
    /// </summary>
    public sealed class CircuitAddress(ClientConnection connection, IHttpContextAccessor http, ILogger<CircuitAddress> logger) : CircuitHandler
    {
        public override Task OnCircuitOpenedAsync(Circuit circuit, CancellationToken cancellationToken) => Read(circuit);

        public override Task OnConnectionUpAsync(Circuit circuit, CancellationToken cancellationToken) => Read(circuit);

        private Task Read(Circuit circuit)
        {
            if (http.HttpContext?.Connection.RemoteIpAddress?.ToString() is { } address)
            {
                connection.Address = address;
            }
            else if (connection.Address is null)
            {
                // Its per-address limits then fall into the shared partition of unknown addresses: worth seeing in the log.
                logger.LogWarning("Circuit {Circuit} opened without a client address; its requests share the limits of unknown addresses", circuit.Id);
            }
            return Task.CompletedTask;
        }
    }
}

/// <summary>Who asks, for singleton services that cannot take the scoped <see cref="ClientConnection"/> themselves.</summary>
public sealed record Requester(string? UserId, string? Address, bool IsInstructor)
{
    public static Requester Of(System.Security.Claims.ClaimsPrincipal user, ClientConnection connection) =>
        new(Components.Shared.CurrentUser.IdOf(user), connection.Address, user.IsInRole(Core.Data.CourseRoles.Instructor));
}
