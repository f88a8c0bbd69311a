using Course.Ml.Hub.Import;
using Course.Ml.Tokenization;

namespace Course.Ml.Tests;

/// <summary>The real tokenizers the tests check, loaded once per test run.</summary>
public static class Tokenizers
{
    private static readonly Lazy<BertWordPieceTokenizer> MiniLmLazy = new(() =>
    {
        var packaged = (OnnxPackagedBert)PackagedModels.Find("sentence-transformers/all-MiniLM-L6-v2")!;
        var vocab = System.Text.Encoding.UTF8.GetString(PackagedResources.Read(packaged.AssemblyPath, ".Resources.vocab.txt"));
        var lines = vocab.Replace("\r\n", "\n").TrimEnd('\n').Split('\n');
        return new BertWordPieceTokenizer("sentence-transformers/all-MiniLM-L6-v2", lines, 512);
    });

    private static readonly Lazy<SentencePieceUnigramTokenizer> UnigramLazy = new(() =>
    {
        using var stream = File.OpenRead(Path.Combine(AppContext.BaseDirectory, "Tokenization/SentencePiece/course-unigram.model"));
        return new SentencePieceUnigramTokenizer("course/sentencepiece-unigram", stream);
    });

    private static readonly Lazy<ByteLevelBpeTokenizer> Gpt2Lazy = new(ByteLevelBpeTokenizer.Gpt2);
    private static readonly Lazy<ByteLevelBpeTokenizer> Cl100kLazy = new(ByteLevelBpeTokenizer.Cl100kBase);

    /// <summary>all-MiniLM-L6-v2's tokenizer: bert-base-uncased's vocabulary and rules.</summary>
    public static BertWordPieceTokenizer Bert => MiniLmLazy.Value;
    public static SentencePieceUnigramTokenizer Unigram => UnigramLazy.Value;
    public static ByteLevelBpeTokenizer Gpt2 => Gpt2Lazy.Value;
    public static ByteLevelBpeTokenizer Cl100k => Cl100kLazy.Value;

    public static string[] Tokens(this PreTrainedTokenizer tokenizer, string text) =>
        tokenizer.Encode(text, options: new TokenizerOptions { AddSpecialTokens = false }).Tokens;
}
