using Course.Ml.Hub;
using Course.Ml.Pipelines;
using Course.Ml.Search;
using Course.Tests.Shared;
using static TorchSharp.torch;

namespace Course.Ml.Tests;

/// <summary>Mean pooling, normalisation and cosine similarity as sentence-transformers computes them, on a tiny random BERT.</summary>
public sealed class SentenceEmbeddingTests : IDisposable
{
    private readonly ModelHub _hub = new(Directory.CreateTempSubdirectory("course-embeddings-").FullName);

    [Fact]
    public void Mean_pooling_averages_the_tokens_the_mask_keeps()
    {
        // (1, 3, 2): two real tokens and one padding position with a large vector that must not count.
        using var hidden = tensor(new float[] { 1, 2, 3, 4, 100, -100 }, [1, 3, 2]);
        using var mask = tensor(new long[] { 1, 1, 0 }, [1, 3]);

        using var pooled = SentenceEmbeddingPipeline.MeanPooling(hidden, mask);

        Assert.Equal([2f, 3f], pooled.data<float>().ToArray());
    }

    [Fact]
    public void A_padded_batch_gives_each_text_the_embedding_it_gets_alone()
    {
        using var pipeline = SentenceEmbeddingPipeline.FromPretrained(TinyDemoModels.WriteEmbedder(_hub), _hub, CPU);
        string[] texts = ["Padding.", "A much longer sentence, so the first one is padded to its length in the batch."];

        var batched = pipeline.Encode(texts, batchSize: 2);
        var alone = texts.Select(pipeline.Encode).ToList();

        Assert.NotEqual(pipeline.Tokenizer.Encode(texts[0]).Length, pipeline.Tokenizer.Encode(texts[1]).Length);
        for (var i = 0; i < texts.Length; i++)
        {
            Assert.Equal(pipeline.Dimension, batched[i].Length);
            for (var d = 0; d < pipeline.Dimension; d++)
            {
                Assert.Equal(alone[i][d], batched[i][d], 5);
            }
        }
    }

    [Fact]
    public void Embeddings_have_unit_length_so_a_text_is_cosine_1_to_itself()
    {
        using var pipeline = SentenceEmbeddingPipeline.FromPretrained(TinyDemoModels.WriteEmbedder(_hub), _hub, CPU);

        var embeddings = pipeline.Encode(["The tokenizer pads the batch.", "Fine-tuning adapts the model."]);

        Assert.All(embeddings, e => Assert.Equal(1.0, Math.Sqrt(e.Sum(v => (double)v * v)), 5));
        Assert.Equal(1f, SentenceEmbeddingPipeline.CosineSimilarity(embeddings[0], embeddings[0]), 5);
        Assert.True(SentenceEmbeddingPipeline.CosineSimilarity(embeddings[0], embeddings[1]) < 0.9999f);
    }

    [Fact]
    public void Cosine_similarity_is_the_angle_between_vectors_whatever_their_length()
    {
        Assert.Equal(1f, SentenceEmbeddingPipeline.CosineSimilarity([1, 2], [2, 4]), 6);
        Assert.Equal(0f, SentenceEmbeddingPipeline.CosineSimilarity([1, 0], [0, 3]), 6);
        Assert.Equal(-1f, SentenceEmbeddingPipeline.CosineSimilarity([1, 1], [-2, -2]), 6);
    }

    /// <summary>Axis vectors by first word, so the expected ranking is known exactly; counts what it embeds.</summary>
    private sealed class AxisEncoder
    {
        private static readonly string[] Axes = ["padding", "training", "hub"];

        public List<string> Embedded { get; } = [];

        public IReadOnlyList<float[]> Encode(IReadOnlyList<string> texts, CancellationToken cancellationToken = default)
        {
            cancellationToken.ThrowIfCancellationRequested(); // as the pipeline does before a batch
            Embedded.AddRange(texts);
            return texts.Select(t => Axes.Select(a => t.Contains(a, StringComparison.Ordinal) ? 1f : 0f).ToArray()).ToList();
        }
    }

