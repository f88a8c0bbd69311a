using System.Buffers;
using System.Globalization;
using System.Text;

namespace Course.Ml.Tokenization;

/// <summary>
/// WordPiece exactly as Hugging Face's <c>BertTokenizer(Fast)</c> with <c>do_lower_case=True</c>:
/// BertNormalizer (drop control characters and U+FFFD, whitespace to spaces, spaces around CJK ideographs,
/// NFD with combining marks removed, lower case), BertPreTokenizer (split on whitespace and on every
/// punctuation character: ASCII symbols such as <c>$ + = &lt; &gt; | ~ ^</c> and Unicode P*), then greedy
/// longest-match-first WordPiece with <c>##</c> continuations; a word that cannot be spelled, or is longer
/// than 100 characters, becomes one <c>[UNK]</c>.
/// </summary>
/// <remarks>
/// Written for speed: ASCII goes through lookup tables, the vocabulary is probed with spans through
/// <see cref="SpanVocabulary"/> (no substring allocations), and the normalised text is kept in one reusable
/// buffer with a map back to the original UTF-16 offsets.
/// </remarks>
public sealed class BertWordPieceTokenizer : PreTrainedTokenizer
{
    private const int MaxInputCharsPerWord = 100;
    private const string ContinuationPrefix = "##";

    // ASCII classes: 0 drop (control), 1 whitespace, 2 punctuation, 3 word character.
    private static readonly byte[] AsciiClass = BuildAsciiClasses();
    private static readonly char[] AsciiSame = Enumerable.Range(0, 128).Select(c => (char)c).ToArray();
    private static readonly char[] AsciiLower = AsciiSame.Select(c => c is >= 'A' and <= 'Z' ? (char)(c + 32) : c).ToArray();

    private readonly string[] _idToToken;
    private readonly SpanVocabulary _words;
    private readonly SpanVocabulary _continuations;
    private readonly Dictionary<string, int> _vocab;
    private readonly int _maxPieceLength;
    private readonly int _unkId;
    private readonly bool _lowerCase;

    private const int SplitCacheCapacity = 100_000;

    [ThreadStatic] private static Buffers? _buffers;

    private readonly ThreadLocal<SplitCache> _splits = new(() => new SplitCache());

    /// <summary>Per-thread memory of how words that are not one vocabulary entry were split.</summary>
    private sealed class SplitCache
    {
        public readonly Dictionary<string, (int Id, int Start, int End)[]> Map = new(StringComparer.Ordinal);
        public readonly Dictionary<string, (int Id, int Start, int End)[]>.AlternateLookup<ReadOnlySpan<char>> Lookup;

        public SplitCache() => Lookup = Map.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public BertWordPieceTokenizer(string nameOrPath, IReadOnlyList<string> vocabulary, int modelMaxLength = 512, bool doLowerCase = true)
    {
        NameOrPath = nameOrPath;
        ModelMaxLength = modelMaxLength;
        _lowerCase = doLowerCase;
        _idToToken = vocabulary.ToArray();
        _vocab = new Dictionary<string, int>(_idToToken.Length, StringComparer.Ordinal);
        var continuations = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var id = 0; id < _idToToken.Length; id++)
        {
            var token = _idToToken[id];
            // Duplicate lines in a vocab.txt: the first id wins, as in HF.
            _vocab.TryAdd(token, id);
            if (token.StartsWith(ContinuationPrefix, StringComparison.Ordinal) && token.Length > ContinuationPrefix.Length)
            {
                continuations.TryAdd(token[ContinuationPrefix.Length..], id);
            }
            _maxPieceLength = Math.Max(_maxPieceLength, token.Length);
        }
        _words = new SpanVocabulary(_vocab);
        _continuations = new SpanVocabulary(continuations);

        SpecialTokens = new SpecialTokens(UnkToken: "[UNK]", ClsToken: "[CLS]", SepToken: "[SEP]", PadToken: "[PAD]", MaskToken: "[MASK]");
        _unkId = Require("[UNK]");
        int cls = Require("[CLS]"), sep = Require("[SEP]");
        Template = new SpecialTokenTemplate([cls], [sep], [sep]);
    }

    /// <summary>Reads a vocab.txt (one token per line; LF or CRLF).</summary>
    public static BertWordPieceTokenizer FromVocabFile(string nameOrPath, string vocabPath, int modelMaxLength = 512, bool doLowerCase = true)
    {
        var lines = File.ReadAllText(vocabPath).Replace("\r\n", "\n").Split('\n');
        var count = lines.Length > 0 && lines[^1].Length == 0 ? lines.Length - 1 : lines.Length;
        return new BertWordPieceTokenizer(nameOrPath, lines[..count], modelMaxLength, doLowerCase);
    }

