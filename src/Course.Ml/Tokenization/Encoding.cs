namespace Course.Ml.Tokenization;

/// <summary>How sequences in a batch are padded (HF's <c>padding=</c>).</summary>
public enum PaddingStrategy
{
    DoNotPad,
    /// <summary>To the longest sequence of the batch.</summary>
    Longest,
    /// <summary>To <see cref="TokenizerOptions.MaxLength"/>.</summary>
    MaxLength,
}

/// <summary>How over-long inputs are cut (HF's <c>truncation=</c>).</summary>
public enum TruncationStrategy
{
    DoNotTruncate,
    /// <summary>Removes a token at a time from the longer of the two sequences.</summary>
    LongestFirst,
    OnlyFirst,
    OnlySecond,
}

/// <summary>The keyword arguments of HF's <c>tokenizer(...)</c> call.</summary>
public sealed record TokenizerOptions
{
    public bool AddSpecialTokens { get; init; } = true;
    public PaddingStrategy Padding { get; init; } = PaddingStrategy.DoNotPad;
    public TruncationStrategy Truncation { get; init; } = TruncationStrategy.DoNotTruncate;

    /// <summary>Length limit for truncation and <see cref="PaddingStrategy.MaxLength"/> padding; defaults to the model's maximum.</summary>
    public int? MaxLength { get; init; }

    /// <summary>Tokens shared by consecutive overflowing windows (question answering's doc stride).</summary>
    public int Stride { get; init; }

    public bool ReturnOverflowingTokens { get; init; }

    public static TokenizerOptions Default { get; } = new();
}

/// <summary>
/// The tokenizer's output for one sequence or pair, with Hugging Face's field names. Offsets are
/// [start, end) indices into the .NET string, i.e. UTF-16 code units (HF's Python offsets count code
/// points; they differ only after characters outside the Basic Multilingual Plane, such as emoji).
/// </summary>
public sealed class Encoding
{
    private readonly Func<int, string> _idToToken;
    private readonly Func<int?[]>? _computeWordIds;
    private int?[]? _wordIds;
    private string[]? _tokens;

    internal Encoding(int[] inputIds, int[] attentionMask, int[]? tokenTypeIds, (int Start, int End)[] offsetMapping,
        int[] specialTokensMask, int?[] wordIds, int?[] sequenceIds, Func<int, string> idToToken)
        : this(inputIds, attentionMask, tokenTypeIds, offsetMapping, specialTokensMask, (Func<int?[]>?)null, sequenceIds, idToToken)
    {
        _wordIds = wordIds;
    }

    internal Encoding(int[] inputIds, int[] attentionMask, int[]? tokenTypeIds, (int Start, int End)[] offsetMapping,
        int[] specialTokensMask, Func<int?[]>? wordIds, int?[] sequenceIds, Func<int, string> idToToken)
    {
        InputIds = inputIds;
        AttentionMask = attentionMask;
        TokenTypeIds = tokenTypeIds;
        OffsetMapping = offsetMapping;
        SpecialTokensMask = specialTokensMask;
        _computeWordIds = wordIds;
        SequenceIds = sequenceIds;
        _idToToken = idToToken;
    }

    public int[] InputIds { get; }
    public int[] AttentionMask { get; }

    /// <summary>Segment of each token (0 = first sentence, 1 = second); null where the model has none (GPT-2, T5).</summary>
    public int[]? TokenTypeIds { get; }

    public (int Start, int End)[] OffsetMapping { get; }

    /// <summary>1 for special and padding tokens, 0 for tokens of the text.</summary>
    public int[] SpecialTokensMask { get; }

    /// <summary>
    /// Index of the pre-tokenized word each token comes from (per sequence); null for special tokens.
    /// Computed on first use where the tokenizer defers it (byte-level BPE), so encoding stays as fast as tiktoken.
    /// </summary>
    public int?[] WordIds => _wordIds ??= _computeWordIds!();

    /// <summary>0 or 1 for tokens of the first or second sequence; null for special tokens.</summary>
    public int?[] SequenceIds { get; }

    /// <summary>Token strings as the vocabulary spells them ("##ing", "Ġworld", "▁the").</summary>
    public string[] Tokens => _tokens ??= InputIds.Select(_idToToken).ToArray();

    /// <summary>Further windows of an over-long input (with <see cref="TokenizerOptions.ReturnOverflowingTokens"/>).</summary>
    public IReadOnlyList<Encoding> Overflowing { get; internal set; } = [];

    public int Length => InputIds.Length;
}
