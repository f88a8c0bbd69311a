using Course.Core.Content;
using Course.Core.Data;
using Course.Ml.Hub;
using Course.Ml.Tokenization;

namespace Course.Web.Features.Hub;

/// <summary>A tokenizer's facts as the model page lists them.</summary>
public sealed record TokenizerFacts(TokenizerAlgorithm Algorithm, int VocabSize, IReadOnlyList<string> SpecialTokens, int ModelMaxLength, string UnknownText);

/// <summary>
/// What the model page shows: the model, its card as safe HTML, its tokenizer where it has one, and for a student's
/// published model its publication (the card is then the one generated at publication).
/// </summary>
public sealed record ModelView(HubModel Model, string CardHtml, TokenizerFacts? Tokenizer, ModelPublication? Publication = null);

/// <summary>The hub's model pages: one model as a viewer may see it, or why there is nothing to show.</summary>
public sealed class ModelPages(ModelHub hub, HubVisibility visibility, ModelSharing sharing)
{
    /// <param name="userId">The signed-in viewer, or null for a visitor.</param>
    public async Task<(ModelView? View, string? Error)> ShowAsync(string id, string? userId, bool isInstructor, CancellationToken cancellationToken = default)
    {
        var access = await visibility.ForAsync(userId, isInstructor, cancellationToken);
        try
        {
            if (!access.CanSee(id) || !hub.Contains(id))
            {
                return (null, HubAccess.NotFound(id)); // not the hub's own error, which names its folder on the server
            }
            var model = hub.Show(id);
            // A published model shows the card its student wrote, not the one grading left in the folder (with hidden-split figures).
            var shared = await sharing.PublishedAsync(id, cancellationToken);
            var card = shared is null ? model.Card : HubCard.Parse(shared.Card, $"{id}/README.md");
            return (new ModelView(model with { Card = card }, LessonMarkdown.Render(card.Body, $"{id}/README.md", _ => null).Html, TokenizerOf(id), shared?.Publication), null);
        }
        catch (Exception ex) when (ex is KeyNotFoundException or ArgumentException or IOException or InvalidDataException or NotSupportedException)
        {
            return (null, ex.Message);
        }
    }

    /// <summary>Null for a model without tokenizer files (a bare checkpoint): the page shows the rest.</summary>
    private TokenizerFacts? TokenizerOf(string id)
    {
        try
        {
            var tokenizer = AutoTokenizer.FromPretrained(id, hub);
            return new TokenizerFacts(tokenizer.Algorithm, tokenizer.VocabSize, tokenizer.SpecialTokens.All().Select(s => s.Token).ToList(),
                tokenizer.ModelMaxLength, tokenizer.OutOfVocabularyBehavior);
        }
        catch (Exception ex) when (ex is KeyNotFoundException or ArgumentException or IOException or InvalidDataException or NotSupportedException)
        {
            return null;
        }
    }
}
