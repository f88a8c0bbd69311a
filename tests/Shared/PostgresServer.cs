using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Course.Core.Data;
using Npgsql;

namespace Course.Tests.Shared;

/// <summary>
/// A throwaway PostgreSQL server for one test run: <c>initdb</c> in a temporary folder, <c>postgres</c> on a free
/// port of 127.0.0.1 (no Unix socket), password authentication, stopped by its PID when disposed. Tests take a fresh
/// database each (<see cref="CreateDatabaseAsync"/>). PostgreSQL refuses to run as root, so under root both programs
/// run as the <c>postgres</c> account (Debian's package creates it) through <c>setpriv</c>, which execs in place: the
/// process started is the postmaster itself. <c>./course test</c> installs Debian's <c>postgresql</c> when missing.
/// Shared by every test class of an assembly through <see cref="PostgresCollection"/>.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    public const string User = "course";
    public const string Password = "course-test-password";

    private readonly string _folder = Directory.CreateTempSubdirectory("course-pg-").FullName;
    private Process? _postmaster;

    public int Port { get; private set; }

    public async Task InitializeAsync()
    {
        var data = Path.Combine(_folder, "data");
        var passwordFile = Path.Combine(_folder, "password");
        await File.WriteAllTextAsync(passwordFile, Password);
        if (IsRoot)
        {
            await RunAsync("chown", ["-R", "postgres:postgres", _folder], asPostgres: false);
        }
        await RunAsync(PgTools.Find("initdb"), ["-D", data, "-U", User, $"--pwfile={passwordFile}", "--auth=scram-sha-256", "-E", "UTF8", "--no-sync"], asPostgres: IsRoot);
        Port = FreePort();
        await StartAsync();
    }

    /// <summary>Starts the postmaster on the cluster's data folder and port (again, after <see cref="StopAsync"/>: a database restart).</summary>
    public async Task StartAsync()
    {
        _postmaster?.Dispose();
        // fsync off: a test cluster need not survive a power cut, and the machine's disk is shared.
        _postmaster = Start(PgTools.Find("postgres"), ["-D", Path.Combine(_folder, "data"), "-p", Port.ToString(), "-h", "127.0.0.1", "-c", "unix_socket_directories=",
            "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=200"], IsRoot);
        await WaitUntilAcceptingAsync();
    }

    /// <summary>SIGINT is PostgreSQL's fast shutdown: sessions are ended, the server exits cleanly and keeps its data.</summary>
    public async Task StopAsync()
    {
        if (_postmaster is { HasExited: false })
        {
            using (var signal = Process.Start("kill", ["-INT", _postmaster.Id.ToString()]))
            {
                await signal.WaitForExitAsync();
            }
            await _postmaster.WaitForExitAsync();
        }
    }

    /// <summary>A connection string for <paramref name="database"/> with the test password.</summary>
    public string ConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = Port, Username = User, Password = Password, Database = database }.ToString();

    /// <summary>A new empty database; its name is returned with the connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = $"t_{Guid.NewGuid():N}";
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    public async Task DisposeAsync()
    {
        await StopAsync();
        NpgsqlConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    private static bool IsRoot => Environment.UserName == "root";

    /// <summary>Waits while the postmaster starts (it is alive and not yet accepting); fails at once if it exits.</summary>
    private async Task WaitUntilAcceptingAsync()
    {
        while (true)
        {
            if (_postmaster!.HasExited)
            {
                throw new InvalidOperationException($"postgres exited with {_postmaster.ExitCode}: {_log}");
            }
            try
            {
                // Unpooled: after a restart, a pooled connection opens without asking the server.
                await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString("postgres")) { Pooling = false }.ToString());
                await connection.OpenAsync();
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or SocketException)
            {
                await Task.Delay(200);
            }
        }
    }

    private readonly System.Text.StringBuilder _log = new();

    private Process Start(string program, string[] arguments, bool asPostgres)
    {
        var process = Process.Start(Describe(program, arguments, asPostgres))!;
        process.OutputDataReceived += (_, e) => { lock (_log) { _log.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (_log) { _log.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private async Task RunAsync(string program, string[] arguments, bool asPostgres)
    {
        using var process = Process.Start(Describe(program, arguments, asPostgres))!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} exited with {process.ExitCode}: {await output}{await errors}");
        }
    }

    private ProcessStartInfo Describe(string program, string[] arguments, bool asPostgres)
    {
        var start = new ProcessStartInfo(asPostgres ? "setpriv" : program)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = _folder,
        };
        if (asPostgres)
        {
            foreach (var argument in new[] { "--reuid=postgres", "--regid=postgres", "--init-groups", "--", program })
            {
                start.ArgumentList.Add(argument);
            }
        }
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        return start;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>The test classes that share one <see cref="PostgresServer"/> (each takes its own databases).</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "PostgreSQL";
}

/// <summary>
/// A fresh, empty database of one provider for one test: a SQLite file in a temporary folder, or a new database on
/// the shared <see cref="PostgresServer"/>. Nothing is migrated; <see cref="Factory"/> opens it as the processes do.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private readonly string? _folder;

    private TestDatabase(DatabaseProvider provider, string connectionString, string? folder) =>
        (Provider, ConnectionString, _folder) = (provider, connectionString, folder);

    public DatabaseProvider Provider { get; }

    public string ConnectionString { get; }

    /// <summary>SQLite without a server; PostgreSQL on <paramref name="server"/>.</summary>
    public static async Task<TestDatabase> CreateAsync(PostgresServer? server)
    {
        if (server is not null)
        {
            return new TestDatabase(DatabaseProvider.PostgreSQL, await server.CreateDatabaseAsync(), null);
        }
        var folder = Directory.CreateTempSubdirectory("course-db-").FullName;
        return new TestDatabase(DatabaseProvider.Sqlite, $"Data Source={Path.Combine(folder, "course.db")}", folder);
    }

    public Microsoft.EntityFrameworkCore.DbContextOptions<CourseDbContext> Options()
    {
        var options = new Microsoft.EntityFrameworkCore.DbContextOptionsBuilder<CourseDbContext>();
        options.UseCourseDatabase(Provider, ConnectionString);
        return options.Options;
    }

    public Microsoft.EntityFrameworkCore.IDbContextFactory<CourseDbContext> Factory() =>
        new Microsoft.EntityFrameworkCore.Infrastructure.PooledDbContextFactory<CourseDbContext>(Options());

    /// <summary>The settings a process reads to open this database.</summary>
    public Dictionary<string, string?> Settings() => new()
    {
        [$"{DatabaseOptions.Section}:Provider"] = Provider.ToString(),
        [$"ConnectionStrings:{DatabaseExtensions.ConnectionStringName}"] = ConnectionString,
    };

    public ValueTask DisposeAsync()
    {
        if (_folder is not null)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(_folder, recursive: true);
        }
        return ValueTask.CompletedTask;
    }
}
