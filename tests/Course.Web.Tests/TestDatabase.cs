using Course.Core.Data;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace Course.Web.Tests;

/// <summary>An in-memory SQLite database with the course schema, for services tested without the bUnit context.</summary>
public sealed class TestDatabase : IDisposable
{
    private readonly SqliteConnection _connection = new("Data Source=:memory:");

    public TestDatabase()
    {
        _connection.Open();
        Factory = new PooledDbContextFactory<CourseDbContext>(new DbContextOptionsBuilder<CourseDbContext>().UseSqlite(_connection).Options);
        using var db = Factory.CreateDbContext();
        db.Database.EnsureCreated();
    }

    public IDbContextFactory<CourseDbContext> Factory { get; }

    public void Dispose() => _connection.Dispose();
}
