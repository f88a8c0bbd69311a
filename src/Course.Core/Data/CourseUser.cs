using Microsoft.AspNetCore.Identity;

namespace Course.Core.Data;

/// <summary>A person on the platform; roles (<see cref="CourseRoles"/>) say what they may do.</summary>
public sealed class CourseUser : IdentityUser
{
    [PersonalData]
    public string? DisplayName { get; set; }

    [PersonalData]
    public DateTimeOffset CreatedAt { get; set; } = DateTimeOffset.UtcNow;

    public List<LessonCompletion> LessonCompletions { get; set; } = [];
}

public static class CourseRoles
{
    public const string Student = "Student";
    public const string Instructor = "Instructor";

    public static readonly string[] All = [Student, Instructor];
}
