using Course.Core.Configuration;
using Course.Core.Data;
using Microsoft.AspNetCore.Identity;

namespace Course.Web.Features.Account;

/// <summary>
/// Identity has a minimum password length but no maximum; every password set through the UserManager
/// (registration, change, reset by link) is refused above <see cref="TextLimits.Password"/>.
/// </summary>
public sealed class PasswordLengthValidator : IPasswordValidator<CourseUser>
{
    public Task<IdentityResult> ValidateAsync(UserManager<CourseUser> manager, CourseUser user, string? password) =>
        Task.FromResult(TextLimits.Check(password, TextLimits.Password, "The password") is { } tooLong
            ? IdentityResult.Failed(new IdentityError { Code = "PasswordTooLong", Description = tooLong + "." })
            : IdentityResult.Success);
}
