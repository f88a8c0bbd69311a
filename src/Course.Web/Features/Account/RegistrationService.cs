using Course.Core.Configuration;
using Course.Core.Data;
using Course.Web.Features.Security;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Course.Web.Features.Account;

/// <summary>Creates student accounts, enforcing invite-only registration when configured and the registration rate limit.</summary>
public sealed class RegistrationService(
    UserManager<CourseUser> users,
    IDbContextFactory<CourseDbContext> databases,
    IOptions<AccountOptions> accounts,
    RequestLimiter limiter,
    ClientConnection connection,
    TimeProvider clock)
{
    /// <summary>What the page says after a registration, whether the address was new or already had an account.</summary>
    public static string Registered(string email) =>
        $"Thank you. If {email} did not have an account yet, it has one now: sign in with it and your new password.";

    public bool IsInviteOnly => accounts.Value.Registration == RegistrationMode.InviteOnly;

    /// <summary>Null when the invitation can be used, else why not.</summary>
    public async Task<string?> CheckInvitationAsync(string? code)
    {
        if (!IsInviteOnly)
        {
            return null;
        }
        if (string.IsNullOrWhiteSpace(code))
        {
            return "Registration is by invitation: open the invitation link your instructor gave you.";
        }
        await using var db = await databases.CreateDbContextAsync();
        var invitation = await db.Invitations.SingleOrDefaultAsync(i => i.Code == code);
        return invitation switch
        {
            null => "This invitation link is not valid.",
            { UsedByUserId: not null } => "This invitation link has already been used.",
            _ when invitation.ExpiresAt < clock.GetUtcNow() => "This invitation link has expired; ask your instructor for a new one.",
            _ => null,
        };
    }

    /// <summary>
    /// Creates the account; returns what to fix (password, invitation, too many attempts), or nothing. Nothing is
    /// also the answer for an e-mail address that already has an account, which is left as it is: the page says
    /// the same either way and the person signs in next, so registration cannot be used to learn who studies here.
    /// </summary>
    public async Task<IReadOnlyList<string>> RegisterStudentAsync(string email, string? displayName, string password, string? invitationCode)
    {
        string?[] tooLong =
        [
            TextLimits.Check(email, TextLimits.Email, "The email address"),
            TextLimits.Check(displayName, TextLimits.DisplayName, "The display name"),
        ];
        if (tooLong.OfType<string>().ToList() is { Count: > 0 } fieldErrors)
        {
            return fieldErrors.Select(e => e + ".").ToList();
        }
        if (limiter.Check(LimitedAction.Registration, email, connection.Address) is { } refusal)
        {
            return [refusal];
        }
        if (await CheckInvitationAsync(invitationCode) is { } invitationError)
        {
            return [invitationError];
        }

        var user = new CourseUser { UserName = email, Email = email, DisplayName = string.IsNullOrWhiteSpace(displayName) ? null : displayName.Trim() };
        // Identity checks the password before looking for a duplicate, so its rules are reported alike for both.
        var created = await users.CreateAsync(user, password);
        if (!created.Succeeded)
        {
            var errors = created.Errors.Where(e => e.Code is not (nameof(IdentityErrorDescriber.DuplicateEmail) or nameof(IdentityErrorDescriber.DuplicateUserName)));
            return errors.Select(e => e.Description).ToList();
        }
        await users.AddToRoleAsync(user, CourseRoles.Student);

        if (IsInviteOnly)
        {
            await using var db = await databases.CreateDbContextAsync();
            // Conditional update: of two people racing with one link, only the first succeeds.
            var claimed = await db.Invitations
                .Where(i => i.Code == invitationCode && i.UsedByUserId == null)
                .ExecuteUpdateAsync(s => s.SetProperty(i => i.UsedByUserId, user.Id).SetProperty(i => i.UsedAt, clock.GetUtcNow()));
            if (claimed == 0)
            {
                await users.DeleteAsync(user);
                return ["This invitation link has already been used."];
            }
        }
        return [];
    }
}
