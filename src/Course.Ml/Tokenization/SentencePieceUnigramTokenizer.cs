using System.Globalization;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace Course.Ml.Tokenization;

/// <summary>
/// A SentencePiece Unigram model (spm_train's <c>.model</c>) through Microsoft.ML.Tokenizers, with ids equal
/// to <c>spm_encode</c>'s, offsets mapped back to the original text, word ids at each "▁" (word start),
/// <c>&lt;/s&gt;</c> appended as T5 does, and no token type ids.
/// </summary>
public sealed class SentencePieceUnigramTokenizer : PreTrainedTokenizer
{
    private const char WordStart = '\u2581';

    private readonly SentencePieceTokenizer _sentencePiece;
    private readonly string[] _idToToken;
    private readonly int _unkId;

    public SentencePieceUnigramTokenizer(string nameOrPath, Stream model, int modelMaxLength = 512)
    {
        NameOrPath = nameOrPath;
        ModelMaxLength = modelMaxLength;
        _sentencePiece = SentencePieceTokenizer.Create(model, false, false);
        _idToToken = new string[_sentencePiece.Vocabulary.Values.Max() + 1];
        foreach (var (token, id) in _sentencePiece.Vocabulary)
        {
            _idToToken[id] = token;
        }
        _unkId = _sentencePiece.UnknownId;
        SpecialTokens = new SpecialTokens(UnkToken: _sentencePiece.UnknownToken, BosToken: _sentencePiece.BeginningOfSentenceToken,
            EosToken: _sentencePiece.EndOfSentenceToken, PadToken: TokenOrNull("<pad>"));
        var eos = _sentencePiece.EndOfSentenceId;
        Template = new SpecialTokenTemplate([], [eos], [eos]);
    }

    public override string NameOrPath { get; }
    public override TokenizerAlgorithm Algorithm => TokenizerAlgorithm.Unigram;
    public override int VocabSize => _sentencePiece.Vocabulary.Count;
    public override SpecialTokens SpecialTokens { get; }
    public override int ModelMaxLength { get; }
    protected override SpecialTokenTemplate Template { get; }

    public override string OutOfVocabularyBehavior =>
        "This Unigram model has no byte fallback: a character it never saw in training becomes <unk> (a run of " +
        "such characters becomes one <unk>). Models trained with byte_fallback=true spell them as <0xNN> bytes instead.";

    public override string? IdToToken(int id) => (uint)id < (uint)_idToToken.Length ? _idToToken[id] : null;

    public override int? TokenToId(string token) => _sentencePiece.Vocabulary.TryGetValue(token, out var id) ? id : null;

    public override IEnumerable<(string Token, int Id)> Vocabulary() =>
        _idToToken.Select((t, i) => (t, i)).Where(v => v.t is not null);

    private string? TokenOrNull(string token) => _sentencePiece.Vocabulary.ContainsKey(token) ? token : null;

    /// <summary>
    /// The model's normaliser (nmt_nfkc: NFKC, whitespace runs to one space, none at the ends), HF's Metaspace
    /// pre-tokenizer ("▁" for each space and in front, a word before each "▁") and the Unigram model all run inside
    /// Microsoft.ML.Tokenizers; its tokens spell the normalised text end to end, which <see cref="Align"/> maps back
    /// to the original text for the offsets and for the trace.
    /// </summary>
    public override void Tokenize(string text, List<Piece> pieces, StageTrace? trace = null)
    {
        var tokens = _sentencePiece.EncodeToTokens(text, out _);
        var normalized = string.Concat(tokens.Select(t => t.Value));
        var alignments = Align(text, normalized);
        var at = 0;
        var word = -1;
        EncodedToken? previous = null;
        foreach (var token in tokens)
        {
            var (start, end) = OriginalSpan(normalized, alignments, at, at + token.Value.Length);
            at += token.Value.Length;
            // spm_encode merges a run of unknown characters into one <unk>; Microsoft.ML.Tokenizers does not.
            if (token.Id == _unkId && previous?.Id == _unkId && !token.Value.StartsWith(WordStart))
            {
                pieces[^1] = pieces[^1] with { End = end };
                continue;
            }
            if (token.Value.StartsWith(WordStart) || word < 0)
            {
                word++;
            }
            pieces.Add(new Piece(token.Id, start, end, word));
            previous = token;
        }
        if (trace is not null)
        {
            Trace(normalized, alignments, trace);
        }
    }

