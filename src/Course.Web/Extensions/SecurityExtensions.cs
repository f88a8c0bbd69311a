using Microsoft.AspNetCore.HttpsPolicy;
using Microsoft.Extensions.Options;

namespace Course.Web.Extensions;

/// <summary>The <c>Security</c> section of appsettings.json.</summary>
public sealed class SecurityOptions
{
    public const string Section = "Security";

    /// <summary>
    /// Redirect http to https and send Strict-Transport-Security. Off by default: <c>./course run</c> serves plain
    /// http on 127.0.0.1; turn it on where the site (or its reverse proxy, see README) serves https.
    /// </summary>
    public bool RequireHttps { get; set; }

    /// <summary>How long browsers remember to use https only (HSTS max-age).</summary>
    public int HstsMaxAgeDays { get; set; } = 365;
}

/// <summary>Security headers on every response, and https enforcement where <see cref="SecurityOptions.RequireHttps"/> asks.</summary>
public static class SecurityExtensions
{
    /// <summary>
    /// Scripts only from the site itself (blazor.web.js, MudBlazor.min.js: no inline script or eval anywhere), the
    /// Blazor circuit's WebSocket to the same origin ('self' covers ws: and wss: there), styles from the site plus
    /// inline ones (MudBlazor writes style attributes and its theme as a style element), images from the site, data:
    /// (MudBlazor's CSS) and https (Markdown may embed https images), and no framing by other sites (clickjacking).
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; font-src 'self' data:; " +
        "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    public static void AddCourseSecurity(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<SecurityOptions>().BindConfiguration(SecurityOptions.Section);
        builder.Services.AddOptions<HstsOptions>().Configure<IOptions<SecurityOptions>>((hsts, security) =>
        {
            hsts.MaxAge = TimeSpan.FromDays(security.Value.HstsMaxAgeDays);
            hsts.IncludeSubDomains = true;
        });
    }

    /// <summary>First in the pipeline, so every response carries the headers, error and status pages included.</summary>
    public static void UseCourseSecurity(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<SecurityOptions>>().Value.RequireHttps)
        {
            app.UseHsts();
            app.UseHttpsRedirection();
        }
        app.Use((context, next) =>
        {
            // Set as the response starts: the exception handler clears headers set before it re-executes.
            context.Response.OnStarting(() =>
            {
                var headers = context.Response.Headers;
                headers.ContentSecurityPolicy = ContentSecurityPolicy;
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "strict-origin-when-cross-origin";
                // For browsers without CSP frame-ancestors.
                headers.XFrameOptions = "DENY";
                return Task.CompletedTask;
            });
            return next(context);
        });
    }
}
