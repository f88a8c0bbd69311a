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

    public override void Tokenize(string text, List<Piece> pieces)
    {
        var tokens = _sentencePiece.EncodeToTokens(text, out _);
        var position = 0;
        var word = -1;
        EncodedToken? previous = null;
        foreach (var token in tokens)
        {
            // spm_encode merges a run of unknown characters into one <unk>; Microsoft.ML.Tokenizers does not.
            if (token.Id == _unkId && previous?.Id == _unkId && !token.Value.StartsWith(WordStart))
            {
                var last = pieces[^1];
                var (_, end) = Locate(text, token.Value, ref position);
                pieces[^1] = last with { End = end };
                continue;
            }
            if (token.Value.StartsWith(WordStart) || word < 0)
            {
                word++;
            }
            var (start, stop) = Locate(text, token.Value.TrimStart(WordStart), ref position);
            pieces.Add(new Piece(token.Id, start, stop, word));
            previous = token;
        }
    }

    /// <summary>
    /// Finds a piece's text in the original string from <paramref name="position"/> on: whitespace was
    /// collapsed into "▁" and characters NFKC-normalised, so compare normalised character by character.
    /// </summary>
    private static (int Start, int End) Locate(string text, string piece, ref int position)
    {
        while (position < text.Length && char.IsWhiteSpace(text[position]))
        {
            position++;
        }
        var start = position;
        var matched = 0;
        while (position < text.Length && matched < piece.Length)
        {
            var width = char.IsSurrogatePair(text, position) ? 2 : 1;
            matched += text.Substring(position, width).Normalize(NormalizationForm.FormKC).Length;
            position += width;
        }
        return (start, position);
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
