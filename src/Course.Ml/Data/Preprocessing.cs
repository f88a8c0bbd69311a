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

    public static Features SequenceClassification(PreTrainedTokenizer tokenizer, string text, long label, int maxLength)
    {
        var encoding = tokenizer.Encode(text, options: new TokenizerOptions { Truncation = TruncationStrategy.LongestFirst, MaxLength = maxLength });
        return new Features(encoding.InputIds, encoding.AttentionMask, encoding.TokenTypeIds, Label: label);
    }

    /// <summary>
    /// Word-level tags onto sub-tokens: the first sub-token of each word carries the word's label, later
    /// sub-tokens and special tokens get -100 so the loss ignores them.
    /// </summary>
    public static Features TokenClassification(PreTrainedTokenizer tokenizer, IReadOnlyList<string> words, IReadOnlyList<int> wordLabels, int maxLength)
    {
        if (words.Count != wordLabels.Count)
        {
            throw new ArgumentException($"{words.Count} tokens but {wordLabels.Count} tags.");
        }
        var encoding = tokenizer.EncodeWords(words, new TokenizerOptions { Truncation = TruncationStrategy.LongestFirst, MaxLength = maxLength });
        return new Features(encoding.InputIds, encoding.AttentionMask, encoding.TokenTypeIds, Labels: AlignLabels(encoding, wordLabels));
    }

    public static long[] AlignLabels(Tokenization.Encoding encoding, IReadOnlyList<int> wordLabels)
    {
        var labels = new long[encoding.Length];
        int? previous = null;
        for (var i = 0; i < labels.Length; i++)
        {
            var word = encoding.WordIds[i];
            labels[i] = word is null || word == previous ? IgnoreIndex : wordLabels[word.Value];
            previous = word;
        }
        return labels;
    }

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
