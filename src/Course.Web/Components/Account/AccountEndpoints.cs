using Course.Core.Data;
using Course.Web.Features.Account;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;

namespace Course.Web.Components.Account;

/// <summary>The account actions that are plain form posts rather than pages.</summary>
public static class AccountEndpoints
{
    public static IEndpointConventionBuilder MapAccountEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var account = endpoints.MapGroup("/Account");

        account.MapPost("/Logout", async (SignInManager<CourseUser> signInManager, [FromForm] string? returnUrl) =>
        {
            await signInManager.SignOutAsync();
            return TypedResults.LocalRedirect($"~/{returnUrl?.TrimStart('/')}");
        });

        account.MapPost("/Manage/DownloadPersonalData", async (HttpContext context, UserManager<CourseUser> users, PersonalDataService personalData) =>
        {
            var user = await users.GetUserAsync(context.User);
            if (user is null)
            {
                return Results.NotFound("Unable to load your account.");
            }
            var bytes = await personalData.ExportAsync(user);
            return TypedResults.File(bytes, "application/json", "PersonalData.json");
        }).RequireAuthorization();

        return account;
    }
}
