using Course.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Course.Migrations.PostgreSQL;

/// <summary>
/// Lets <c>dotnet ef migrations add</c> (build/add-migration) build the PostgreSQL model without a server or a host:
/// this project is its startup project, so this factory is the one it finds.
/// </summary>
internal sealed class PostgreSqlDesignTimeFactory : IDesignTimeDbContextFactory<CourseDbContext>
{
    public CourseDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<CourseDbContext>();
        options.UseCourseDatabase(DatabaseProvider.PostgreSQL, "Host=localhost;Database=design");
        return new CourseDbContext(options.Options);
    }
}
