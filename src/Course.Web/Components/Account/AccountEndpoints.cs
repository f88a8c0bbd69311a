using Course.Core.Data;
using Course.Web.Features.Account;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;

namespace Course.Web.Components.Account;

/// <summary>The account actions that are plain form posts rather than pages.</summary>
public static class AccountEndpoints
{
    public static IEndpointConventionBuilder MapAccountEndpoints(this IEndpointRouteBuilder endpoints)
    {
        // Every post here needs the form's antiforgery token: the middleware checks it, but only endpoints that bind
        // a form refuse a bad one by themselves, so without the filter another site could post here with the
        // visitor's cookie and, for the download, receive their data (a cross-site request the browser allows).
        var account = endpoints.MapGroup("/Account")
            .WithMetadata(new RequireAntiforgeryTokenAttribute())
            .AddEndpointFilter(async (context, next) =>
                context.HttpContext.Features.Get<IAntiforgeryValidationFeature>() is { IsValid: true }
                    ? await next(context)
                    : TypedResults.BadRequest("This form has expired or did not come from this site; reload the page and try again."));

        account.MapPost("/Logout", async (HttpContext context, AccountService accounts, [FromForm] string? returnUrl) =>
        {
            await accounts.SignOutAsync(context.User);
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
