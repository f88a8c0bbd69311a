using System.Globalization;

namespace Course.Core.Configuration;

/// <summary>
/// The longest free text the site accepts in each field people type into. The browser's maxlength is a courtesy;
/// these are enforced by the services, since a Blazor circuit or a form post can send anything.
/// </summary>
public static class TextLimits
{
    /// <summary>A free-text quiz answer.</summary>
    public const int QuizAnswer = 200;

    /// <summary>An instructor's reason for an extension, extra attempts, a reset or a grade override (audit trail).</summary>
    public const int Reason = 500;

    /// <summary>RFC 5321's limit on a forward path, and Identity's column size.</summary>
    public const int Email = 254;

    public const int DisplayName = 100;

    /// <summary>An evaluation report's characters, beside its assignment's word limit (2,000 words of Markdown fit).</summary>
    public const int Report = 20_000;

    /// <summary>An instructor's comment on a report.</summary>
    public const int ReportComment = 2_000;

    /// <summary>A student's regrade request and an instructor's reply to it.</summary>
    public const int RegradeText = 1_000;

    /// <summary>ASVS 2.1.2: passwords of 64 characters are allowed, and more than 128 refused (hashing cost).</summary>
    public const int Password = 128;

    /// <summary>A content file in the editor or a GIFT file to import (the longest lesson today is about 30 KB).</summary>
    public const int ContentFile = 512 * 1024;

    /// <summary>The message for <paramref name="text"/> longer than <paramref name="max"/>, or null when it fits.</summary>
    public static string? Check(string? text, int max, string field) => text is { Length: var length } && length > max
        ? string.Create(CultureInfo.InvariantCulture, $"{field} is {length:N0} characters long; at most {max:N0} are accepted")
        : null;

    /// <exception cref="ArgumentException">The message of <see cref="Check"/>, for callers whose errors are exceptions.</exception>
    public static void Require(string? text, int max, string field)
    {
        if (Check(text, max, field) is { } message)
        {
            throw new ArgumentException(message);
        }
    }
}
