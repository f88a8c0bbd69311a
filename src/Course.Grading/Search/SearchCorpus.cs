using Course.Core.Content;
using Course.Core.Search;
using Course.Ml.Hub;

namespace Course.Grading.Search;

/// <summary>What the site's search covers: the lessons and quiz questions of a content snapshot, and the dataset cards beside them.</summary>
public static class SearchCorpus
{
    public static IReadOnlyList<SearchDocument> For(ContentSnapshot content, string contentRoot) =>
        [.. SearchDocuments.FromContent(content), .. Datasets(Path.Combine(contentRoot, "datasets"))];

    private static IEnumerable<SearchDocument> Datasets(string folder) => new DatasetCatalog(folder).List().Select(dataset =>
    {
        var text = LessonMarkdown.Render(dataset.Card.Body, $"datasets/{dataset.Id}/README.md", _ => null).PlainText;
        var title = dataset.Card.Value("pretty_name") ?? dataset.Id;
        return new SearchDocument($"dataset:{dataset.Id}", SearchKind.Dataset, title, $"/hub/datasets/{Uri.EscapeDataString(dataset.Id)}", text,
            SearchDocuments.Passages(title, text));
    });
}
