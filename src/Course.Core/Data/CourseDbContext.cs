using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Course.Core.Data;

/// <summary>
/// The platform's database (SQLite by default). Blazor components never hold one: services create a
/// context per operation from <see cref="IDbContextFactory{TContext}"/>.
/// </summary>
public sealed class CourseDbContext(DbContextOptions<CourseDbContext> options) : IdentityDbContext<CourseUser>(options)
{
    public DbSet<LessonCompletion> LessonCompletions => Set<LessonCompletion>();
    public DbSet<Invitation> Invitations => Set<Invitation>();
    public DbSet<QuizAttempt> QuizAttempts => Set<QuizAttempt>();
    public DbSet<QuizAttemptGrant> QuizAttemptGrants => Set<QuizAttemptGrant>();
    public DbSet<AuditEntry> AuditEntries => Set<AuditEntry>();
    public DbSet<Submission> Submissions => Set<Submission>();
    public DbSet<AssignmentExtension> AssignmentExtensions => Set<AssignmentExtension>();
    public DbSet<ReportRegradeRequest> ReportRegradeRequests => Set<ReportRegradeRequest>();

    /// <summary>Everyone without the Instructor role: the people the gradebook and the course statistics count.</summary>
    public IQueryable<CourseUser> Students => Users.Where(u =>
        !UserRoles.Any(ur => ur.UserId == u.Id && Roles.Any(r => r.Id == ur.RoleId && r.Name == CourseRoles.Instructor)));

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.ApplyConfigurationsFromAssembly(typeof(CourseDbContext).Assembly);
        // SQLite cannot order or compare DateTimeOffset; store UTC ticks so queries translate.
        foreach (var property in builder.Model.GetEntityTypes().SelectMany(t => t.GetProperties())
                     .Where(p => p.ClrType == typeof(DateTimeOffset) || p.ClrType == typeof(DateTimeOffset?)))
        {
            property.SetValueConverter(new Microsoft.EntityFrameworkCore.Storage.ValueConversion.DateTimeOffsetToBinaryConverter());
        }
    }
}

/// <summary>Lets <c>dotnet ef migrations add</c> build the context without starting a host.</summary>
internal sealed class CourseDbContextDesignTimeFactory : IDesignTimeDbContextFactory<CourseDbContext>
{
    public CourseDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<CourseDbContext>().UseSqlite("Data Source=design.db").Options);
}
