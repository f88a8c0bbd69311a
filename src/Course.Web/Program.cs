using Course.Core.Configuration;
using Course.Core.Data;
using Course.Web.Extensions;
using Course.Web.Features.Hosting;

var course = CourseEnvironment.Discover();
if (args is [ChildProcesses.WorkerMode, .. var settings])
{
    return await ChildProcesses.RunAsync(course, args[0], settings);
}
var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args,
    // The site runs from its build output; its static assets are found through the manifest there.
    ContentRootPath = AppContext.BaseDirectory,
});
builder.Configuration.AddCourseConfiguration(course, builder.Environment.EnvironmentName, args);
builder.WebHost.UseStaticWebAssets();

builder.AddCourseOptions(course);
builder.AddCourseSecurity();
builder.AddCourseDatabase();
builder.AddCourseIdentity();
builder.AddCourseRateLimits();
builder.AddCourseContent();
builder.AddCourseMl();
builder.AddCourseGrading();
builder.AddCourseCertificates();
builder.AddCourseUi();

var app = builder.Build();
app.UseCoursePipeline();
app.MapCourseEndpoints();
try
{
    await app.RunAsync();
}
catch (DatabaseNotMigratedException ex)
{
    // What to run, not a stack trace: the site never starts against a database `./course migrate` has not brought up to date.
    Console.Error.WriteLine($"error: {ex.Message}");
    return 1;
}
catch (Microsoft.Extensions.Options.OptionsValidationException ex)
{
    // A setting the options refuse (they name the key and the value): what to fix, not a stack trace.
    Console.Error.WriteLine($"error: {string.Join(Environment.NewLine + "error: ", ex.Failures)}");
    return 1;
}
return 0;

/// <summary>Entry point; public so end-to-end tests can host the real site.</summary>
public partial class Program;
