using System.Text;

namespace Course.Ml.Tokenization;

/// <summary>
/// HF tokenizers' <c>NormalizedString</c>: the normaliser's output and, for each of its UTF-16 characters, the
/// [start, end) of the original text it came from. A character the normaliser inserted (the spaces BERT puts
/// around CJK ideographs, SentencePiece's "▁") points at the original character it belongs to, or is empty.
/// </summary>
public sealed record NormalizedString(string Normalized, IReadOnlyList<(int Start, int End)> Alignments)
{
    /// <summary>The original span of normalised characters [<paramref name="start"/>, <paramref name="end"/>).</summary>
    public (int Start, int End) OriginalSpan(int start, int end) =>
        end <= start ? (Alignments[start].Start, Alignments[start].Start) : (Alignments[start].Start, Alignments[end - 1].End);
}

/// <summary>One piece of a stage: its text as that stage spells it and its [start, end) in the original text.</summary>
public readonly record struct StagePiece(string Text, int Start, int End);

/// <summary>A token of the model stage: vocabulary string and id, its span in the original text, its pre-tokenizer piece.</summary>
public readonly record struct ModelToken(string Token, int Id, int Start, int End, int Word);

/// <summary>
/// What each stage of HF's pipeline made of one text: <c>normalizer.normalize_str</c>, <c>pre_tokenizer.pre_tokenize_str</c>
/// (pieces with offsets) and the model's tokens, every offset into the original text.
/// </summary>
public sealed record SequenceStages(string Text, NormalizedString Normalizer, IReadOnlyList<StagePiece> PreTokenizer, IReadOnlyList<ModelToken> Model);

/// <summary>
/// The stages of an encoding: each sequence's normaliser, pre-tokenizer and model, then the post-processor's template
/// (HF's <c>TemplateProcessing</c>, e.g. <c>[CLS] $A [SEP]</c>) and the <see cref="Encoding"/> built from exactly those tokens.
/// </summary>
public sealed record TokenizerStages(SequenceStages First, SequenceStages? Second, string PostProcessor, Encoding Encoding);

/// <summary>
/// Collects the normaliser's output and the pre-tokenizer's pieces while a tokenizer tokenizes (passed to
/// <see cref="PreTrainedTokenizer.Tokenize(string, List{Piece}, StageTrace?)"/>, null when nobody asks), so the stages
/// shown are the very ones encoding runs through.
/// </summary>
public sealed class StageTrace
{
    private readonly StringBuilder _normalized = new();
    private readonly List<(int Start, int End)> _alignments = [];
    private readonly List<StagePiece> _preTokens = [];

    /// <summary>A character the normaliser wrote, from original [<paramref name="start"/>, <paramref name="end"/>).</summary>
    internal void Normalized(char c, int start, int end)
    {
        _normalized.Append(c);
        _alignments.Add((start, end));
    }

    /// <summary>Text passed through whole (a special token typed in the text), every character aligned to all of it.</summary>
    internal void Normalized(string text, int start, int end)
    {
        foreach (var c in text)
        {
            Normalized(c, start, end);
        }
    }

    /// <summary>No normaliser: the text as it is, each character aligned to itself.</summary>
    internal void Unchanged(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            Normalized(text[i], i, i + 1);
        }
    }

    internal void PreToken(string text, int start, int end) => _preTokens.Add(new StagePiece(text, start, end));

    internal (NormalizedString Normalizer, IReadOnlyList<StagePiece> PreTokenizer) Result() =>
        (new NormalizedString(_normalized.ToString(), _alignments.ToArray()), _preTokens.ToArray());
}
