using Microsoft.AspNetCore.Http.Connections;
using Course.Core.Authoring;
using Course.Core.Configuration;
using Course.Core.Content;
using Course.Core.Data;
using Course.Web.Components;
using Course.Web.Components.Account;
using Course.Web.Features.Account;
using Course.Web.Features.Lessons;
using Course.Web.Features.Models;
using Course.Web.Features.Hosting;
using Course.Web.Features.People;
using Course.Web.Features.Quizzes;
using Course.Web.Features.Assignments;
using Course.Web.Features.Authoring;
using Course.Web.Features.Certificates;
using Course.Grading;
using Course.Web.Features.Hub;
using Course.Web.Features.Playgrounds;
using Course.Web.Features.Search;
using Course.Web.Features.Security;
using Course.Ml;
using Course.Ml.Hub;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.AspNetCore.Components.Server.Circuits;
using MudBlazor.Services;
using Course.Grading.Content;

namespace Course.Web.Extensions;

public static class HostingExtensions
{
    public static void AddCourseOptions(this WebApplicationBuilder builder, CourseEnvironment course)
    {
        builder.Services.AddCourseCore(course);
    }

    /// <summary>The database every process registers, migrated and seeded before the site listens.</summary>
    public static void AddCourseDatabase(this WebApplicationBuilder builder)
    {
        builder.Services.AddCourseDatabase();
        builder.Services.AddHostedService<DatabaseInitializer>();
    }

    public static void AddCourseIdentity(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddCascadingAuthenticationState();
        services.AddScoped<IdentityRedirectManager>();
        services.AddScoped<AuthenticationStateProvider, IdentityRevalidatingAuthenticationStateProvider>();
        services.AddAuthentication(options =>
            {
                options.DefaultScheme = IdentityConstants.ApplicationScheme;
                options.DefaultSignInScheme = IdentityConstants.ExternalScheme;
            })
            .AddIdentityCookies();
        services.AddAuthorizationBuilder()
            .AddPolicy(CoursePolicies.Instructor, policy => policy.RequireRole(CourseRoles.Instructor));

        services.AddIdentityCore<CourseUser>(options =>
            {
                options.SignIn.RequireConfirmedAccount = false;
                options.User.RequireUniqueEmail = true;
                // Length and a common-password list rather than composition rules (ASVS 2.1.1, 2.1.7, 2.1.9).
                options.Password.RequiredLength = 12;
                options.Password.RequiredUniqueChars = 5;
                options.Password.RequireDigit = false;
                options.Password.RequireLowercase = false;
                options.Password.RequireUppercase = false;
                options.Password.RequireNonAlphanumeric = false;
                options.Lockout.AllowedForNewUsers = true;
                options.Tokens.PasswordResetTokenProvider = ResetLinkTokenProvider.ProviderName;
            })
            .AddRoles<IdentityRole>()
            .AddPasswordValidator<PasswordLengthValidator>()
            .AddEntityFrameworkStores<CourseDbContext>()
            .AddSignInManager()
            .AddDefaultTokenProviders()
            .AddTokenProvider<ResetLinkTokenProvider>(ResetLinkTokenProvider.ProviderName)
            .AddPasswordValidator<CommonPasswordValidator>()
            .AddClaimsPrincipalFactory<CourseClaimsPrincipalFactory>();
        // Every request checks the cookie's security stamp against the database, so signing out (which replaces
        // the stamp) ends copies of the cookie at once rather than after Identity's default 30 minutes.
        services.Configure<SecurityStampValidatorOptions>(options => options.ValidationInterval = TimeSpan.Zero);
        services.AddOptions<IdentityOptions>().Configure<IOptions<AccountOptions>>((identity, accounts) =>
        {
            identity.Lockout.MaxFailedAccessAttempts = accounts.Value.MaxFailedAccessAttempts;
            identity.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(accounts.Value.LockoutMinutes);
        });
        services.AddOptions<DataProtectionTokenProviderOptions>().Configure<IOptions<AccountOptions>>((tokens, accounts) =>
            tokens.TokenLifespan = TimeSpan.FromHours(accounts.Value.LinkLifetimeHours));

        // A signed-in user without the role gets 403 (explained by the status page), not a redirect that hides it.
        services.ConfigureApplicationCookie(options => options.Events.OnRedirectToAccessDenied = context =>
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            return Task.CompletedTask;
        });

