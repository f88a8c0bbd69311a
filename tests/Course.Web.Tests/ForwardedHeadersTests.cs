using System.Diagnostics;
using System.Net;
using Course.Web.Features.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Course.Web.Tests;

/// <summary>The real site's forwarded-headers handling: believed from loopback and the configured proxies, ignored from anyone else.</summary>
public sealed class ForwardedHeadersTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("course-forwarded-").FullName;

    private WebApplicationFactory<Program> Site(params (string Key, string Value)[] settings) =>
        InMemorySite.Create(_root, settings.ToDictionary(s => s.Key, s => (string?)s.Value));

    /// <summary>A request from <paramref name="peer"/> claiming a client address and https; the context as the site saw it.</summary>
    private static Task<HttpContext> FromAsync(WebApplicationFactory<Program> site, string peer) =>
        site.Server.SendAsync(context =>
        {
            context.Connection.RemoteIpAddress = IPAddress.Parse(peer);
            context.Request.Method = HttpMethods.Get;
            context.Request.Path = "/app.css";
            context.Request.Headers["X-Forwarded-For"] = "203.0.113.7";
            context.Request.Headers["X-Forwarded-Proto"] = "https";
        });

    [Theory]
    [InlineData("10.0.0.5")]  // a configured proxy
    [InlineData("192.168.7.20")] // in a configured network
    [InlineData("127.0.0.1")] // loopback, trusted without configuration
    public async Task A_request_through_a_trusted_proxy_gets_the_forwarded_client_address_and_scheme(string proxy)
    {
        await using var site = Site(("ForwardedHeaders:KnownProxies:0", "10.0.0.5"), ("ForwardedHeaders:KnownNetworks:0", "192.168.0.0/16"));

        var context = await FromAsync(site, proxy);

        Assert.Equal(StatusCodes.Status200OK, context.Response.StatusCode);
        Assert.Equal((IPAddress.Parse("203.0.113.7"), "https"), (context.Connection.RemoteIpAddress, context.Request.Scheme));
    }

    [Theory]
    [InlineData("10.0.0.6")]
    [InlineData("172.16.0.5")]
    public async Task From_an_address_not_configured_the_headers_are_ignored(string peer)
    {
        await using var site = Site(("ForwardedHeaders:KnownProxies:0", "10.0.0.5"), ("ForwardedHeaders:KnownNetworks:0", "192.168.0.0/16"));

        var context = await FromAsync(site, peer);

        Assert.Equal(StatusCodes.Status200OK, context.Response.StatusCode);
        Assert.Equal((IPAddress.Parse(peer), "http"), (context.Connection.RemoteIpAddress, context.Request.Scheme));
    }

    [Fact]
    public async Task Without_configuration_only_loopback_is_trusted()
    {
        await using var site = Site();

        var context = await FromAsync(site, "10.0.0.5");

        Assert.Equal((IPAddress.Parse("10.0.0.5"), "http"), (context.Connection.RemoteIpAddress, context.Request.Scheme));
    }

    [Theory]
    [InlineData("10.0.0.300")]
    [InlineData("10.0.5")] // IPAddress alone would read 10.0.0.5
    [InlineData("proxy.internal")]
    public void An_address_that_does_not_parse_is_an_error_naming_its_key_and_value(string value)
    {
        var options = new TrustedProxyOptions { KnownProxies = ["10.0.0.5", value] };

        Assert.Equal([$"ForwardedHeaders:KnownProxies:1 is '{value}', not an IP address: write one like 10.0.0.5 or fd00::5."], options.Errors());
    }

    [Theory]
    [InlineData("10.0.0.1/8")] // host bits set
    [InlineData("10.0.0.0")]
    [InlineData("10.0.0.0/33")]
    [InlineData("10.0/8")]
    public void A_network_that_does_not_parse_is_an_error_naming_its_key_and_value(string value)
    {
        var options = new TrustedProxyOptions { KnownNetworks = [value] };

        Assert.Equal([$"ForwardedHeaders:KnownNetworks:0 is '{value}', not a network: write an address and a prefix length with the host bits zero, like 10.0.0.0/8."],
            options.Errors());
    }

    [Fact]
    public void Well_formed_addresses_and_networks_are_accepted_beside_loopback()
    {
        var options = new TrustedProxyOptions { KnownProxies = ["10.0.0.5", "fd00::5"], KnownNetworks = ["10.0.0.0/8", "fd00::/8"] };
        var middleware = new ForwardedHeadersOptions();

        options.ApplyTo(middleware);

        Assert.Empty(options.Errors());
        Assert.Equal([IPAddress.IPv6Loopback, IPAddress.Parse("10.0.0.5"), IPAddress.Parse("fd00::5")], middleware.KnownProxies);
        Assert.Equal([System.Net.IPNetwork.Parse("127.0.0.0/8"), System.Net.IPNetwork.Parse("10.0.0.0/8"), System.Net.IPNetwork.Parse("fd00::/8")],
            middleware.KnownIPNetworks);
    }

    /// <summary>The site's own executable, started as a deployment starts it, with one bad setting.</summary>
    [Fact]
    public async Task The_site_refuses_to_start_with_a_bad_network_and_says_which_setting_to_fix()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[]
                 {
                     Path.Combine(AppContext.BaseDirectory, "Course.Web.dll"), "--ForwardedHeaders:KnownNetworks:0=10.0.0.1/8",
                     $"--Data:Path={_root}", $"--ConnectionStrings:Course=Data Source={Path.Combine(_root, "course.db")}", $"--Ml:HubPath={Path.Combine(_root, "hub")}",
                     "--Ml:BuildDemoModels=false", "--Grading:Workers=0", "--Content:Watch=false", "--urls=http://127.0.0.1:0",
                 })
        {
            start.ArgumentList.Add(argument);
        }
        using var site = Process.Start(start)!;
        var errors = site.StandardError.ReadToEndAsync();
        // Progress, not a timer: the site either exits, or says it listens (which is the failure) and is stopped.
        string? line;
        while ((line = await site.StandardOutput.ReadLineAsync()) is not null)
        {
            if (line.Contains("Now listening on"))
            {
                site.Kill(entireProcessTree: true);
                Assert.Fail("The site started despite ForwardedHeaders:KnownNetworks:0=10.0.0.1/8.");
            }
        }
        await site.WaitForExitAsync();

        Assert.Equal("error: ForwardedHeaders:KnownNetworks:0 is '10.0.0.1/8', not a network: write an address and a prefix length with the host bits zero, like 10.0.0.0/8.\n",
            await errors);
        Assert.Equal(1, site.ExitCode);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_root, recursive: true);
    }
}
