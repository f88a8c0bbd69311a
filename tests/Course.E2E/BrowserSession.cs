using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Course.E2E;

/// <summary>
/// One browser context (cookie jar) acting as one person. Whatever the journey, every page it opened must have run
/// under the site's Content-Security-Policy without a violation (Chromium reports each on the console).
/// </summary>
public sealed class BrowserSession : IAsyncDisposable
{
    private readonly string baseUrl;
    private readonly IBrowserContext context;
    private readonly List<string> cspViolations = [];

    private BrowserSession(string baseUrl, IBrowserContext context, IPage page)
    {
        (this.baseUrl, this.context, Page) = (baseUrl, context, page);
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.Ordinal))
            {
                lock (cspViolations) cspViolations.Add(message.Text);
            }
        };
    }

    public IPage Page { get; }

    public static Task<BrowserSession> OpenAsync(SiteFixture site) => OpenAsync(site.Browser, site.BaseUrl);

    /// <summary>A new person on the site at <paramref name="baseUrl"/> (a node, or the proxy in front of several).</summary>
    public static async Task<BrowserSession> OpenAsync(IBrowser browser, string baseUrl)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = baseUrl });
        context.SetDefaultTimeout(60_000); // a page on a busy machine, not a training run: those are followed in the database
        return new BrowserSession(baseUrl, context, await context.NewPageAsync());
    }

    /// <summary>Opens a page and, unless told it is a static one, waits until its interactive parts are live.</summary>
    public async Task<IResponse?> GoToAsync(string path, bool interactive = true)
    {
        var response = await Page.GotoAsync(baseUrl.TrimEnd('/') + path);
        if (interactive)
        {
            await WaitUntilInteractiveAsync();
        }
        return response;
    }

    /// <summary>
    /// Waits until every interactive island of the page has rendered in its circuit: each marks itself
    /// <c>data-interactive=false</c> when prerendered and true once live (IslandProviders, LessonCompletion), and a
    /// click before that is lost. A static page has none and is ready at once.
    /// </summary>
    public Task WaitUntilInteractiveAsync() =>
        Page.WaitForFunctionAsync("() => document.querySelector('[data-interactive=false]') === null");

    /// <summary>
    /// Selects a page's tab by its name, clicking again while it is not selected: a click that lands while the page's
    /// first interactive render is still replacing the prerendered tabs is lost (a busy machine showed it), and
    /// selecting a tab twice does nothing more.
    /// </summary>
    public async Task OpenTabAsync(string name)
    {
        var tab = Page.GetByRole(AriaRole.Tab, new() { Name = name });
        for (var attempt = 1; ; attempt++)
        {
            await tab.ClickAsync();
            try
            {
                await Assertions.Expect(tab).ToHaveAttributeAsync("aria-selected", "true", new() { Timeout = 5_000 });
                return;
            }
            catch (PlaywrightException) when (attempt < 12)
            {
            }
        }
    }

    /// <summary>Registers, then signs in: the registration page never signs anyone in (it would reveal taken addresses).</summary>
    public async Task RegisterAsync(string email, string password)
    {
        await GoToAsync("/Account/Register", interactive: false);
        await Page.GetByLabel("Email").FillAsync(email);
        await Page.GetByLabel("Password (12 characters").FillAsync(password);
        await Page.GetByLabel("Confirm password").FillAsync(password);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Register" }).ClickAsync();
        await Assertions.Expect(Page.GetByRole(AriaRole.Status)).ToContainTextAsync($"If {email} did not have an account yet");
        await SignInAsync(email, password);
        // The URL alone, polled: WaitForURLAsync also waits for the page's load event, and in one fresh-clone run (idle
        // machine) the URL had changed but that wait never ended; the islands' own readiness is awaited next.
        await Assertions.Expect(Page).Not.ToHaveURLAsync(new Regex("/Account/Login", RegexOptions.IgnoreCase), new() { Timeout = 60_000 });
        await WaitUntilInteractiveAsync();
    }

    public async Task SignInAsync(string email, string password)
    {
        await GoToAsync("/Account/Login", interactive: false);
        await Page.GetByLabel("Email").FillAsync(email);
        await Page.GetByLabel("Password").FillAsync(password);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).Last.ClickAsync();
    }

    /// <summary>On My account, as a signed-in person: the current password, then the new one twice.</summary>
    public async Task ChangePasswordAsync(string current, string next)
    {
        await GoToAsync("/Account/Manage", interactive: false);
        await Page.GetByLabel("Current password").FillAsync(current);
        await Page.GetByLabel("New password", new() { Exact = true }).FillAsync(next);
        await Page.GetByLabel("Confirm new password").FillAsync(next);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Change password" }).ClickAsync();
        await Assertions.Expect(Page.GetByText("Your password has been changed.")).ToBeVisibleAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await context.DisposeAsync();
        Assert.Empty(cspViolations);
    }
}
