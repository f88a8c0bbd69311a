using System.Security.Claims;

namespace Course.Web.Components.Shared;

public static class CurrentUser
{
    /// <summary>The signed-in user's id, or null for a visitor.</summary>
    public static string? IdOf(ClaimsPrincipal user) =>
        user.Identity?.IsAuthenticated == true ? user.FindFirstValue(ClaimTypes.NameIdentifier) : null;
}
