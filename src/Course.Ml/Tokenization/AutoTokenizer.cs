using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Course.Ml.Hub;

namespace Course.Ml.Tokenization;

/// <summary>
/// HF's <c>AutoTokenizer.from_pretrained</c>: picks the tokenizer class from the files in the model's hub
/// folder (vocab.txt → WordPiece, spiece.model → SentencePiece) and reads tokenizer_config.json. The
/// byte-level BPE encodings <c>gpt2</c> and <c>cl100k_base</c> come from Microsoft.ML.Tokenizers' data
/// packages. Tokenizers are immutable and thread-safe, so each is loaded once per process.
/// </summary>
public static class AutoTokenizer
{
    public const string Gpt2 = "gpt2";
    public const string Cl100kBase = "cl100k_base";

    private static readonly ConcurrentDictionary<string, Lazy<PreTrainedTokenizer>> Cache = new();

    /// <summary>Ids accepted besides the hub's models.</summary>
    public static IReadOnlyList<string> BuiltIn { get; } = [Gpt2, Cl100kBase];

    public static PreTrainedTokenizer FromPretrained(string id, ModelHub hub, IProgress<string>? progress = null)
    {
        var key = id is Gpt2 or Cl100kBase ? id : $"{hub.Root}|{id}";
        var lazy = Cache.GetOrAdd(key, _ => new Lazy<PreTrainedTokenizer>(() => Load(id, hub, progress)));
        try
        {
            return lazy.Value;
        }
        catch
        {
            // Do not cache failures (e.g. a model installed a moment later).
            Cache.TryRemove(key, out _);
            throw;
        }
    }

    private static PreTrainedTokenizer Load(string id, ModelHub hub, IProgress<string>? progress)
    {
        switch (id)
        {
            case Gpt2: return ByteLevelBpeTokenizer.Gpt2();
            case Cl100kBase: return ByteLevelBpeTokenizer.Cl100kBase();
        }

        var folder = hub.Resolve(id, progress);
        var configPath = Path.Combine(folder, "tokenizer_config.json");
        var config = File.Exists(configPath) ? JsonNode.Parse(File.ReadAllText(configPath))?.AsObject() : null;
        var maxLength = config?["model_max_length"]?.GetValue<double>() is { } m and > 0 and < int.MaxValue ? (int)m : 512;

        var vocab = Path.Combine(folder, "vocab.txt");
        if (File.Exists(vocab))
        {
            var lowerCase = config?["do_lower_case"]?.GetValue<bool>() ?? true;
            return BertWordPieceTokenizer.FromVocabFile(id, vocab, maxLength, lowerCase);
        }
        var spiece = Path.Combine(folder, "spiece.model");
        if (File.Exists(spiece))
        {
            using var stream = File.OpenRead(spiece);
            return new SentencePieceUnigramTokenizer(id, stream, maxLength);
        }
        throw new InvalidDataException($"{id}: no tokenizer files in {folder} (expected vocab.txt or spiece.model).");
    }
}
