using Course.Ml.Tokenization;

namespace Course.Ml.Data;

/// <summary>What a model is fed for one example: token ids, masks, and the labels of its task.</summary>
public sealed record Features(
    int[] InputIds,
    int[] AttentionMask,
    int[]? TokenTypeIds,
    long? Label = null,
    long[]? Labels = null,
    int? StartPosition = null,
    int? EndPosition = null);

/// <summary>Turning dataset rows into <see cref="Features"/>, per task, as the Hugging Face course does.</summary>
public static class Preprocessing
{
    public const int IgnoreIndex = -100;

    /// <param name="truncation">Which tokens a text over <paramref name="maxLength"/> keeps (see <see cref="EncodeText"/>).</param>
    public static Features SequenceClassification(PreTrainedTokenizer tokenizer, string text, long label, int maxLength, string truncation = "head") =>
        EncodeText(tokenizer, text, maxLength, truncation) with { Label = label };

    /// <summary>
    /// One text as at most <paramref name="maxLength"/> tokens, special tokens included. A longer text keeps its
    /// <c>head</c> (the first tokens, HF's <c>truncation_side="right"</c>), its <c>tail</c> (the last tokens,
    /// <c>truncation_side="left"</c>), or <c>head+tail</c>: the first quarter of the room and the last three quarters,
    /// the split Sun et al. (2019, "How to Fine-Tune BERT for Text Classification") found best for long reviews
    /// (128 + 382 of 510 tokens).
    /// </summary>
    public static Features EncodeText(PreTrainedTokenizer tokenizer, string text, int maxLength, string truncation = "head")
    {
        if (truncation == "head")
        {
            var encoding = tokenizer.Encode(text, options: new TokenizerOptions { Truncation = TruncationStrategy.LongestFirst, MaxLength = maxLength });
            return new Features(encoding.InputIds, encoding.AttentionMask, encoding.TokenTypeIds);
        }
        var full = tokenizer.Encode(text);
        var content = Enumerable.Range(0, full.Length).Where(i => full.SpecialTokensMask[i] == 0).ToList();
        var room = maxLength - (full.Length - content.Count);
        if (content.Count <= room)
        {
            return new Features(full.InputIds, full.AttentionMask, full.TokenTypeIds);
        }
        var head = truncation == "tail" ? 0 : room / 4;
        var dropped = content.Skip(head).Take(content.Count - room).ToHashSet();
        var keep = Enumerable.Range(0, full.Length).Where(i => !dropped.Contains(i)).ToArray();
        return new Features(keep.Select(i => full.InputIds[i]).ToArray(), keep.Select(i => full.AttentionMask[i]).ToArray(),
            full.TokenTypeIds is { } types ? keep.Select(i => types[i]).ToArray() : null);
    }

    /// <summary>
    /// Word-level tags onto sub-tokens: the first sub-token of each word carries the word's label; special tokens
    /// get -100 so the loss ignores them, and so do later sub-tokens unless <paramref name="continuationLabels"/>
    /// gives their label (run_ner's <c>label_all_tokens</c>, see <see cref="ContinuationLabels"/>).
    /// </summary>
    public static Features TokenClassification(PreTrainedTokenizer tokenizer, IReadOnlyList<string> words, IReadOnlyList<int> wordLabels, int maxLength,
        IReadOnlyList<int>? continuationLabels = null)
    {
        if (words.Count != wordLabels.Count)
        {
            throw new ArgumentException($"{words.Count} tokens but {wordLabels.Count} tags.");
        }
        var encoding = tokenizer.EncodeWords(words, new TokenizerOptions { Truncation = TruncationStrategy.LongestFirst, MaxLength = maxLength });
        return new Features(encoding.InputIds, encoding.AttentionMask, encoding.TokenTypeIds, Labels: AlignLabels(encoding, wordLabels, continuationLabels));
    }

    /// <param name="continuationLabels">Label id → the label of a word's later sub-tokens; null gives them -100.</param>
    public static long[] AlignLabels(Tokenization.Encoding encoding, IReadOnlyList<int> wordLabels, IReadOnlyList<int>? continuationLabels = null)
    {
        var labels = new long[encoding.Length];
        int? previous = null;
        for (var i = 0; i < labels.Length; i++)
        {
            var word = encoding.WordIds[i];
            labels[i] = word is null ? IgnoreIndex
                : word != previous ? wordLabels[word.Value]
                : continuationLabels is null ? IgnoreIndex : continuationLabels[wordLabels[word.Value]];
            previous = word;
        }
        return labels;
    }

    /// <summary>
    /// run_ner's <c>b_to_i_label</c>: a word's later sub-tokens continue its entity, so B-X becomes I-X (when the
    /// labels have I-X); every other label stays itself.
    /// </summary>
    public static int[] ContinuationLabels(ClassLabel labels) => labels.Names.Select((name, id) =>
        name.StartsWith("B-", StringComparison.Ordinal) && labels.Names.Contains("I-" + name[2..]) ? labels.StrToInt("I-" + name[2..]) : id).ToArray();

    /// <summary>
    /// Extractive QA: question and context in windows of <paramref name="maxLength"/> tokens overlapping by
    /// <paramref name="stride"/>; each window's start/end token positions of the answer, or 0 and 0 (the [CLS]
    /// token) when the answer is not wholly inside that window.
    /// </summary>
    public static IReadOnlyList<Features> QuestionAnswering(PreTrainedTokenizer tokenizer, string question, string context,
        int answerStart, string answerText, int maxLength, int stride)
    {
        if (answerStart < 0 || answerStart + answerText.Length > context.Length || context.Substring(answerStart, answerText.Length) != answerText)
        {
            throw new ArgumentException($"answer_start {answerStart} does not point at '{answerText}' in the context.");
        }
        var first = tokenizer.Encode(question, context, new TokenizerOptions
        {
            Truncation = TruncationStrategy.OnlySecond, MaxLength = maxLength, Stride = stride, ReturnOverflowingTokens = true,
        });
        var answerEnd = answerStart + answerText.Length;
        return first.Overflowing.Prepend(first).Select(window =>
        {
            var (start, end) = AnswerPositions(window, answerStart, answerEnd);
            return new Features(window.InputIds, window.AttentionMask, window.TokenTypeIds, StartPosition: start, EndPosition: end);
        }).ToList();
    }

    /// <summary>Token positions of the character span [answerStart, answerEnd) in a window; (0, 0) when outside.</summary>
    public static (int Start, int End) AnswerPositions(Tokenization.Encoding window, int answerStart, int answerEnd)
    {
        var context = Enumerable.Range(0, window.Length).Where(i => window.SequenceIds[i] == 1).ToList();
        if (context.Count == 0 || window.OffsetMapping[context[0]].Start > answerStart || window.OffsetMapping[context[^1]].End < answerEnd)
        {
            return (0, 0);
        }
        var start = context.First(i => window.OffsetMapping[i].End > answerStart);
        var end = context.Last(i => window.OffsetMapping[i].Start < answerEnd);
        return (start, end);
    }
}
