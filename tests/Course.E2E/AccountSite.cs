using System.Net;
using System.Text.RegularExpressions;
using Course.Core.Configuration;
using Course.Core.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Course.E2E;

/// <summary>
/// The real site in memory (TestServer) over a data folder it creates itself, for checks at the HTTP level:
/// cookies, antiforgery, redirects, file modes. No browser and no grading workers; what it printed on its
/// first start is kept in <see cref="FirstStartOutput"/>.
/// </summary>
public sealed class AccountSite : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("course-accounts-").FullName;
    private WebApplicationFactory<Program>? _factory;

    /// <summary>Does not exist before the site starts, so the site creates it (and its modes are the site's).</summary>
    public string DataPath => Path.Combine(_root, "data");

    public string FirstStartOutput { get; private set; } = "";

    public IServiceProvider Services => _factory!.Services;

    public Task InitializeAsync()
    {
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
            builder.ConfigureAppConfiguration((_, configuration) => configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ConnectionStrings:Course"] = $"Data Source={Path.Combine(DataPath, "course.db")}",
                ["Data:Path"] = DataPath,
                ["Content:Path"] = CourseEnvironment.Discover().Resolve("content"),
                ["Content:Watch"] = "false",
                ["Ml:HubPath"] = Path.Combine(DataPath, "hub"),
                ["Ml:BuildDemoModels"] = "false",
                // The account tests never search: the course's passages are not embedded beside them.
                ["Search:Model"] = "",
                ["Grading:Workers"] = "0",
                ["RateLimits:Submission:PerUser"] = "2",
            })));
        var console = Console.Out;
        var output = new StringWriter();
        Console.SetOut(output);
        try
        {
            _factory.StartServer();
        }
        finally
        {
            Console.SetOut(console);
        }
        FirstStartOutput = output.ToString();
        return Task.CompletedTask;
    }

    public HttpSession Session() => new(_factory!.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false }));

    /// <summary>A student account made directly, as registration would.</summary>
    public async Task<CourseUser> AddStudentAsync(string email, string password)
    {
        await using var scope = Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<CourseUser>>();
        var user = new CourseUser { UserName = email, Email = email };
        Assert.True((await users.CreateAsync(user, password)).Succeeded);
        Assert.True((await users.AddToRoleAsync(user, CourseRoles.Student)).Succeeded);
        return user;
    }

    public async Task DisposeAsync()
    {
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }
        Directory.Delete(_root, recursive: true);
    }
}

/// <summary>One client with its own cookie jar, kept by hand so a test can copy a cookie into another session.</summary>
public sealed partial class HttpSession(HttpClient client) : IDisposable
{
    public const string AuthenticationCookie = ".AspNetCore.Identity.Application";

    public Dictionary<string, string> Cookies { get; } = [];

    public async Task<HttpResponseMessage> GetAsync(string path) => await SendAsync(new HttpRequestMessage(HttpMethod.Get, path));

    public async Task<HttpResponseMessage> PostAsync(string path, IDictionary<string, string> form) =>
        await SendAsync(new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(form) });

    /// <summary>Fills and posts a statically rendered form (Blazor's <c>_handler</c> and the antiforgery token from the page).</summary>
    public async Task<HttpResponseMessage> SubmitFormAsync(string pagePath, string formName, IDictionary<string, string> fields)
    {
        var page = await (await GetAsync(pagePath)).Content.ReadAsStringAsync();
        var form = new Dictionary<string, string>(fields) { ["_handler"] = formName, ["__RequestVerificationToken"] = TokenIn(page) };
        return await PostAsync(pagePath, form);
    }

    public async Task<HttpResponseMessage> SignInAsync(string email, string password) =>
        await SubmitFormAsync("/Account/Login", "login", new Dictionary<string, string> { ["Input.Email"] = email, ["Input.Password"] = password });

    public static string TokenIn(string html) => TokenPattern().Match(html) is { Success: true } match
        ? WebUtility.HtmlDecode(match.Groups[1].Value)
        : throw new InvalidOperationException("The page has no antiforgery token.");

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request)
    {
        if (Cookies.Count > 0)
        {
            request.Headers.Add("Cookie", string.Join("; ", Cookies.Select(c => $"{c.Key}={c.Value}")));
        }
        var response = await client.SendAsync(request);
        foreach (var header in response.Headers.TryGetValues("Set-Cookie", out var values) ? values : [])
        {
            var pair = header.Split(';')[0].Split('=', 2);
            if (header.Contains("expires=Thu, 01 Jan 1970", StringComparison.OrdinalIgnoreCase))
            {
                Cookies.Remove(pair[0]);
            }
            else
            {
                Cookies[pair[0]] = pair[1];
            }
        }
        return response;
    }

    public void Dispose() => client.Dispose();

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();
}
