using Course.Core.Content;
using Course.Core.Quizzes;
using Course.Grading.Content;
using Course.Ml.Hub;
using Course.Ml.Hub.Import;
using Course.Tests.Shared;

namespace Course.Grading.Tests;

public sealed class TokenizerQuizKeysTests : IDisposable
{
    private readonly ModelHub _hub = new(Directory.CreateTempSubdirectory("course-quiz-keys-").FullName);

    public TokenizerQuizKeysTests() => _hub.Install(PackagedModels.Find("sentence-transformers/all-MiniLM-L6-v2")!);

    public void Dispose() => Directory.Delete(_hub.Root, recursive: true);

    [Fact]
    public void The_repository_quizzes_validate_with_keys_computed_by_the_tokenizers()
    {
                var snapshot = ContentLoader.Load(Path.Combine(Repository.Root, "content"),
            new ContentLoadOptions(new TokenizerQuizKeys(_hub).Compute));

        Assert.Empty(snapshot.QuizFiles.SelectMany(f => f.Errors));
        var computed = snapshot.Quizzes.SelectMany(q => q.Items).Where(i => i.Type == QuizItemType.Computed).ToList();
        Assert.True(computed.Count >= 5, $"{computed.Count} computed items");
        Assert.All(computed, i => Assert.NotNull(i.NumericAnswer));
        // Reference values from Hugging Face: gpt2's vocab_size, bert-base-uncased's [CLS] and [PAD] ids.
        Assert.Contains(computed, i => i.Compute == new ComputeSpec("vocab_size", "gpt2", null) && i.NumericAnswer == 50257);
        Assert.Contains(computed, i => i.Compute!.Text == "[CLS]" && i.NumericAnswer == 101);
        Assert.Contains(computed, i => i.Compute!.Text == "[PAD]" && i.NumericAnswer == 0);
        // Items with variants: each text keyed on its own (token counts as tiktoken's gpt2 and cl100k_base give them).
        double?[] Keys(string tokenizer) => [.. computed.Single(i => i.Compute!.Tokenizer == tokenizer && i.Variants is { Count: > 1 }).Variants!.Select(v => v.Key)];
        Assert.Equal([6, 10, 12, 11], Keys("gpt2"));
        Assert.Equal([11, 8, 10, 12], Keys("cl100k_base"));
    }
}