    /// <summary>
    /// The normaliser's text (spaces where the model writes "▁", without the prefix Metaspace adds) and Metaspace's
    /// words, each starting at a "▁".
    /// </summary>
    private static void Trace(string normalized, (int Start, int End)[] alignments, StageTrace trace)
    {
        for (var k = normalized.StartsWith(WordStart) ? 1 : 0; k < normalized.Length; k++)
        {
            trace.Normalized(normalized[k] == WordStart ? ' ' : normalized[k], alignments[k].Start, alignments[k].End);
        }
        for (var start = 0; start < normalized.Length;)
        {
            var end = normalized.IndexOf(WordStart, start + 1);
            end = end < 0 ? normalized.Length : end;
            var (from, to) = OriginalSpan(normalized, alignments, start, end);
            trace.PreToken(normalized[start..end], from, to);
            start = end;
        }
    }

    /// <summary>
    /// The original span of each character of the normalised text, found by normalising the original one text element
    /// (a character with its combining marks, an emoji sequence) at a time: a "▁" gets the whitespace it stands for
    /// (the leading one any whitespace before the first word), other characters their element. Should the model's
    /// character map disagree with NFKC somewhere, the rest of the text still gets a span (the end).
    /// </summary>
    private static (int Start, int End)[] Align(string text, string normalized)
    {
        var alignments = new (int Start, int End)[normalized.Length];
        var k = 0;
        var i = 0;
        while (i < text.Length)
        {
            if (char.IsWhiteSpace(text[i]))
            {
                var run = i;
                while (i < text.Length && char.IsWhiteSpace(text[i]))
                {
                    i++;
                }
                if (i < text.Length && k < normalized.Length && normalized[k] == WordStart)
                {
                    alignments[k++] = (run, i);
                }
                continue;
            }
            if (k == 0 && normalized.Length > 0 && normalized[0] == WordStart)
            {
                alignments[k++] = (0, 0); // the prefix Metaspace adds before the first word
            }
            var length = StringInfo.GetNextTextElementLength(text, i);
            var produced = length == 1 && text[i] < 0x80 ? 1 : text.Substring(i, length).Normalize(NormalizationForm.FormKC).Length;
            for (var p = 0; p < produced && k < normalized.Length; p++)
            {
                alignments[k++] = (i, i + length);
            }
            i += length;
        }
        for (; k < normalized.Length; k++)
        {
            alignments[k] = (text.Length, text.Length);
        }
        return alignments;
    }

    /// <summary>A token's (or word's) span in the original text, leaving out the "▁" in front as HF's offsets do.</summary>
    private static (int Start, int End) OriginalSpan(string normalized, (int Start, int End)[] alignments, int start, int end)
    {
        var first = start;
        while (first < end && normalized[first] == WordStart)
        {
            first++;
        }
        return first == end ? (alignments[end - 1].End, alignments[end - 1].End) : (alignments[first].Start, alignments[end - 1].End);
    }

    public override string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false)
    {
        var kept = ids.Where(id => !(skipSpecialTokens && IsSpecial(id))).ToList();
        foreach (var id in kept.Where(id => IdToToken(id) is null))
        {
            throw new ArgumentOutOfRangeException(nameof(ids), $"id {id} is outside the vocabulary of {NameOrPath}.");
        }
        return _sentencePiece.Decode(kept);
    }
}
