using System.Collections.Frozen;
using Course.Core.Data;
using Microsoft.AspNetCore.Identity;

namespace Course.Web.Features.Account;

/// <summary>
/// Refuses passwords from the shipped list of the most common ones (<c>common-passwords.txt</c>), also when
/// dressed up the usual ways: capitals, digits or symbols before or after, letters swapped for look-alikes.
/// A 12-character minimum alone still lets "Password123!" through, the first thing a guesser tries.
/// </summary>
public sealed class CommonPasswordValidator : IPasswordValidator<CourseUser>
{
    public const string ErrorCode = "CommonPassword";

    private static readonly FrozenSet<string> Common = Load();

    private static readonly FrozenDictionary<char, char> LookAlikes = new Dictionary<char, char>
    {
        ['@'] = 'a', ['4'] = 'a', ['8'] = 'b', ['3'] = 'e', ['1'] = 'i', ['!'] = 'i', ['0'] = 'o', ['$'] = 's', ['5'] = 's', ['7'] = 't',
    }.ToFrozenDictionary();

    public Task<IdentityResult> ValidateAsync(UserManager<CourseUser> manager, CourseUser user, string? password) =>
        Task.FromResult(password is not null && IsCommon(password)
            ? IdentityResult.Failed(new IdentityError
            {
                Code = ErrorCode,
                Description = "This password is one of the most commonly used ones; choose something others would not guess, such as a few unrelated words.",
            })
            : IdentityResult.Success);

    public static bool IsCommon(string password)
    {
        var lower = password.Trim().ToLowerInvariant();
        var core = lower.Trim(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '!', '@', '#', '$', '%', '^', '&', '*', '?', '.', ',', '-', '_', '+', '=', '~', ' ']);
        var plain = string.Concat(core.Select(c => LookAlikes.GetValueOrDefault(c, c)));
        return Common.Contains(lower) || Common.Contains(core) || Common.Contains(plain);
    }

    private static FrozenSet<string> Load()
    {
        using var stream = typeof(CommonPasswordValidator).Assembly.GetManifestResourceStream("Course.Web.common-passwords.txt")
            ?? throw new InvalidOperationException("The common-password list is not embedded in Course.Web.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Where(line => !line.StartsWith('#'))
            .ToFrozenSet(StringComparer.Ordinal);
    }
}