    public override string NameOrPath { get; }
    public override TokenizerAlgorithm Algorithm => TokenizerAlgorithm.WordPiece;
    public override int VocabSize => _idToToken.Length;
    public override SpecialTokens SpecialTokens { get; }
    public override int ModelMaxLength { get; }
    public override bool HasTokenTypeIds => true;
    protected override SpecialTokenTemplate Template { get; }

    public override string OutOfVocabularyBehavior =>
        "WordPiece spells an unknown word with the longest known prefix, then '##' continuations. If some part " +
        "of the word cannot be spelled at all (e.g. an emoji or a rare script), the whole word becomes [UNK].";

    public override string? IdToToken(int id) => (uint)id < (uint)_idToToken.Length ? _idToToken[id] : null;

    public override int? TokenToId(string token) => _vocab.TryGetValue(token, out var id) ? id : null;

    public override IEnumerable<(string Token, int Id)> Vocabulary() => _idToToken.Select((t, i) => (t, i));

    private int Require(string token) =>
        TokenToId(token) ?? throw new InvalidDataException($"{NameOrPath}: the vocabulary has no {token} token.");

    public override void Tokenize(string text, List<Piece> pieces, StageTrace? trace = null)
    {
        var word = 0;
        var position = 0;
        // Special tokens typed in the text ("[MASK]") are matched whole before normalisation, as in HF.
        while (text.IndexOf('[', position) >= 0 && NextSpecialToken(text, position, SpecialTokens.All().Select(t => t.Token)) is ({ } special, var at))
        {
            TokenizeRange(text, position, at, ref word, pieces, trace);
            trace?.Normalized(special, at, at + special.Length);
            trace?.PreToken(special, at, at + special.Length);
            pieces.Add(new Piece(_vocab[special], at, at + special.Length, word++));
            position = at + special.Length;
        }
        TokenizeRange(text, position, text.Length, ref word, pieces, trace);
    }

    private void TokenizeRange(string text, int from, int to, ref int word, List<Piece> pieces, StageTrace? trace)
    {
        var buffers = _buffers ??= new Buffers();
        var normalized = Normalize(text, from, to, buffers);
        var chars = buffers.Chars.AsSpan(0, normalized);
        var starts = buffers.Starts;
        for (var w = 0; w < buffers.WordCount; w++)
        {
            var (wordStart, wordEnd) = (buffers.WordStarts[w], buffers.WordEnds[w]);
            WordPiece(text, chars[wordStart..wordEnd], wordStart, starts, word++, pieces);
        }
        if (trace is null)
        {
            return;
        }
        for (var k = 0; k < normalized; k++)
        {
            trace.Normalized(chars[k], starts[k], EndOf(text, starts[k]));
        }
        for (var w = 0; w < buffers.WordCount; w++)
        {
            var (wordStart, wordEnd) = (buffers.WordStarts[w], buffers.WordEnds[w]);
            trace.PreToken(chars[wordStart..wordEnd].ToString(), starts[wordStart], EndOf(text, starts[wordEnd - 1]));
        }
    }

