namespace Course.Web.Features.Security;

/// <summary>
/// Who is at the other end of this request or circuit (scoped). An interactive circuit has no trustworthy
/// HttpContext, so the address is read from the page request that started it (after the forwarded headers)
/// and handed to <c>Routes</c> as a root-component parameter, which Blazor protects from tampering.
/// </summary>
public sealed class ClientConnection
{
    /// <summary>The client's IP address, or null before <c>Routes</c> has set it.</summary>
    public string? Address { get; set; }
}

/// <summary>Who asks, for singleton services that cannot take the scoped <see cref="ClientConnection"/> themselves.</summary>
public sealed record Requester(string? UserId, string? Address, bool IsInstructor)
{
    public static Requester Of(System.Security.Claims.ClaimsPrincipal user, ClientConnection connection) =>
        new(Components.Shared.CurrentUser.IdOf(user), connection.Address, user.IsInRole(Core.Data.CourseRoles.Instructor));
}
