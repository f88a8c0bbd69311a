using Course.Core.Content;
using Course.Ml.Hub;
using Course.Ml.Tokenization;

namespace Course.Web.Features.Hub;

/// <summary>A tokenizer's facts as the model page lists them.</summary>
public sealed record TokenizerFacts(TokenizerAlgorithm Algorithm, int VocabSize, IReadOnlyList<string> SpecialTokens, int ModelMaxLength, string UnknownText);

/// <summary>What the model page shows: the model, its card as safe HTML, and its tokenizer where it has one.</summary>
public sealed record ModelView(HubModel Model, string CardHtml, TokenizerFacts? Tokenizer);

/// <summary>The hub's model pages: one model as a viewer may see it, or why there is nothing to show.</summary>
public sealed class ModelPages(ModelHub hub, HubVisibility visibility)
{
    public async Task<(ModelView? View, string? Error)> ShowAsync(string id, bool isInstructor, CancellationToken cancellationToken = default)
    {
        var access = await visibility.ForAsync(isInstructor, cancellationToken);
        try
        {
            if (!access.CanSee(id) || !hub.Contains(id))
            {
                return (null, HubAccess.NotFound(id)); // not the hub's own error, which names its folder on the server
            }
            var model = hub.Show(id);
            return (new ModelView(model, LessonMarkdown.Render(model.Card.Body, $"{id}/README.md", _ => null).Html, TokenizerOf(id)), null);
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
