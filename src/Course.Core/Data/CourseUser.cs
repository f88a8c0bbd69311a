using Microsoft.AspNetCore.Identity;

namespace Course.Core.Data;

/// <summary>A person on the platform; roles (<see cref="CourseRoles"/>) say what they may do.</summary>
public sealed class CourseUser : IdentityUser
{
    [PersonalData]
    public string? DisplayName { get; set; }

    [PersonalData]
    public DateTimeOffset CreatedAt { get; set; } = DateTimeOffset.UtcNow;

    /// <summary>Set on the generated first instructor: the site shows only the change-password page until it is changed.</summary>
    public bool MustChangePassword { get; set; }

    /// <summary>
    /// Part of every password-reset token's purpose; issuing a link or resetting the password replaces it, so a used
    /// or superseded link stops working (Identity's own check, the security stamp, survives a new link).
    /// </summary>
    public string? PasswordResetStamp { get; set; }

    public List<LessonCompletion> LessonCompletions { get; set; } = [];
}

public static class CourseRoles
{
    public const string Student = "Student";
    public const string Instructor = "Instructor";

    public static readonly string[] All = [Student, Instructor];
}
