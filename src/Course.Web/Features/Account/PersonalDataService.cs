using System.Reflection;
using System.Text.Json;
using Course.Core.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Course.Web.Features.Account;

/// <summary>A student's own data: everything stored about them, as JSON, and its deletion.</summary>
public sealed class PersonalDataService(IDbContextFactory<CourseDbContext> databases)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public async Task<byte[]> ExportAsync(CourseUser user)
    {
        var profile = typeof(CourseUser).GetProperties()
            .Where(p => p.GetCustomAttribute<PersonalDataAttribute>() is not null)
            .ToDictionary(p => p.Name, p => p.GetValue(user)?.ToString());

        await using var db = await databases.CreateDbContextAsync();
        var completions = await db.LessonCompletions.Where(c => c.UserId == user.Id)
            .OrderBy(c => c.LessonId)
            .Select(c => new { lesson = c.LessonId, completed_at = c.CompletedAt })
            .ToListAsync();
        var roles = await db.UserRoles.Where(r => r.UserId == user.Id)
            .Join(db.Roles, ur => ur.RoleId, r => r.Id, (_, r) => r.Name)
            .ToListAsync();

        return JsonSerializer.SerializeToUtf8Bytes(new
        {
            exported_at = DateTimeOffset.UtcNow,
            profile,
            roles,
            lesson_completions = completions,
        }, Json);
    }
}
