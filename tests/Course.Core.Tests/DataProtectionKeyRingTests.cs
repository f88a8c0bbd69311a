using Course.Core.Configuration;
using Course.Core.Data;
using Course.Tests.Shared;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;

namespace Course.Core.Tests;

public sealed class SqliteDataProtectionKeyRingTests() : DataProtectionKeyRingTests(null);

[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlDataProtectionKeyRingTests(PostgresServer server) : DataProtectionKeyRingTests(server);

/// <summary>Two web nodes that share only the database read each other's cookies: the key ring is in the database.</summary>
public abstract class DataProtectionKeyRingTests(PostgresServer? server) : IAsyncLifetime
{
    /// <summary>The purposes the Identity cookie handler protects its tickets with (scheme Identity.Application).</summary>
    private static readonly string[] CookiePurpose = ["Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationMiddleware", "Identity.Application", "v2"];

    private readonly List<ServiceProvider> _nodes = [];
    private readonly List<string> _roots = [];
    private TestDatabase _database = default!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync(server);
        await using var db = new CourseDbContext(_database.Options());
        await db.Database.MigrateAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }
        await _database.DisposeAsync();
        _roots.ForEach(root => Directory.Delete(root, recursive: true));
    }

    /// <summary>
    /// A site node's services as the site registers its key ring, installed in a folder of its own: ASP.NET Core would
    /// tell two installations apart by their content roots if the application name were not fixed.
    /// </summary>
    private IDataProtectionProvider Node()
    {
        var root = Directory.CreateTempSubdirectory("course-node-").FullName;
        _roots.Add(root);
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(_database.Settings()).Build())
            .AddSingleton<IHostEnvironment>(new HostingEnvironment
            {
                ApplicationName = "Course.Web", ContentRootPath = root, ContentRootFileProvider = new NullFileProvider(), EnvironmentName = "Production",
            })
            .AddLogging()
            .AddCourseCore(new CourseEnvironment(root))
            .AddCourseDatabase();
        services.AddCourseDataProtection();
        var node = services.BuildServiceProvider();
        _nodes.Add(node);
        return node.GetRequiredService<IDataProtectionProvider>();
    }

    [Fact]
    public async Task A_cookie_protected_by_one_node_is_read_by_another_and_the_key_is_one_row_of_the_database()
    {
        var (a, b) = (Node(), Node());

        var fromA = a.CreateProtector(CookiePurpose).Protect("ticket of ada@example.com");
        var fromB = b.CreateProtector(CookiePurpose).Protect("ticket of grace@example.com");

        Assert.Equal("ticket of ada@example.com", b.CreateProtector(CookiePurpose).Unprotect(fromA));
        Assert.Equal("ticket of grace@example.com", a.CreateProtector(CookiePurpose).Unprotect(fromB));
        await using var db = new CourseDbContext(_database.Options());
        var key = Assert.Single(await db.DataProtectionKeys.ToListAsync());
        Assert.StartsWith("<key id=", key.Xml);
    }

    [Fact]
    public async Task The_migrate_step_makes_the_one_first_key_that_every_node_then_uses()
    {
        var (a, b) = (Node(), Node());
        var databases = _nodes[0].GetRequiredService<IDbContextFactory<CourseDbContext>>();

        DataProtectionKeyRing.EnsureActiveKey(databases, TimeProvider.System);
        DataProtectionKeyRing.EnsureActiveKey(databases, TimeProvider.System); // a second migrate finds it
        await using var db = new CourseDbContext(_database.Options());
        var first = Assert.Single(await db.DataProtectionKeys.ToListAsync());
        var fromA = a.CreateProtector(CookiePurpose).Protect("ticket of ada@example.com");

        Assert.Equal("ticket of ada@example.com", b.CreateProtector(CookiePurpose).Unprotect(fromA));
        Assert.Equal(first.FriendlyName, Assert.Single(await db.DataProtectionKeys.AsNoTracking().ToListAsync()).FriendlyName);
    }
}
