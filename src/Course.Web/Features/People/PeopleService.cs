using System.Security.Cryptography;
using System.Text;
using Course.Core.Configuration;
using Course.Core.Data;
using Course.Web.Features.Account;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Course.Web.Features.People;

public sealed record PersonRow(string Id, string Email, string? DisplayName, bool IsInstructor, int LessonsCompleted, DateTimeOffset? LockedOutUntil, DateTimeOffset CreatedAt);

/// <summary>
/// What instructors do with accounts: roles, password-reset links (there is no e-mail server: the
/// instructor hands the link over), unlocking, and invitation links for invite-only registration.
/// Role changes, unlocks and reset links are written to the audit trail of the person concerned.
/// Each operation runs in its own DI scope so its UserManager and database context live only that long.
/// </summary>
public sealed class PeopleService(IServiceScopeFactory scopes, IDbContextFactory<CourseDbContext> databases, IOptions<AccountOptions> accounts, TimeProvider clock)
{
    public async Task<IReadOnlyList<PersonRow>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var instructorRoleId = await db.Roles.Where(r => r.Name == CourseRoles.Instructor).Select(r => r.Id).SingleAsync(cancellationToken);
        var now = clock.GetUtcNow();
        var rows = await db.Users
            .OrderBy(u => u.Email)
            .Select(u => new
            {
                u.Id, u.Email, u.DisplayName, u.LockoutEnd, u.CreatedAt,
                IsInstructor = db.UserRoles.Any(r => r.UserId == u.Id && r.RoleId == instructorRoleId),
                Completed = u.LessonCompletions.Count,
            })
            .ToListAsync(cancellationToken);
        return rows.Select(u => new PersonRow(u.Id, u.Email ?? "", u.DisplayName, u.IsInstructor, u.Completed,
            u.LockoutEnd > now ? u.LockoutEnd : null, u.CreatedAt)).ToList();
    }

    /// <summary>Grants or removes the Instructor role; an instructor cannot demote themselves (someone must remain).</summary>
    public async Task SetInstructorAsync(string actingUserId, string userId, bool instructor)
    {
        if (actingUserId == userId && !instructor)
        {
            throw new InvalidOperationException("You cannot remove your own instructor role; ask another instructor.");
        }
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<CourseUser>>();
        var user = await users.FindByIdAsync(userId) ?? throw new InvalidOperationException("No such user.");
        var (add, remove) = instructor ? (CourseRoles.Instructor, CourseRoles.Student) : (CourseRoles.Student, CourseRoles.Instructor);
        if (await users.IsInRoleAsync(user, remove))
        {
            Check(await users.RemoveFromRoleAsync(user, remove));
        }
        if (!await users.IsInRoleAsync(user, add))
        {
            Check(await users.AddToRoleAsync(user, add));
        }
        // Signs the person out of other sessions so the new role applies at once.
        Check(await users.UpdateSecurityStampAsync(user));
        await AuditAsync(actingUserId, "account.role", userId, instructor ? "made an instructor" : "made a student");
    }

    /// <summary>
    /// A one-time link to /Account/ResetPassword valid for Accounts:LinkLifetimeHours; it replaces any link issued
    /// before (<see cref="ResetLinkTokenProvider"/>).
    /// </summary>
    public async Task<string> CreatePasswordResetLinkAsync(string actingUserId, string userId, Uri siteBase)
    {
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<CourseUser>>();
        var user = await users.FindByIdAsync(userId) ?? throw new InvalidOperationException("No such user.");
        user.PasswordResetStamp = ResetLinkTokenProvider.NewStamp();
        Check(await users.UpdateAsync(user));
        var token = await users.GeneratePasswordResetTokenAsync(user);
        await AuditAsync(actingUserId, "account.reset-link", userId, $"password-reset link issued, valid {accounts.Value.LinkLifetimeHours} h");
        var code = WebEncoders.Base64UrlEncode(Encoding.UTF8.GetBytes(token));
        return new Uri(siteBase, QueryHelpers.AddQueryString("Account/ResetPassword", new Dictionary<string, string?>
        {
            ["email"] = user.Email,
            ["code"] = code,
        })).ToString();
    }

    public async Task UnlockAsync(string actingUserId, string userId)
    {
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<CourseUser>>();
        var user = await users.FindByIdAsync(userId) ?? throw new InvalidOperationException("No such user.");
        Check(await users.SetLockoutEndDateAsync(user, null));
        Check(await users.ResetAccessFailedCountAsync(user));
        await AuditAsync(actingUserId, "account.unlock", userId, "unlocked");
    }

    public async Task<string> CreateInvitationLinkAsync(string instructorUserId, Uri siteBase)
    {
        var now = clock.GetUtcNow();
        var invitation = new Invitation
        {
            Code = WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(18)),
            CreatedByUserId = instructorUserId,
            CreatedAt = now,
            ExpiresAt = now.AddHours(accounts.Value.LinkLifetimeHours),
        };
        await using var db = await databases.CreateDbContextAsync();
        db.Invitations.Add(invitation);
        await db.SaveChangesAsync();
        return new Uri(siteBase, QueryHelpers.AddQueryString("Account/Register", "invite", invitation.Code)).ToString();
    }

    private async Task AuditAsync(string actorId, string action, string subjectId, string details)
    {
        await using var db = await databases.CreateDbContextAsync();
        db.AuditEntries.Add(new AuditEntry { At = clock.GetUtcNow(), ActorUserId = actorId, Action = action, SubjectUserId = subjectId, Details = details });
        await db.SaveChangesAsync();
    }

    private static void Check(IdentityResult result)
    {
        if (!result.Succeeded)
        {
            throw new InvalidOperationException(string.Join(" ", result.Errors.Select(e => e.Description)));
        }
    }
}
