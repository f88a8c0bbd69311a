using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Course.Core.Data;

/// <summary>
/// The platform's database (SQLite by default, or PostgreSQL: <see cref="DatabaseOptions"/>). Blazor components never hold one: services create a
/// context per operation from <see cref="IDbContextFactory{TContext}"/>.
/// </summary>
public sealed class CourseDbContext(DbContextOptions<CourseDbContext> options) : IdentityDbContext<CourseUser>(options), IDataProtectionKeyContext
{
    /// <summary>The site's data-protection key ring, shared by every web node on this database (<see cref="DataProtectionKeyRing"/>).</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    public DbSet<LessonCompletion> LessonCompletions => Set<LessonCompletion>();
    public DbSet<Invitation> Invitations => Set<Invitation>();
    public DbSet<QuizAttempt> QuizAttempts => Set<QuizAttempt>();
    public DbSet<QuizAttemptGrant> QuizAttemptGrants => Set<QuizAttemptGrant>();
    public DbSet<AuditEntry> AuditEntries => Set<AuditEntry>();
    public DbSet<Submission> Submissions => Set<Submission>();
    public DbSet<AssignmentExtension> AssignmentExtensions => Set<AssignmentExtension>();
    public DbSet<ReportRegradeRequest> ReportRegradeRequests => Set<ReportRegradeRequest>();
    public DbSet<ModelPublication> ModelPublications => Set<ModelPublication>();
    public DbSet<WorkerRegistration> GradingWorkers => Set<WorkerRegistration>();
    public DbSet<DemoBuild> DemoBuilds => Set<DemoBuild>();
    public DbSet<Certificate> Certificates => Set<Certificate>();
    public DbSet<CertificateSigningKey> CertificateSigningKeys => Set<CertificateSigningKey>();

    /// <summary>Everyone without the Instructor role: the people the gradebook and the course statistics count.</summary>
    public IQueryable<CourseUser> Students => Users.Where(u =>
        !UserRoles.Any(ur => ur.UserId == u.Id && Roles.Any(r => r.Id == ur.RoleId && r.Name == CourseRoles.Instructor)));

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.ApplyConfigurationsFromAssembly(typeof(CourseDbContext).Assembly);
        var dates = builder.Model.GetEntityTypes().SelectMany(t => t.GetProperties())
            .Where(p => p.ClrType == typeof(DateTimeOffset) || p.ClrType == typeof(DateTimeOffset?)).ToList();
        foreach (var property in dates)
        {
            property.SetValueConverter(Database.IsSqlite()
                // SQLite cannot order or compare DateTimeOffset; store UTC ticks so queries translate.
                ? new DateTimeOffsetToBinaryConverter()
                // PostgreSQL's timestamptz holds an instant, and Npgsql writes only offset 0: a due date typed with
                // its zone (+02:00) is the same instant in UTC.
                : new ValueConverter<DateTimeOffset, DateTimeOffset>(v => v.ToUniversalTime(), v => v));
        }
    }
}

/// <summary>Lets <c>dotnet ef migrations add</c> build the context without starting a host (SQLite; PostgreSQL's factory lives beside its migrations).</summary>
internal sealed class CourseDbContextDesignTimeFactory : IDesignTimeDbContextFactory<CourseDbContext>
{
    public CourseDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<CourseDbContext>().UseSqlite("Data Source=design.db").Options);
}