    /// <summary>
    /// BertNormalizer and BertPreTokenizer in one pass over the text: writes the normalised text (HF's
    /// <c>normalize_str</c>: whitespace as spaces, spaces around CJK ideographs) into the thread's buffers with
    /// the original start of each character (its end is the end of that original character, see
    /// <see cref="EndOf"/>), and where each pre-tokenizer word starts and ends. Returns the number of characters.
    /// </summary>
    private int Normalize(string text, int from, int to, Buffers b)
    {
        // ASCII maps to at most one character; the non-ASCII branches reserve room for their expansion.
        b.Ensure(to - from + 8, keep: 0);
        var n = 0;
        b.WordCount = 0;
        b.OpenWord = 0;

        static void EndWord(Buffers b, int n)
        {
            if (n > b.OpenWord)
            {
                b.WordStarts[b.WordCount] = b.OpenWord;
                b.WordEnds[b.WordCount++] = n;
            }
            b.OpenWord = n;
        }

        // A space separates words and belongs to none.
        static void Space(Buffers b, ref int n, int start)
        {
            EndWord(b, n);
            b.Put(ref n, ' ', start);
            b.OpenWord = n;
        }

        // The common case, ASCII word characters, writes through locals (re-read after the slow path may grow the buffers).
        var chars = b.Chars;
        var starts = b.Starts;
        var lowerTable = _lowerCase ? AsciiLower : AsciiSame;
        Span<char> utf16 = stackalloc char[2];
        for (var i = from; i < to;)
        {
            var c = text[i];
            if (c < 0x80)
            {
                switch (AsciiClass[c])
                {
                    case 3:
                        chars[n] = lowerTable[c];
                        starts[n] = i;
                        n++;
                        break;
                    case 1:
                        Space(b, ref n, i);
                        break;
                    case 2:
                        EndWord(b, n);
                        b.Put(ref n, c, i);
                        EndWord(b, n);
                        break;
                }
                i++;
                continue;
            }

            var status = Rune.DecodeFromUtf16(text.AsSpan(i, to - i), out var rune, out var width);
            if (status != OperationStatus.Done)
            {
                // A lone surrogate: HF's Python side never sees one; treat it like U+FFFD (dropped).
                i += Math.Max(width, 1);
                continue;
            }
            var end = i + width;
            var category = Rune.GetUnicodeCategory(rune);
            b.Ensure(n + 16 + (to - i), keep: n);
            if (rune.Value == 0xFFFD || IsControl(category))
            {
                // dropped by clean_text
            }
            else if (category == UnicodeCategory.SpaceSeparator)
            {
                Space(b, ref n, i);
            }
            else if (IsChineseCharacter(rune.Value))
            {
                Space(b, ref n, i);
                for (var k = i; k < end; k++) b.Put(ref n, text[k], i);
                Space(b, ref n, i);
            }
            else if (!_lowerCase)
            {
                if (IsPunctuation(category)) EndWord(b, n);
                for (var k = i; k < end; k++) b.Put(ref n, text[k], i);
                if (IsPunctuation(category)) EndWord(b, n);
            }
            else
            {
                // strip_accents: NFD, drop combining marks (Mn); then lower-case.
                var decomposed = rune.ToString().Normalize(NormalizationForm.FormD);
                for (var k = 0; k < decomposed.Length;)
                {
                    Rune.DecodeFromUtf16(decomposed.AsSpan(k), out var part, out var partWidth);
                    k += partWidth;
                    var partCategory = Rune.GetUnicodeCategory(part);
                    if (partCategory == UnicodeCategory.NonSpacingMark)
                    {
                        continue;
                    }
                    var lower = Rune.ToLowerInvariant(part);
                    var punctuation = IsPunctuation(partCategory);
                    if (punctuation) EndWord(b, n);
                    var count = lower.EncodeToUtf16(utf16);
                    for (var u = 0; u < count; u++) b.Put(ref n, utf16[u], i);
                    if (punctuation) EndWord(b, n);
                }
            }
            i = end;
            (chars, starts) = (b.Chars, b.Starts);
        }
        EndWord(b, n);
        return n;
    }

    /// <summary>End of the original character (one UTF-16 unit, or a surrogate pair) that starts at <paramref name="start"/>.</summary>
    private static int EndOf(string text, int start) =>
        start + (char.IsHighSurrogate(text[start]) && start + 1 < text.Length && char.IsLowSurrogate(text[start + 1]) ? 2 : 1);

    private void WordPiece(string text, ReadOnlySpan<char> word, int offset, int[] starts, int wordIndex, List<Piece> pieces)
    {
        // Most words are one vocabulary entry: a single probe.
        if (word.Length <= _maxPieceLength && _words.TryGetValue(word, out var whole))
        {
            pieces.Add(new Piece(whole, starts[offset], EndOf(text, starts[offset + word.Length - 1]), wordIndex));
            return;
        }
        // The rest are split greedily once per thread and remembered: text repeats its rare words.
        var cache = _splits.Value!;
        if (!cache.Lookup.TryGetValue(word, out var split))
        {
            split = Split(word);
            if (cache.Map.Count >= SplitCacheCapacity)
            {
                cache.Map.Clear();
            }
            cache.Map[word.ToString()] = split;
        }
        foreach (var (id, start, end) in split)
        {
            pieces.Add(new Piece(id, starts[offset + start], EndOf(text, starts[offset + end - 1]), wordIndex));
        }
    }

