using Course.Core.Data;
using Course.Web.Features.Hub;
using Course.Ml.Tokenization;

namespace Course.Web.Tests;

public class ModelPagesTests(TinyHub tiny) : IClassFixture<TinyHub>, IDisposable
{
    private readonly TestDatabase _database = new();

    private static readonly TimeProvider Clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 11, 28, 9, 0, 0, TimeSpan.Zero));

    private ModelPages Pages => new(tiny.Hub, new HubVisibility(_database.Factory, TestContent.Repository, Clock),
        new ModelSharing(_database.Factory, TestContent.Repository, tiny.Hub, Clock));

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task A_model_shows_its_card_as_html_and_its_tokenizers_facts()
    {
        var (view, error) = await Pages.ShowAsync("course/minilm-sentiment", "s1", isInstructor: false);

        Assert.Null(error);
        Assert.Contains(">course/minilm-sentiment</h1>", view!.CardHtml);
        // The tiny model's tokenizer files: a vocab.txt of 30,522 lines and model_max_length 512.
        var lines = File.ReadAllLines(Path.Combine(tiny.Hub.PathOf("course/minilm-sentiment"), "vocab.txt")).Length;
        Assert.Equal((TokenizerAlgorithm.WordPiece, lines, 512), (view.Tokenizer!.Algorithm, view.Tokenizer.VocabSize, view.Tokenizer.ModelMaxLength));
        Assert.Equal(["[CLS]", "[MASK]", "[PAD]", "[SEP]", "[UNK]"], view.Tokenizer.SpecialTokens.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_kept_submission_model_is_shown_to_instructors_and_answered_like_a_missing_one_for_students()
    {
        var id = Submission.KeptModelId(7);
        var kept = tiny.Hub.PathOf(id);
        Directory.CreateDirectory(kept);
        foreach (var file in Directory.GetFiles(tiny.Hub.PathOf("course/minilm-ner")))
        {
            File.Copy(file, Path.Combine(kept, Path.GetFileName(file)), overwrite: true);
        }

        var student = await Pages.ShowAsync(id, "s1", isInstructor: false);
        var missing = await Pages.ShowAsync("submissions/submission-8", "s1", isInstructor: false);
        var instructor = await Pages.ShowAsync(id, "teacher", isInstructor: true);

        Assert.Equal((null, "There is no model 'submissions/submission-7' in the local hub."), (student.View, student.Error));
        Assert.Equal((null, "There is no model 'submissions/submission-8' in the local hub."), (missing.View, missing.Error));
        Assert.Equal((id, null), (instructor.View?.Model.Id, instructor.Error));
    }
}
