using System.Security.Claims;
using Course.Core.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.StaticAssets;
using Microsoft.Extensions.Options;

namespace Course.Web.Features.Account;

/// <summary>Identity's claims plus <see cref="FirstPasswordChange.Claim"/> while <see cref="CourseUser.MustChangePassword"/> is set.</summary>
public sealed class CourseClaimsPrincipalFactory(UserManager<CourseUser> users, RoleManager<IdentityRole> roles, IOptions<IdentityOptions> options)
    : UserClaimsPrincipalFactory<CourseUser, IdentityRole>(users, roles, options)
{
    protected override async Task<ClaimsIdentity> GenerateClaimsAsync(CourseUser user)
    {
        var identity = await base.GenerateClaimsAsync(user);
        if (user.MustChangePassword)
        {
            identity.AddClaim(new Claim(FirstPasswordChange.Claim, "true"));
        }
        return identity;
    }
}

/// <summary>
/// Until the generated instructor has chosen a password, every request but the change-password page, sign-out
/// and static files goes to that page (other methods get 403). The claim follows the database at once: the
/// security stamp is validated, and the principal rebuilt, on every request.
/// </summary>
public static class FirstPasswordChange
{
    public const string Claim = "course:must_change_password";
    public const string ChangePage = "/Account/Manage";

    private static readonly string[] Allowed = [ChangePage, "/Account/Logout"];

    public static void UseFirstPasswordChange(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (!context.User.HasClaim(c => c.Type == Claim)
            || Allowed.Any(path => context.Request.Path.Equals(path, StringComparison.OrdinalIgnoreCase))
            || context.GetEndpoint()?.Metadata.GetMetadata<StaticAssetDescriptor>() is not null)
        {
            await next(context);
        }
        else if (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method))
        {
            context.Response.Redirect(ChangePage);
        }
        else
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
        }
    });
}