    /// <summary>Greedy longest-match-first WordPiece of one normalised word: (id, start, end) in the word.</summary>
    private (int Id, int Start, int End)[] Split(ReadOnlySpan<char> word)
    {
        if (word.Length > MaxInputCharsPerWord)
        {
            return [(_unkId, 0, word.Length)];
        }
        var split = new List<(int, int, int)>();
        for (var start = 0; start < word.Length;)
        {
            var end = Math.Min(word.Length, start + _maxPieceLength);
            var id = -1;
            var lookup = start == 0 ? _words : _continuations;
            for (; end > start; end--)
            {
                if (lookup.TryGetValue(word[start..end], out id))
                {
                    break;
                }
            }
            if (end == start)
            {
                return [(_unkId, 0, word.Length)];
            }
            split.Add((id, start, end));
            start = end;
        }
        return split.ToArray();
    }

    public override string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false)
    {
        var text = new StringBuilder();
        foreach (var id in ids)
        {
            if (skipSpecialTokens && IsSpecial(id))
            {
                continue;
            }
            var token = IdToToken(id) ?? throw new ArgumentOutOfRangeException(nameof(ids), $"id {id} is outside the vocabulary of {VocabSize}.");
            if (token.StartsWith(ContinuationPrefix, StringComparison.Ordinal) && text.Length > 0)
            {
                text.Append(token, ContinuationPrefix.Length, token.Length - ContinuationPrefix.Length);
            }
            else
            {
                if (text.Length > 0) text.Append(' ');
                text.Append(token);
            }
        }
        return CleanUpTokenizationSpaces(text.ToString());
    }

    /// <summary>HF's <c>clean_up_tokenization</c>, on by default for BERT: no space before punctuation and contractions.</summary>
    private static string CleanUpTokenizationSpaces(string text) => text
        .Replace(" .", ".").Replace(" ?", "?").Replace(" !", "!").Replace(" ,", ",").Replace(" ' ", "'")
        .Replace(" n't", "n't").Replace(" 'm", "'m").Replace(" 's", "'s").Replace(" 've", "'ve").Replace(" 're", "'re");

    private static bool IsControl(UnicodeCategory category) => category is UnicodeCategory.Control or UnicodeCategory.Format
        or UnicodeCategory.OtherNotAssigned or UnicodeCategory.PrivateUse or UnicodeCategory.Surrogate;

    private static bool IsPunctuation(UnicodeCategory category) => category is UnicodeCategory.ConnectorPunctuation
        or UnicodeCategory.DashPunctuation or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation
        or UnicodeCategory.InitialQuotePunctuation or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;

    /// <summary>The CJK ideograph blocks of HF's <c>_is_chinese_char</c>.</summary>
    private static bool IsChineseCharacter(int cp) =>
        cp is >= 0x4E00 and <= 0x9FFF or >= 0x3400 and <= 0x4DBF or >= 0x20000 and <= 0x2A6DF or >= 0x2A700 and <= 0x2B73F
            or >= 0x2B740 and <= 0x2B81F or >= 0x2B820 and <= 0x2CEAF or >= 0xF900 and <= 0xFAFF or >= 0x2F800 and <= 0x2FA1F;

    private static byte[] BuildAsciiClasses()
    {
        var classes = new byte[128];
        for (var c = 0; c < 128; c++)
        {
            classes[c] = c switch
            {
                ' ' or '\t' or '\n' or '\r' => 1,
                < 32 or 127 => 0,
                >= 33 and <= 47 or >= 58 and <= 64 or >= 91 and <= 96 or >= 123 and <= 126 => 2,
                _ => 3,
            };
        }
        return classes;
    }

    /// <summary>Per-thread scratch space, grown as needed and reused across calls.</summary>
    private sealed class Buffers
    {
        public char[] Chars = new char[256];
        public int[] Starts = new int[256];
        public int[] WordStarts = new int[256];
        public int[] WordEnds = new int[256];
        public int WordCount;

        /// <summary>Where the word being written started.</summary>
        public int OpenWord;

        /// <summary>Grows the buffers to hold <paramref name="capacity"/> characters, keeping the first <paramref name="keep"/>.</summary>
        public void Ensure(int capacity, int keep)
        {
            if (Chars.Length >= capacity)
            {
                return;
            }
            var size = Math.Max(capacity, Chars.Length * 2);
            Chars = Grow(Chars, size, keep);
            Starts = Grow(Starts, size, keep);
            WordStarts = Grow(WordStarts, size, WordCount);
            WordEnds = Grow(WordEnds, size, WordCount);
        }

        private static T[] Grow<T>(T[] array, int size, int keep)
        {
            var grown = new T[size];
            Array.Copy(array, grown, keep);
            return grown;
        }

        public void Put(ref int n, char c, int start)
        {
            Chars[n] = c;
            Starts[n] = start;
            n++;
        }
    }
}
