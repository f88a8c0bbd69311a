using System.Threading.Channels;
using Course.Core.Configuration;
using Course.Core.Content;
using Course.Core.Search;
using Course.Grading.Search;
using Course.Ml.Hub;
using Course.Tests.Shared;
using Course.Web.Features.Search;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Course.Web.Tests;

/// <summary>The site's search index follows the content: built at start, updated by hot reload, re-embedding only what changed.</summary>
public sealed class SearchIndexingTests : IDisposable
{
    private readonly TempContent _content = new();
    private readonly ModelHub _hub = new(Directory.CreateTempSubdirectory("course-search-hub-").FullName);

    [Fact]
    public async Task A_hot_reload_updates_the_index_and_re_embeds_only_the_edited_passage()
    {
        _content.Write("topics/4.1-first/01-padding.md", TempContent.Lesson("4.1", 1, "Padding", "Pad every sequence of the batch.\n\nThe attention mask hides the padding."));
        var training = _content.Write("topics/4.2-second/01-training.md", TempContent.Lesson("4.2", 1, "Training", "The trainer runs the loop."));
        var repository = new ContentRepository(new CourseEnvironment(_content.Root), Options.Create(new ContentOptions { Path = "." }), NullLogger<ContentRepository>.Instance);
        using var index = new EmbeddingSemanticIndex(_hub, TorchSharp.torch.CPU, Options.Create(new SearchOptions { Model = TinyDemoModels.WriteEmbedder(_hub) }),
            NullLogger<EmbeddingSemanticIndex>.Instance);
        var search = new CourseSearch(index);
        using var indexing = new SearchIndexing(repository, search, NullLogger<SearchIndexing>.Instance);
        var updates = Channel.CreateUnbounded<int>();
        indexing.Updated += _ => updates.Writer.TryWrite(index.LastUpdate?.Embedded ?? -1);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));

        await indexing.StartAsync(timeout.Token);
        var built = await updates.Reader.ReadAsync(timeout.Token);
        using var watcher = new ContentWatcher(repository, TimeSpan.FromMilliseconds(100));
        _content.Write(training, TempContent.Lesson("4.2", 1, "Training", "The trainer runs the loop and evaluates after each epoch."));
        // The watcher may reload more than once for one save; the edit is embedded once in all.
        var embeddedSinceEdit = await updates.Reader.ReadAsync(timeout.Token);
        while (search.Search("evaluates", SearchMode.Keyword).Hits.Count == 0)
        {
            embeddedSinceEdit += await updates.Reader.ReadAsync(timeout.Token);
        }
        await indexing.StopAsync(CancellationToken.None);

        Assert.Equal(2, built);
        Assert.Equal(1, embeddedSinceEdit);
        Assert.Equal(2, index.LastUpdate!.Passages);
        Assert.True(search.SemanticStatus.Ready, search.SemanticStatus.Message);
        Assert.Equal(["4.2/training"], search.Search("evaluates", SearchMode.Keyword).Hits.Select(h => h.Document.Id));
        var byMeaning = search.Search("evaluates after each epoch", SearchMode.Embedding).Hits;
        Assert.Equal(["4.1/padding", "4.2/training"], byMeaning.Select(h => h.Document.Id).Order());
        Assert.Equal("The trainer runs the loop and evaluates after each epoch.", byMeaning.Single(h => h.Document.Id == "4.2/training").Snippet);
    }

    [Fact]
    public void Once_disposed_the_index_neither_updates_nor_searches_with_the_freed_model()
    {
        var index = new EmbeddingSemanticIndex(_hub, TorchSharp.torch.CPU, Options.Create(new SearchOptions { Model = TinyDemoModels.WriteEmbedder(_hub) }),
            NullLogger<EmbeddingSemanticIndex>.Instance);
        var search = new CourseSearch(index);
        search.Update([new SearchDocument("4.1/a", SearchKind.Lesson, "A", "/topics/4.1/a", "Padding text.", ["A: Padding text."])]);
        Assert.Equal(["4.1/a"], search.Search("padding text", SearchMode.Embedding).Hits.Select(h => h.Document.Id));

        index.Dispose(); // the site stopping
        search.Update([new SearchDocument("4.1/b", SearchKind.Lesson, "B", "/topics/4.1/b", "Attention masks.", ["B: Attention masks."])]);

        Assert.Equal(1, index.LastUpdate!.Passages); // the update before the dispose
        Assert.Empty(index.Search("attention masks", 5));
        index.Dispose();
    }

    [Fact]
    public void Without_the_model_the_index_says_search_is_by_keywords_only()
    {
        using var index = new EmbeddingSemanticIndex(_hub, TorchSharp.torch.CPU, Options.Create(new SearchOptions { Model = "nobody/no-such-model" }),
            NullLogger<EmbeddingSemanticIndex>.Instance);
        var search = new CourseSearch(index);

        search.Update([new SearchDocument("4.1/a", SearchKind.Lesson, "A", "/topics/4.1/a", "Padding text.", ["A: Padding text."])]);
        var results = search.Search("padding");

        Assert.False(search.SemanticStatus.Ready);
        Assert.StartsWith("Searching by keywords only: the embedding model nobody/no-such-model is not in the local hub", search.SemanticStatus.Message);
        Assert.Equal(SearchMode.Keyword, results.Mode);
        Assert.Equal(["4.1/a"], results.Hits.Select(h => h.Document.Id));
        Assert.Equal(search.SemanticStatus.Message, results.Notice);
    }

    public void Dispose()
    {
        _content.Dispose();
        Directory.Delete(_hub.Root, recursive: true);
    }
}