    [Fact]
    public void A_document_ranks_by_its_best_passage_and_an_update_embeds_only_new_text()
    {
        var encoder = new AxisEncoder();
        var index = new EmbeddingIndex(encoder.Encode);

        var first = index.Update([new("tokenization", "padding and hub"), new("tokenization", "padding"), new("trainer", "training")]);
        var hits = index.Search("padding", 5);
        encoder.Embedded.Clear();
        var second = index.Update([new("tokenization", "padding"), new("trainer", "training"), new("hub", "hub")]);
        var hub = index.Search("hub", 1);

        Assert.Equal((3, 3), (first.Passages, first.Embedded));
        Assert.Equal([("tokenization", "padding", 1f), ("trainer", "training", 0f)], hits.Select(h => (h.Key, h.Passage, h.Score)));
        Assert.Equal((3, 1), (second.Passages, second.Embedded));
        Assert.Equal(["hub", "hub"], encoder.Embedded); // the new passage, then the query
        Assert.Equal("hub", hub.Single().Key);
    }

    [Fact]
    public void A_cancelled_update_embeds_nothing_more_and_keeps_the_index_it_had()
    {
        var encoder = new AxisEncoder();
        var index = new EmbeddingIndex(encoder.Encode);
        index.Update([new("hub", "hub")]);
        using var stopping = new CancellationTokenSource();
        stopping.Cancel();
        encoder.Embedded.Clear();

        Assert.Throws<OperationCanceledException>(() => index.Update([new("a", "padding"), new("b", "training")], stopping.Token));

        Assert.Empty(encoder.Embedded);
        Assert.Equal(1, index.Count);
        Assert.Equal("hub", index.Search("hub", 5).Single().Key);
    }

    [Fact]
    public void A_cancelled_embedding_runs_no_further_batch()
    {
        using var pipeline = SentenceEmbeddingPipeline.FromPretrained(TinyDemoModels.WriteEmbedder(_hub), _hub, CPU);
        using var stopping = new CancellationTokenSource();
        stopping.Cancel();

        Assert.Throws<OperationCanceledException>(() => pipeline.Encode(["The hub hosts models.", "Padding fills a batch."], batchSize: 1, stopping.Token));
        Assert.Equal(2, pipeline.Encode(["The hub hosts models.", "Padding fills a batch."], batchSize: 1, CancellationToken.None).Count);
    }

    [Fact]
    public void Embeddings_kept_in_the_cache_are_not_computed_again_unless_the_file_is_of_other_weights_or_garbled()
    {
        Passage[] passages = [new("tokenization", "padding and hub"), new("trainer", "training")];
        var first = new EmbeddingIndex(new AxisEncoder().Encode);
        first.Update(passages);
        var path = Path.Combine(_hub.Root, "cache", "embeddings.bin");
        new EmbeddingCache(path, "weights-a").Save(first.Vectors);

        var encoder = new AxisEncoder();
        var restarted = new EmbeddingIndex(encoder.Encode, new EmbeddingCache(path, "weights-a").Load());
        var update = restarted.Update(passages);
        var otherWeights = new EmbeddingCache(path, "weights-b").Load();
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..40]); // cut short, as by a crash mid-copy
        var garbled = new EmbeddingCache(path, "weights-a").Load();

        Assert.Equal((2, 0), (update.Passages, update.Embedded));
        Assert.Empty(encoder.Embedded);
        Assert.Equal(first.Vectors.OrderBy(v => v.Key).Select(v => v.Value), restarted.Vectors.OrderBy(v => v.Key).Select(v => v.Value));
        Assert.Empty(otherWeights);
        Assert.Empty(garbled);
    }

    [Fact]
    public void The_cache_of_a_hub_model_is_not_used_once_its_weights_change()
    {
        var id = TinyDemoModels.WriteEmbedder(_hub);
        EmbeddingCache.For(_hub, id).Save(new Dictionary<string, float[]> { ["hash"] = [1f, 0f] });
        var kept = EmbeddingCache.For(_hub, id).Load();
        var weights = Directory.EnumerateFiles(_hub.PathOf(id), "*.safetensors").Single();
        File.SetLastWriteTimeUtc(weights, File.GetLastWriteTimeUtc(weights).AddMinutes(1)); // the model built again

        Assert.Equal([1f, 0f], kept["hash"]);
        Assert.Empty(EmbeddingCache.For(_hub, id).Load());
    }

    public void Dispose() => Directory.Delete(_hub.Root, recursive: true);
}
