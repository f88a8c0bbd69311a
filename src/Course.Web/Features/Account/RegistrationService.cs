using Course.Core.Configuration;
using Course.Core.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Course.Web.Features.Account;

/// <summary>Creates student accounts, enforcing invite-only registration when configured.</summary>
public sealed class RegistrationService(
    UserManager<CourseUser> users,
    IDbContextFactory<CourseDbContext> databases,
    IOptions<AccountOptions> accounts,
    TimeProvider clock)
{
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

    public async Task<(CourseUser? User, IReadOnlyList<string> Errors)> RegisterStudentAsync(string email, string? displayName, string password, string? invitationCode)
    {
        string?[] tooLong =
        [
            TextLimits.Check(email, TextLimits.Email, "The email address"),
            TextLimits.Check(displayName, TextLimits.DisplayName, "The display name"),
        ];
        if (tooLong.OfType<string>().ToList() is { Count: > 0 } errors)
        {
            return (null, errors.Select(e => e + ".").ToList());
        }
        if (await CheckInvitationAsync(invitationCode) is { } invitationError)
        {
            return (null, [invitationError]);
        }

        var user = new CourseUser { UserName = email, Email = email, DisplayName = string.IsNullOrWhiteSpace(displayName) ? null : displayName.Trim() };
        var created = await users.CreateAsync(user, password);
        if (!created.Succeeded)
        {
            return (null, created.Errors.Select(e => e.Description).ToList());
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
                return (null, ["This invitation link has already been used."]);
            }
        }
        return (user, []);
    }
}
