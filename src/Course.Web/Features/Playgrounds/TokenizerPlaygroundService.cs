using Course.Ml.Hub;
using Course.Ml.Pipelines;
using Course.Ml.Tokenization;
using Course.Grading.Content;

namespace Course.Web.Features.Playgrounds;

/// <summary>One token as the playground shows it: id, text, character offsets, word, and the model inputs at its position.</summary>
public sealed record TokenView(int Index, string Token, int Id, int Start, int End, int? WordId, int? Sequence, bool Special, int AttentionMask, int? TokenTypeId);

public sealed record TokenizationView(
    string TokenizerId,
    TokenizerAlgorithm Algorithm,
    IReadOnlyList<TokenView> Tokens,
    int Characters,
    string Decoded,
    bool RoundTrips,
    int VocabSize,
    string OutOfVocabulary);

public sealed record VocabularyPage(int Size, IReadOnlyList<(string Name, string Token, int? Id)> SpecialTokens, IReadOnlyList<(string Token, int Id)> Matches);

/// <summary>
/// The tokenizer playground's logic (the page and the <c>::: tokenizer</c> lesson widget are views over it):
/// encodes text and an optional second sentence, decodes it back, and explores a vocabulary.
/// </summary>
public sealed class TokenizerPlaygroundService(ModelHub hub)
{
    public const int MaxCharacters = 5_000;

    public const string DefaultTokenizer = WidgetReferences.DefaultTokenizer;

    /// <summary>The tokenizers students compare (the list lesson widgets are validated against).</summary>
    public static IReadOnlyList<string> Available => WidgetReferences.Tokenizers;

    /// <summary>A sentence with an emoji and a rare script: [UNK] for WordPiece, bytes for BPE, &lt;unk&gt; or pieces for SentencePiece.</summary>
    public const string OutOfVocabularyExample = "Tokenizers meet 🦜 parrots and Ελληνικά text.";

    public TokenizationView Tokenize(string tokenizerId, string text, string? pair = null, bool addSpecialTokens = true)
    {
        if (string.IsNullOrEmpty(text))
        {
            throw new ArgumentException("Type some text to tokenize.");
        }
        if (text.Length + (pair?.Length ?? 0) > MaxCharacters)
        {
            throw new ArgumentException($"The playground tokenizes at most {MaxCharacters:N0} characters at a time.");
        }
        var tokenizer = Load(tokenizerId);
        var encoding = tokenizer.Encode(text, string.IsNullOrEmpty(pair) ? null : pair, new TokenizerOptions { AddSpecialTokens = addSpecialTokens });
        var tokens = Enumerable.Range(0, encoding.Length).Select(i => new TokenView(i, encoding.Tokens[i], encoding.InputIds[i],
            encoding.OffsetMapping[i].Start, encoding.OffsetMapping[i].End, encoding.WordIds[i], encoding.SequenceIds[i],
            encoding.SpecialTokensMask[i] == 1, encoding.AttentionMask[i], encoding.TokenTypeIds?[i])).ToList();
        var decoded = tokenizer.Decode(encoding.InputIds, skipSpecialTokens: true);
        var original = string.IsNullOrEmpty(pair) ? text : $"{text} {pair}";
        return new TokenizationView(tokenizerId, tokenizer.Algorithm, tokens, text.Length + (pair?.Length ?? 0), decoded,
            string.Equals(decoded, original, StringComparison.Ordinal), tokenizer.VocabSize, tokenizer.OutOfVocabularyBehavior);
    }

    /// <summary>Vocabulary entries containing <paramref name="search"/> (or the token with that id), at most <paramref name="limit"/>.</summary>
    public VocabularyPage Vocabulary(string tokenizerId, string? search, int limit = 50)
    {
        var tokenizer = Load(tokenizerId);
        var specials = tokenizer.SpecialTokens.All().Select(s => (s.Name, s.Token, tokenizer.TokenToId(s.Token))).ToList();
        IReadOnlyList<(string, int)> matches = string.IsNullOrEmpty(search) ? []
            : int.TryParse(search, out var id) && tokenizer.IdToToken(id) is { } token ? [(token, id)]
            : tokenizer.Vocabulary().Where(v => v.Token.Contains(search, StringComparison.Ordinal)).OrderBy(v => v.Token.Length).ThenBy(v => v.Id).Take(limit).ToList();
        return new VocabularyPage(tokenizer.VocabSize, specials, matches);
    }

    private PreTrainedTokenizer Load(string tokenizerId) => Available.Contains(tokenizerId)
        ? AutoTokenizer.FromPretrained(tokenizerId, hub)
        : throw new ArgumentException($"Unknown tokenizer '{tokenizerId}'. The playground has: {string.Join(", ", Available)}.");
}