        // Keys in the database, so sign-in cookies survive a restart and every web node on the database accepts them.
        services.AddCourseDataProtection();

        services.AddScoped<AccountService>();
        services.AddScoped<PeopleService>();
        services.AddScoped<PersonalDataService>();
        services.AddScoped<RegistrationService>();
    }

    /// <summary>The rate limits the services apply themselves (<see cref="RequestLimiter"/>) and the client address they count by.</summary>
    public static void AddCourseRateLimits(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section);
        builder.Services.AddSingleton<RequestLimiter>();
        builder.Services.AddScoped<ClientConnection>();
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddScoped<CircuitHandler, ClientConnection.CircuitAddress>();
    }

    public static void AddCourseContent(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ContentRepository>();
        builder.Services.AddHostedService<ContentHotReload>();
        builder.Services.AddOptions<Course.Grading.Search.SearchOptions>().ValidateOnStart();
        builder.Services.AddSingleton<SearchIndexing>();
        builder.Services.AddHostedService(services => services.GetRequiredService<SearchIndexing>());
        builder.Services.AddSingleton<ContentEditor>();
        builder.Services.AddTransient<EditorSession>(); // one per editor page: its open file and typing
        builder.Services.AddScoped<LessonProgressService>();
        builder.Services.AddScoped<QuizAttemptService>();
        builder.Services.AddScoped<ProgressDashboardService>();
        builder.Services.AddScoped<Features.Statistics.CourseStatisticsService>();
    }

    /// <summary>The playgrounds and the queued builds of missing demo models (the hub comes with grading's services).</summary>
    public static void AddCourseMl(this WebApplicationBuilder builder)
    {
        builder.Services.AddCourseMl();
        builder.Services.AddHostedService<TorchDeviceCheck>();
        builder.Services.AddSingleton<DemoBuildStatus>();
        builder.Services.AddSingleton<HubVisibility>();
        builder.Services.AddSingleton<ModelSharing>();
        builder.Services.AddSingleton<ModelPages>();
        builder.Services.AddSingleton<ChildProcesses>();
        builder.Services.AddHostedService<DemoModelBuilder>();
        builder.Services.AddOptions<PlaygroundOptions>().BindConfiguration(PlaygroundOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<PlaygroundOptions>, PlaygroundOptions.Validation>();
        builder.Services.AddSingleton<TokenizerPlaygroundService>();
        builder.Services.AddSingleton<InferenceService>();
    }

    /// <summary>The grading queue, the services of the assignment pages, and the worker processes beside the site.</summary>
    public static void AddCourseGrading(this WebApplicationBuilder builder)
    {
        builder.Services.AddCourseGrading();
        // The content repository (and the editor through it) makes every check `./course content validate` makes.
        builder.Services.AddSingleton(services =>
        {
            var course = services.GetRequiredService<CourseEnvironment>();
            return ContentChecks.Create(services.GetRequiredService<ModelHub>(),
                course.Resolve(services.GetRequiredService<IOptions<GradingOptions>>().Value.HiddenDataPath), WebRoots(services));
        });
        builder.Services.AddScoped<AssignmentService>();
        builder.Services.AddScoped<ReportService>();
        builder.Services.AddSingleton(services =>
        {
            var course = services.GetRequiredService<CourseEnvironment>();
            var content = course.Resolve(services.GetRequiredService<IOptions<ContentOptions>>().Value.Path);
            return new HiddenSplitUpload(services.GetRequiredService<HiddenSplits>(), Path.Combine(content, "datasets"), [content, .. WebRoots(services)],
                services.GetRequiredService<IDbContextFactory<CourseDbContext>>(), services.GetRequiredService<TimeProvider>());
        });
        builder.Services.AddHostedService<GradingWorkerSupervisor>();
        // One view of the jobs in flight per node, pushed to the pages that show them: read when PostgreSQL notifies a
        // change, or every interval on SQLite. Chosen when the host starts, so a test host's Database:Provider counts.
        builder.Services.AddSingleton<JobChangeHub>();
        builder.Services.AddSingleton(services => JobChangePoller.For(services, services.GetRequiredService<IOptions<DatabaseOptions>>().Value.Provider));
    }

    /// <summary>Certificates of completion: the policy check, issuing, the signing keys, the PDF and the public verification page.</summary>
    public static void AddCourseCertificates(this WebApplicationBuilder builder)
    {
        builder.Services.AddScoped<CertificateKeyRing>();
        builder.Services.AddScoped<CertificateService>();
    }

    /// <summary>
    /// The folders static files are served from: the build output's wwwroot (null where the output has none) and,
    /// through the manifest, the source one. Nothing hidden may lie inside them.
    /// </summary>
    private static List<string> WebRoots(IServiceProvider services) =>
        new[] { services.GetRequiredService<IWebHostEnvironment>().WebRootPath,
                services.GetRequiredService<CourseEnvironment>().Resolve(Path.Combine("src", "Course.Web", "wwwroot")) }
            .Where(p => !string.IsNullOrEmpty(p)).ToList();

    public static void AddCourseUi(this WebApplicationBuilder builder)
    {
        // The content editor sends a whole file per input event; SignalR's 32 KB default would drop the circuit on a long lesson.
        builder.Services.AddRazorComponents().AddInteractiveServerComponents()
            .AddHubOptions(options => (options.MaximumReceiveMessageSize, options.ClientTimeoutInterval) = (1024 * 1024, CircuitKeepAlive.Wait));
        // SignalR drops a negotiated connection whose socket has not arrived within DisconnectTimeout (15 s by default)
        // and the browser's WebSocket then gets a 404; on a busy server the page's scripts can take longer than that.
        builder.Services.Configure<ConnectionOptions>(options => options.DisconnectTimeout = TimeSpan.FromSeconds(90));
        builder.Services.AddMudServices();
        // Behind a reverse proxy (see README), X-Forwarded-For/Proto are trusted from loopback and the ForwardedHeaders section's proxies only.
        builder.Services.AddOptions<TrustedProxyOptions>().BindConfiguration(TrustedProxyOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<TrustedProxyOptions>, TrustedProxyOptions.Validation>();
        builder.Services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<TrustedProxyOptions>>((options, proxies) => proxies.Value.ApplyTo(options));
    }

    public static void UseCoursePipeline(this WebApplication app)
    {
        // Behind a proxy the scheme comes from X-Forwarded-Proto, so the https checks come after it.
        app.UseForwardedHeaders();
        app.UseCourseSecurity();
        if (!app.Environment.IsDevelopment())
        {
            app.UseExceptionHandler("/Error", createScopeForErrors: true);
        }
        app.UseStatusCodePagesWithReExecute("/status/{0}", createScopeForStatusCodePages: true);
        // Explicitly after the status pages, so a 403 from authorization is re-executed into its explanation.
        app.UseAuthentication();
        app.UseFirstPasswordChange();
        app.UseAuthorization();
        app.UseAntiforgery();
    }

    public static void MapCourseEndpoints(this WebApplication app)
    {
        app.MapStaticAssets();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        app.MapAccountEndpoints();
        app.MapAssignmentEndpoints();
        app.MapAuthoringEndpoints();
        app.MapCertificateEndpoints();
    }
}

public static class CoursePolicies
{
    public const string Instructor = "Instructor";
}
