using System.Net;
using Course.Web.Extensions;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Course.Web.Tests;

/// <summary>The real site (Program) in memory over a throw-away data folder and a one-topic module, asked over HTTP.</summary>
public sealed class SecurityHeadersTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("course-headers-").FullName;

    private WebApplicationFactory<Program> Site(bool requireHttps) => InMemorySite.Create(_root, new Dictionary<string, string?>
    {
        ["Security:RequireHttps"] = requireHttps.ToString(),
        ["Security:HstsMaxAgeDays"] = "180",
        ["https_port"] = "443",
    });

    [Theory]
    [InlineData("/", HttpStatusCode.OK)]
    [InlineData("/app.css", HttpStatusCode.OK)]
    [InlineData("/no-such-page", HttpStatusCode.NotFound)]
    [InlineData("/instructor/gradebook.csv", HttpStatusCode.Redirect)] // to the sign-in page
    public async Task Every_response_carries_the_security_headers(string path, HttpStatusCode status)
    {
        await using var site = Site(requireHttps: false);
        using var client = site.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

        using var response = await client.GetAsync(path);

        Assert.Equal(status, response.StatusCode);
        Assert.Equal(
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; font-src 'self' data:; " +
            "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
            Assert.Single(response.Headers.GetValues("Content-Security-Policy")));
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("strict-origin-when-cross-origin", Assert.Single(response.Headers.GetValues("Referrer-Policy")));
        Assert.Equal("DENY", Assert.Single(response.Headers.GetValues("X-Frame-Options")));
        Assert.False(response.Headers.Contains("Strict-Transport-Security"));
    }

    [Fact]
    public async Task The_pages_have_no_inline_script_for_the_policy_to_refuse()
    {
        await using var site = Site(requireHttps: false);
        using var client = site.CreateClient();

        var html = await client.GetStringAsync("/");

        var scripts = System.Text.RegularExpressions.Regex.Matches(html, "<script[^>]*>", System.Text.RegularExpressions.RegexOptions.NonBacktracking)
            .Select(m => m.Value).ToList();
        Assert.Equal(4, scripts.Count);
        Assert.All(scripts, tag => Assert.Matches("^<script src=\"(_framework/blazor\\.web|js/blazor-start|_content/MudBlazor/MudBlazor\\.min|js/layout)", tag));
        // Blazor starts from the site's own file, which gives the browser the server's keep-alive wait.
        Assert.Contains("autostart=\"false\"", scripts[0]);
        Assert.Contains($"data-server-timeout-ms=\"{(int)CircuitKeepAlive.Wait.TotalMilliseconds}\"", scripts[1]);
        Assert.DoesNotContain("importmap", html);
    }

    [Fact]
    public async Task With_RequireHttps_http_is_redirected_and_https_gets_strict_transport_security()
    {
        await using var site = Site(requireHttps: true);
        using var http = site.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, BaseAddress = new Uri("http://course.example") });
        using var https = site.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, BaseAddress = new Uri("https://course.example") });

        using var redirected = await http.GetAsync("/app.css");
        using var secure = await https.GetAsync("/app.css");

        Assert.Equal(HttpStatusCode.TemporaryRedirect, redirected.StatusCode);
        Assert.Equal(new Uri("https://course.example/app.css"), redirected.Headers.Location);
        Assert.Equal(HttpStatusCode.OK, secure.StatusCode);
        Assert.Equal("max-age=15552000; includeSubDomains", Assert.Single(secure.Headers.GetValues("Strict-Transport-Security")));
        Assert.Equal("nosniff", Assert.Single(secure.Headers.GetValues("X-Content-Type-Options")));
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_root, recursive: true);
    }
}
