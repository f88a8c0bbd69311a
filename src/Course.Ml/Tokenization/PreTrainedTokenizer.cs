namespace Course.Ml.Tokenization;

public enum TokenizerAlgorithm { WordPiece, Bpe, Unigram }

/// <summary>
/// A token of one input text before special tokens are added: id, [start, end) in the text, and word index
/// (<see cref="Piece.Deferred"/> when the tokenizer computes word ids only if they are asked for).
/// </summary>
public readonly record struct Piece(int Id, int Start, int End, int Word)
{
    public const int Deferred = -1;
}

/// <summary>The special tokens a tokenizer defines (null where it has none), as in special_tokens_map.json.</summary>
public sealed record SpecialTokens(
    string? UnkToken = null, string? ClsToken = null, string? SepToken = null, string? PadToken = null,
    string? MaskToken = null, string? BosToken = null, string? EosToken = null)
{
    public IEnumerable<(string Name, string Token)> All()
    {
        (string, string?)[] all = [("unk_token", UnkToken), ("cls_token", ClsToken), ("sep_token", SepToken), ("pad_token", PadToken),
            ("mask_token", MaskToken), ("bos_token", BosToken), ("eos_token", EosToken)];
        return all.Where(t => t.Item2 is not null).Select(t => (t.Item1, t.Item2!));
    }
}

/// <summary>The ids a model wraps around one sequence or a pair: prefix A middle B suffix (single: prefix A suffix).</summary>
public sealed record SpecialTokenTemplate(int[] Prefix, int[] Middle, int[] Suffix)
{
    public static SpecialTokenTemplate None { get; } = new([], [], []);

    public int Count(bool pair) => Prefix.Length + Suffix.Length + (pair ? Middle.Length : 0);
}

/// <summary>Several inputs encoded together, possibly split into overflowing windows.</summary>
public sealed record BatchEncoding(IReadOnlyList<Encoding> Encodings, IReadOnlyList<int> OverflowToSampleMapping);

/// <summary>
/// What every tokenizer shares, after Hugging Face's <c>PreTrainedTokenizerBase</c>: a subclass splits one
/// text into vocabulary ids with offsets and word indices (<see cref="Tokenize"/>); this class adds the
/// special tokens, truncates (longest_first / only_first / only_second, with stride and overflowing
/// windows), pads (longest / max_length) and builds masks, token type ids and sequence ids.
/// </summary>
public abstract class PreTrainedTokenizer
{
    /// <summary>Hub id or name the tokenizer was loaded as.</summary>
    public abstract string NameOrPath { get; }

    public abstract TokenizerAlgorithm Algorithm { get; }

    public abstract int VocabSize { get; }

    public abstract SpecialTokens SpecialTokens { get; }

    /// <summary>Longest input the model accepts (HF's <c>model_max_length</c>).</summary>
    public abstract int ModelMaxLength { get; }

    /// <summary>Whether the model takes <c>token_type_ids</c> (BERT does; GPT-2 and T5 do not).</summary>
    public virtual bool HasTokenTypeIds => false;

    /// <summary>How this algorithm copes with text its vocabulary cannot spell, for students.</summary>
    public abstract string OutOfVocabularyBehavior { get; }

    /// <summary>Token string for an id, or null when the id is outside the vocabulary.</summary>
    public abstract string? IdToToken(int id);

    public abstract int? TokenToId(string token);

    /// <summary>Every (token, id) of the vocabulary, in id order.</summary>
    public abstract IEnumerable<(string Token, int Id)> Vocabulary();

    /// <summary>
    /// Splits <paramref name="text"/> into pieces appended to <paramref name="pieces"/> (offsets into <paramref name="text"/>):
    /// normaliser, pre-tokenizer and model in one pass, whose intermediate results go to <paramref name="trace"/> when given.
    /// </summary>
    public abstract void Tokenize(string text, List<Piece> pieces, StageTrace? trace = null);

    /// <summary>Word index of each piece, for tokenizers whose <see cref="Tokenize"/> leaves them <see cref="Piece.Deferred"/>.</summary>
    protected virtual int[] WordIdsOf(string text, IReadOnlyList<Piece> pieces) => pieces.Select(p => p.Word).ToArray();

    protected abstract SpecialTokenTemplate Template { get; }

