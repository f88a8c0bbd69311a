using System.Xml.Linq;
using Course.Tests.Shared;

namespace Course.Core.Tests;

/// <summary>The project references are the dependency graph docs/architecture.md draws; this keeps the two equal.</summary>
public class ProjectGraphTests
{
    // Course.Ml depends on nothing of the course's domain: the YAML layer is all the two share.
    private static readonly Dictionary<string, string[]> Graph = new()
    {
        ["Course.Yaml"] = [],
        ["Course.Core"] = ["Course.Yaml"],
        ["Course.Ml"] = ["Course.Yaml"],
        ["Course.Migrations.PostgreSQL"] = ["Course.Core"],
        ["Course.Grading"] = ["Course.Core", "Course.Migrations.PostgreSQL", "Course.Ml"],
        ["Course.Web"] = ["Course.Grading"],
        ["Course.Cli"] = ["Course.Grading"],
    };

    [Fact]
    public void Every_source_project_references_exactly_what_the_architecture_graph_says()
    {
        var projects = Directory.GetFiles(Path.Combine(Repository.Root, "src"), "*.csproj", SearchOption.AllDirectories)
            .ToDictionary(Path.GetFileNameWithoutExtension, file => XDocument.Load(file).Descendants("ProjectReference")
                .Select(r => Path.GetFileNameWithoutExtension(r.Attribute("Include")!.Value.Replace('\\', '/'))).Order().ToArray());

        Assert.Equal(Graph.Keys.Order(), projects.Keys.Order());
        foreach (var (project, references) in Graph)
        {
            Assert.True(references.Order().SequenceEqual(projects[project]), $"{project} references {string.Join(", ", projects[project])}; the graph says {string.Join(", ", references)}");
        }
    }

    [Fact]
    public void The_architecture_document_draws_the_same_graph()
    {
        var document = File.ReadAllText(Path.Combine(Repository.Root, "docs", "architecture.md"));

        foreach (var (project, references) in Graph)
        {
            Assert.Contains($"{project} → {(references.Length == 0 ? "(nothing)" : string.Join(", ", references))}", document);
        }
    }
}
