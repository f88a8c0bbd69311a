using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;

namespace Course.Web.Tests;

/// <summary>The real site (Program) in memory over a throw-away data folder and a one-topic module.</summary>
public static class InMemorySite
{
    /// <param name="root">A temporary folder for the database, data, content and hub.</param>
    /// <param name="settings">Settings added to (or replacing) the site's for this test.</param>
    public static WebApplicationFactory<Program> Create(string root, IReadOnlyDictionary<string, string?> settings)
    {
        var content = Path.Combine(root, "content");
        Directory.CreateDirectory(Path.Combine(content, "topics", "4.1-t"));
        File.WriteAllText(Path.Combine(content, "module.yaml"),
            "id: m\ntitle: Test\nweek: 4\ngoal: Test.\ntopics:\n  - id: \"4.1\"\n    title: T\n    folder: 4.1-t\n    duration: 1 hour\n    objectives: [X]\n");
        var all = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Course"] = $"Data Source={Path.Combine(root, "course.db")}",
            ["Data:Path"] = root,
            ["Content:Path"] = content,
            ["Content:Watch"] = "false",
            ["Ml:HubPath"] = Path.Combine(root, "hub"),
            ["Ml:BuildDemoModels"] = "false",
            ["Grading:Workers"] = "0",
        };
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }
        return new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
            builder.ConfigureAppConfiguration((_, configuration) => configuration.AddInMemoryCollection(all)));
    }
}