    /// <summary>The first of <paramref name="specialTokens"/> typed in <paramref name="text"/> from <paramref name="from"/> on (HF's added tokens, matched before anything else).</summary>
    protected static (string? Token, int At) NextSpecialToken(string text, int from, IEnumerable<string> specialTokens)
    {
        (string? Token, int At) first = (null, -1);
        foreach (var token in specialTokens)
        {
            var at = text.IndexOf(token, from, StringComparison.Ordinal);
            if (at >= 0 && (first.Token is null || at < first.At))
            {
                first = (token, at);
            }
        }
        return first;
    }

    /// <summary>Decodes ids to text; special tokens are kept unless <paramref name="skipSpecialTokens"/>.</summary>
    public abstract string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false);

    public int? PadTokenId => SpecialTokens.PadToken is { } pad ? TokenToId(pad) : null;

    public bool IsSpecial(int id) => _specialIds.Value.Contains(id);

    private readonly Lazy<HashSet<int>> _specialIds;

    protected PreTrainedTokenizer()
    {
        _specialIds = new Lazy<HashSet<int>>(() => SpecialTokens.All().Select(t => TokenToId(t.Token)).OfType<int>().ToHashSet());
    }

    /// <summary>Vocabulary entries starting with <paramref name="prefix"/>, in id order.</summary>
    public IEnumerable<(string Token, int Id)> VocabularyStartingWith(string prefix) =>
        Vocabulary().Where(v => v.Token.StartsWith(prefix, StringComparison.Ordinal));

    public int NumSpecialTokensToAdd(bool pair) => Template.Count(pair);

    /// <summary>HF's <c>tokenizer(text, text_pair, …)</c>.</summary>
    public Encoding Encode(string text, string? pair = null, TokenizerOptions? options = null)
    {
        var first = new List<Piece>();
        Tokenize(text, first);
        List<Piece>? second = null;
        if (pair is not null)
        {
            second = [];
            Tokenize(pair, second);
        }
        return EncodePieces(text, first, pair, second, options ?? TokenizerOptions.Default);
    }

    /// <summary>
    /// The pipeline stages of <c>tokenizer(text, text_pair)</c> (normaliser, pre-tokenizer and model per sequence, then
    /// the post-processor's template), offsets into the original texts, and the encoding built from those very tokens.
    /// </summary>
    public TokenizerStages Stages(string text, string? pair = null, TokenizerOptions? options = null)
    {
        options ??= TokenizerOptions.Default;
        var (first, firstPieces) = Trace(text);
        var second = pair is null ? default((SequenceStages Stages, List<Piece> Pieces)?) : Trace(pair);
        var encoding = EncodePieces(text, firstPieces, pair, second?.Pieces, options);
        return new TokenizerStages(first, second?.Stages, PostProcessorTemplate(pair is not null, options.AddSpecialTokens), encoding);
    }

    private (SequenceStages Stages, List<Piece> Pieces) Trace(string text)
    {
        var trace = new StageTrace();
        var pieces = new List<Piece>();
        Tokenize(text, pieces, trace);
        var words = WordIdsOf(text, pieces);
        var (normalizer, preTokenizer) = trace.Result();
        var model = pieces.Select((p, i) => new ModelToken(TokenOrUnknown(p.Id), p.Id, p.Start, p.End, words[i])).ToArray();
        // Truncation shortens the lists it is given: the stages keep their own.
        return (new SequenceStages(text, normalizer, preTokenizer, model), [.. pieces]);
    }

    /// <summary>
    /// HF's <c>TemplateProcessing</c> as it writes templates: <c>[CLS] $A [SEP]</c>, for a pair <c>[CLS] $A [SEP] $B:1 [SEP]:1</c>
    /// (<c>:1</c> is the token type id, shown where the model has them); <c>$A</c> alone where nothing is added.
    /// </summary>
    public string PostProcessorTemplate(bool pair, bool addSpecialTokens = true)
    {
        var template = addSpecialTokens ? Template : SpecialTokenTemplate.None;
        var secondType = HasTokenTypeIds ? ":1" : "";
        IEnumerable<string> Specials(int[] ids, string type) => ids.Select(id => TokenOrUnknown(id) + type);
        IEnumerable<string> parts = pair
            ? [.. Specials(template.Prefix, ""), "$A", .. Specials(template.Middle, ""), "$B" + secondType, .. Specials(template.Suffix, secondType)]
            : [.. Specials(template.Prefix, ""), "$A", .. Specials(template.Suffix, "")];
        return string.Join(' ', parts);
    }

    /// <summary>
    /// HF's <c>is_split_into_words=True</c>: each word (e.g. a CoNLL token) is tokenized on its own and its
    /// pieces get that word's index, so labels given per word can be aligned to sub-tokens. Offsets point into
    /// the words joined by single spaces.
    /// </summary>
    public Encoding EncodeWords(IReadOnlyList<string> words, TokenizerOptions? options = null)
    {
        var pieces = new List<Piece>();
        var scratch = new List<Piece>();
        var offset = 0;
        for (var w = 0; w < words.Count; w++)
        {
            scratch.Clear();
            Tokenize(words[w], scratch);
            pieces.AddRange(scratch.Select(p => new Piece(p.Id, p.Start + offset, p.End + offset, w)));
            offset += words[w].Length + 1;
        }
        return EncodePieces(string.Join(' ', words), pieces, null, null, options ?? TokenizerOptions.Default);
    }

    private Encoding EncodePieces(string text, List<Piece> firstPieces, string? pair, List<Piece>? secondPieces, TokenizerOptions options)
    {
        var windows = Windows(firstPieces, secondPieces, options);
        var encodings = windows.Select(w => Build(text, w.First, pair, w.Second, options)).ToList();
        if (options.Padding == PaddingStrategy.MaxLength)
        {
            encodings = encodings.Select(e => Pad(e, LengthLimit(options))).ToList();
        }
        var first = encodings[0];
        first.Overflowing = encodings.Skip(1).ToList();
        return first;
    }

    /// <summary>HF's <c>tokenizer([texts], [pairs], …)</c>: overflowing windows are flattened into the batch.</summary>
    public BatchEncoding EncodeBatch(IReadOnlyList<string> texts, IReadOnlyList<string>? pairs = null, TokenizerOptions? options = null)
    {
        options ??= TokenizerOptions.Default;
        if (pairs is not null && pairs.Count != texts.Count)
        {
            throw new ArgumentException($"{texts.Count} texts but {pairs.Count} pairs: give one pair per text.");
        }
        var unpadded = options with { Padding = PaddingStrategy.DoNotPad };
        var encodings = new List<Encoding>();
        var mapping = new List<int>();
        for (var i = 0; i < texts.Count; i++)
        {
            var encoding = Encode(texts[i], pairs?[i], unpadded);
            foreach (var window in encoding.Overflowing.Prepend(encoding))
            {
                encodings.Add(window);
                mapping.Add(i);
            }
        }
        return new BatchEncoding(options.Padding switch
        {
            PaddingStrategy.Longest => Pad(encodings),
            PaddingStrategy.MaxLength => encodings.Select(e => Pad(e, LengthLimit(options))).ToList(),
            _ => encodings,
        }, mapping);
    }

    private int LengthLimit(TokenizerOptions options) => options.MaxLength ?? ModelMaxLength;

    private List<(List<Piece> First, List<Piece>? Second)> Windows(List<Piece> first, List<Piece>? second, TokenizerOptions options)
    {
        if (options.Truncation == TruncationStrategy.DoNotTruncate)
        {
            return [(first, second)];
        }

        var budget = LengthLimit(options) - (options.AddSpecialTokens ? Template.Count(second is not null) : 0);
        if (budget <= 0)
        {
            throw new ArgumentException($"max_length {LengthLimit(options)} leaves no room for text after the special tokens.");
        }
        if (first.Count + (second?.Count ?? 0) <= budget)
        {
            return [(first, second)];
        }

        var strategy = second is null ? TruncationStrategy.OnlyFirst : options.Truncation;
        if (strategy == TruncationStrategy.LongestFirst)
        {
            if (options.ReturnOverflowingTokens)
            {
                throw new ArgumentException("Overflowing tokens for a pair need truncation only_first or only_second (as in Hugging Face).");
            }
            while (first.Count + second!.Count > budget)
            {
                var longer = first.Count > second.Count ? first : second;
                longer.RemoveAt(longer.Count - 1);
            }
            return [(first, second)];
        }

        var (cut, other) = strategy == TruncationStrategy.OnlyFirst ? (first, second) : (second!, first);
        var room = budget - (other?.Count ?? 0);
        if (room <= 0)
        {
            throw new ArgumentException(
                $"The {(strategy == TruncationStrategy.OnlyFirst ? "second" : "first")} sequence alone ({other!.Count} tokens) does not fit in max_length {LengthLimit(options)}; use truncation longest_first.");
        }
        if (!options.ReturnOverflowingTokens)
        {
            cut.RemoveRange(room, cut.Count - room);
            return [(first, second)];
        }
        if (options.Stride >= room)
        {
            throw new ArgumentException($"stride {options.Stride} must be smaller than the {room} tokens each window holds.");
        }

        var windows = new List<(List<Piece>, List<Piece>?)>();
        for (var start = 0; ; start += room - options.Stride)
        {
            var slice = cut.GetRange(start, Math.Min(room, cut.Count - start));
            windows.Add(ReferenceEquals(cut, first) ? (slice, second) : (first, slice));
            if (start + room >= cut.Count)
            {
                return windows;
            }
        }
    }

    private Encoding Build(string text, List<Piece> first, string? pairText, List<Piece>? second, TokenizerOptions options)
    {
        var template = options.AddSpecialTokens ? Template : SpecialTokenTemplate.None;
        var pair = second is not null;
        var length = first.Count + (second?.Count ?? 0) + template.Count(pair);
        var ids = new int[length];
        var typeIds = HasTokenTypeIds ? new int[length] : null;
        var offsets = new (int, int)[length];
        var special = new int[length];
        var positions = new int[length];
        var sequences = new int?[length];
        var n = 0;

        void AddSpecial(int[] tokens, int type)
        {
            foreach (var id in tokens)
            {
                ids[n] = id;
                special[n] = 1;
                if (typeIds is not null) typeIds[n] = type;
                n++;
            }
        }

        void AddPieces(List<Piece> pieces, int sequence)
        {
            for (var i = 0; i < pieces.Count; i++)
            {
                var piece = pieces[i];
                ids[n] = piece.Id;
                offsets[n] = (piece.Start, piece.End);
                positions[n] = i;
                sequences[n] = sequence;
                if (typeIds is not null) typeIds[n] = sequence;
                n++;
            }
        }

        AddSpecial(template.Prefix, 0);
        AddPieces(first, 0);
        if (pair)
        {
            AddSpecial(template.Middle, 0);
            AddPieces(second!, 1);
            AddSpecial(template.Suffix, 1);
        }
        else
        {
            AddSpecial(template.Suffix, 0);
        }
        var attention = new int[length];
        Array.Fill(attention, 1);

        int?[] WordIds()
        {
            var firstWords = WordIdsOf(text, first);
            var secondWords = second is null ? [] : WordIdsOf(pairText!, second);
            var words = new int?[length];
            for (var i = 0; i < length; i++)
            {
                words[i] = sequences[i] switch { 0 => firstWords[positions[i]], 1 => secondWords[positions[i]], _ => null };
            }
            return words;
        }

        var deferred = first.Exists(p => p.Word == Piece.Deferred) || second?.Exists(p => p.Word == Piece.Deferred) == true;
        if (deferred)
        {
            return new Encoding(ids, attention, typeIds, offsets, special, WordIds, sequences, TokenOrUnknown);
        }
        // Word ids already known: fill them straight from the pieces (the common, WordPiece path).
        var known = new int?[length];
        for (var i = 0; i < length; i++)
        {
            known[i] = sequences[i] switch { 0 => first[positions[i]].Word, 1 => second![positions[i]].Word, _ => null };
        }
        return new Encoding(ids, attention, typeIds, offsets, special, known, sequences, TokenOrUnknown);
    }

    /// <summary>HF's <c>tokenizer.pad(encodings, padding="longest")</c>: every encoding padded on the right to the longest.</summary>
    public IReadOnlyList<Encoding> Pad(IReadOnlyList<Encoding> encodings)
    {
        var longest = encodings.Select(e => e.Length).DefaultIfEmpty(0).Max();
        return encodings.Select(e => Pad(e, longest)).ToList();
    }

    private Encoding Pad(Encoding encoding, int length)
    {
        var missing = length - encoding.Length;
        if (missing <= 0)
        {
            return encoding;
        }
        var pad = PadTokenId ?? throw new InvalidOperationException(
            $"{NameOrPath} has no padding token, so it cannot pad (as in Hugging Face); encode the texts one by one or truncate to equal length.");
        static T[] Extend<T>(T[] values, int count, T filler) => [.. values, .. Enumerable.Repeat(filler, count)];
        var padded = new Encoding(
            Extend(encoding.InputIds, missing, pad),
            Extend(encoding.AttentionMask, missing, 0),
            encoding.TokenTypeIds is null ? null : Extend(encoding.TokenTypeIds, missing, 0),
            Extend(encoding.OffsetMapping, missing, (0, 0)),
            Extend(encoding.SpecialTokensMask, missing, 1),
            () => Extend(encoding.WordIds, missing, null),
            Extend(encoding.SequenceIds, missing, null),
            TokenOrUnknown);
        padded.Overflowing = encoding.Overflowing;
        return padded;
    }

    private string TokenOrUnknown(int id) => IdToToken(id) ?? $"<id {id}>";
}
