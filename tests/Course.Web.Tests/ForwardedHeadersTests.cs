using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Options;

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
    [InlineData("ForwardedHeaders:KnownProxies:0", "10.0.0.300",
        "ForwardedHeaders:KnownProxies:0 is '10.0.0.300', not an IP address: write one like 10.0.0.5 or fd00::5.")]
    [InlineData("ForwardedHeaders:KnownProxies:0", "10.0.5",
        "ForwardedHeaders:KnownProxies:0 is '10.0.5', not an IP address: write one like 10.0.0.5 or fd00::5.")]
    [InlineData("ForwardedHeaders:KnownNetworks:0", "10.0.0.1/8",
        "ForwardedHeaders:KnownNetworks:0 is '10.0.0.1/8', not a network: write an address and a prefix length with the host bits zero, like 10.0.0.0/8.")]
    [InlineData("ForwardedHeaders:KnownNetworks:0", "10.0.0.0",
        "ForwardedHeaders:KnownNetworks:0 is '10.0.0.0', not a network: write an address and a prefix length with the host bits zero, like 10.0.0.0/8.")]
    public void A_bad_address_or_network_stops_the_start_naming_the_key_and_the_value(string key, string value, string message)
    {
        using var site = Site((key, value));

        var refused = Assert.Throws<OptionsValidationException>(() => site.CreateClient());

        Assert.Equal([message], refused.Failures);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_root, recursive: true);
    }
}
