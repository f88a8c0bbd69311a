using System.Security.Claims;
using System.Text;
using Course.Core.Configuration;
using Course.Core.Data;
using Course.Web.Extensions;
using Course.Web.Features.Security;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace Course.Web.Features.Account;

/// <summary>A sign-in attempt: Identity's result, or why it was not even tried (too many attempts).</summary>
public sealed record SignInOutcome(SignInResult Result, string? Refusal = null);

/// <summary>
/// The account actions of the statically rendered account pages: sign-in and password reset under the rate
/// limits, password changes (the first one ends the generated instructor's forced change), and sign-out,
/// which also ends every copy of the session cookie.
/// </summary>
public sealed class AccountService(
    UserManager<CourseUser> users,
    SignInManager<CourseUser> signIn,
    RequestLimiter limiter,
    ClientConnection connection,
    CourseEnvironment course,
    IOptions<DataOptions> data,
    ILogger<AccountService> logger)
{
    /// <summary>One answer for a bad link, an expired one, a used one and an unknown account: the page reveals no one.</summary>
    public const string InvalidResetLink = "This reset link is invalid, used or expired. Ask your instructor for a new one.";

    public async Task<SignInOutcome> PasswordSignInAsync(string email, string password, bool remember)
    {
        if (limiter.Check(LimitedAction.SignIn, email, connection.Address) is { } refusal)
        {
            return new SignInOutcome(SignInResult.Failed, refusal);
        }
        // Failures count towards lockout (Accounts:MaxFailedAccessAttempts).
        return new SignInOutcome(await signIn.PasswordSignInAsync(email, password, remember, lockoutOnFailure: true));
    }

    /// <summary>Changes the password; the first change of the generated instructor lifts the forced change and deletes its file.</summary>
    public async Task<IdentityResult> ChangePasswordAsync(CourseUser user, string currentPassword, string newPassword)
    {
        var result = await users.ChangePasswordAsync(user, currentPassword, newPassword);
        if (!result.Succeeded)
        {
            return result;
        }
        if (user.MustChangePassword)
        {
            user.MustChangePassword = false;
            await users.UpdateAsync(user);
            File.Delete(DatabaseSetup.InitialInstructorFile(course, data.Value));
            logger.LogInformation("The initial instructor {UserId} chose a password; the generated one's file is deleted.", user.Id);
        }
        await signIn.RefreshSignInAsync(user);
        return result;
    }

    /// <summary>Null when the password was reset, else what to tell the person (never whether the account exists).</summary>
    public async Task<string?> ResetPasswordAsync(string email, string code, string newPassword)
    {
        if (limiter.Check(LimitedAction.PasswordReset, email, connection.Address) is { } refusal)
        {
            return refusal;
        }
        string token;
        try
        {
            token = Encoding.UTF8.GetString(WebEncoders.Base64UrlDecode(code));
        }
        catch (FormatException)
        {
            return InvalidResetLink;
        }
        var user = await users.FindByEmailAsync(email);
        if (user is null)
        {
            return InvalidResetLink;
        }
        var result = await users.ResetPasswordAsync(user, token, newPassword);
        if (!result.Succeeded)
        {
            // Identity checks the token first, so password rules are only reported to a holder of a valid link.
            return result.Errors.Any(e => e.Code == nameof(IdentityErrorDescriber.InvalidToken))
                ? InvalidResetLink
                : string.Join(" ", result.Errors.Select(e => e.Description));
        }
        // Single use: the link's stamp is replaced, so the same link fails from now on.
        user.PasswordResetStamp = ResetLinkTokenProvider.NewStamp();
        await users.UpdateAsync(user);
        await users.SetLockoutEndDateAsync(user, null);
        return null;
    }

    /// <summary>
    /// Signs out everywhere: the new security stamp fails the check every request makes
    /// (<c>SecurityStampValidatorOptions.ValidationInterval</c> is zero), so a copied cookie stops working too.
    /// </summary>
    public async Task SignOutAsync(ClaimsPrincipal principal)
    {
        if (await users.GetUserAsync(principal) is { } user)
        {
            await users.UpdateSecurityStampAsync(user);
        }
        await signIn.SignOutAsync();
    }
}
