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

/// <summary>
/// One chip of a pipeline stage: what the stage wrote, the original text it points at ([<paramref name="Start"/>,
/// <paramref name="End"/>)), the vocabulary id for the model's tokens, and whether the normaliser changed it.
/// </summary>
public sealed record StageChip(string Text, int Start, int End, string Original, int? Id = null, bool Changed = false, bool Special = false);

/// <summary>A stage's output in HF's words (<c>normalizer</c>, <c>pre_tokenizer</c>, <c>model</c>, <c>post_processor</c>), for sequence $A or $B.</summary>
public sealed record StageRow(string Stage, string? Sequence, IReadOnlyList<StageChip> Chips);

/// <summary>The stages one tokenizer runs the text through, and the post-processor's template.</summary>
public sealed record StagesView(string TokenizerId, IReadOnlyList<StageRow> Rows, string PostProcessor);

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
        CheckLength(text, pair);
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

    /// <summary>
    /// The pipeline's stages for the text (and the second sentence): per sequence the normaliser's output in pieces that
    /// are unchanged or changed, the pre-tokenizer's pieces and the model's tokens; then what the post-processor's
    /// template made of them. Every chip carries its span of the original text.
    /// </summary>
    public StagesView Stages(string tokenizerId, string text, string? pair = null)
    {
        CheckLength(text, pair);
        var tokenizer = Load(tokenizerId);
        var stages = tokenizer.Stages(text, string.IsNullOrEmpty(pair) ? null : pair);
        var rows = new List<StageRow>();
        foreach (var (sequence, label) in new[] { (stages.First, "$A"), (stages.Second, "$B") })
        {
            if (sequence is null)
            {
                continue;
            }
            var source = sequence.Text;
            var name = stages.Second is null ? null : label;
            rows.Add(new StageRow("normalizer", name, NormalizerChips(sequence.Normalizer, source)));
            rows.Add(new StageRow("pre_tokenizer", name, sequence.PreTokenizer.Select(p => new StageChip(p.Text, p.Start, p.End, source[p.Start..p.End])).ToList()));
            rows.Add(new StageRow("model", name, sequence.Model.Select(t => new StageChip(t.Token, t.Start, t.End, source[t.Start..t.End], t.Id)).ToList()));
        }
        var encoding = stages.Encoding;
        var texts = new[] { text, pair };
        rows.Add(new StageRow("post_processor", null, Enumerable.Range(0, encoding.Length).Select(i =>
        {
            var (start, end) = encoding.OffsetMapping[i];
            var special = encoding.SpecialTokensMask[i] == 1;
            var original = special ? "" : texts[encoding.SequenceIds[i]!.Value]![start..end];
            return new StageChip(encoding.Tokens[i], start, end, original, encoding.InputIds[i], Special: special);
        }).ToList()));
        return new StagesView(tokenizerId, rows, stages.PostProcessor);
    }

    /// <summary>
    /// The normalised text cut where it differs from the original: characters that come from one original character
    /// (or were inserted beside it) form a chip, marked changed unless they spell that character; unchanged
    /// neighbours join into one chip.
    /// </summary>
    public static IReadOnlyList<StageChip> NormalizerChips(NormalizedString normalized, string original)
    {
        var chips = new List<StageChip>();
        var (text, alignments) = (normalized.Normalized, normalized.Alignments);
        for (var k = 0; k < text.Length;)
        {
            var (start, end) = alignments[k];
            var next = k + 1;
            while (next < text.Length && alignments[next] == (start, end))
            {
                next++;
            }
            var written = text[k..next];
            var changed = !string.Equals(written, original[start..end], StringComparison.Ordinal);
            if (!changed && chips.Count > 0 && chips[^1] is { Changed: false } last && last.End == start)
            {
                chips[^1] = last with { Text = last.Text + written, End = end, Original = last.Original + written };
            }
            else
            {
                chips.Add(new StageChip(written, start, end, original[start..end], Changed: changed));
            }
            k = next;
        }
        return chips;
    }

    private static void CheckLength(string text, string? pair)
    {
        if (string.IsNullOrEmpty(text))
        {
            throw new ArgumentException("Type some text to tokenize.");
        }
        if (text.Length + (pair?.Length ?? 0) > MaxCharacters)
        {
            throw new ArgumentException($"The playground tokenizes at most {MaxCharacters:N0} characters at a time.");
        }
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
