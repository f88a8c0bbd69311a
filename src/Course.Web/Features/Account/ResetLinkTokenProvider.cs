using System.Security.Cryptography;
using Course.Core.Data;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Course.Web.Features.Account;

/// <summary>
/// Password-reset tokens bound to the user's <see cref="CourseUser.PasswordResetStamp"/>: issuing a new link or
/// using one replaces the stamp, so a superseded or used link no longer validates. Lifetime and signing are
/// Identity's (<see cref="DataProtectionTokenProviderOptions.TokenLifespan"/> = Accounts:LinkLifetimeHours).
/// </summary>
public sealed class ResetLinkTokenProvider(
    IDataProtectionProvider protection, IOptions<DataProtectionTokenProviderOptions> options, ILogger<DataProtectorTokenProvider<CourseUser>> logger)
    : DataProtectorTokenProvider<CourseUser>(protection, options, logger)
{
    public const string ProviderName = "ResetLink";

    public static string NewStamp() => Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    public override Task<string> GenerateAsync(string purpose, UserManager<CourseUser> manager, CourseUser user) =>
        base.GenerateAsync(Bound(purpose, user), manager, user);

    public override Task<bool> ValidateAsync(string purpose, string token, UserManager<CourseUser> manager, CourseUser user) =>
        base.ValidateAsync(Bound(purpose, user), token, manager, user);

    private static string Bound(string purpose, CourseUser user) => $"{purpose}:{user.PasswordResetStamp}";
}
