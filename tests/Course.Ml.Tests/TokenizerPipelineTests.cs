using Course.Ml.Tokenization;

namespace Course.Ml.Tests;

/// <summary>Special tokens, truncation, overflow with stride, padding and batches (PreTrainedTokenizer).</summary>
public class TokenizerPipelineTests
{
    private static BertWordPieceTokenizer Bert => Tokenizers.Bert;

    private const string Question = "Who wrote it?";
    private const string Context = "The book was written by Ada in London during the long winter of the year.";

    [Fact]
    public void Longest_first_trims_the_longer_sequence_first()
    {
        var encoding = Bert.Encode("one two three four five six", "alpha beta", new TokenizerOptions { Truncation = TruncationStrategy.LongestFirst, MaxLength = 9 });

        Assert.Equal(["[CLS]", "one", "two", "three", "four", "[SEP]", "alpha", "beta", "[SEP]"], encoding.Tokens);
        var balanced = Bert.Encode("one two three four five six", "a b c d e f", new TokenizerOptions { Truncation = TruncationStrategy.LongestFirst, MaxLength = 9 });
        Assert.Equal(3, balanced.SequenceIds.Count(s => s == 0));
        Assert.Equal(3, balanced.SequenceIds.Count(s => s == 1));
    }

    [Fact]
    public void Only_second_keeps_the_question_and_cuts_the_context()
    {
        var encoding = Bert.Encode(Question, Context, new TokenizerOptions { Truncation = TruncationStrategy.OnlySecond, MaxLength = 12 });

        Assert.Equal(12, encoding.Length);
        Assert.Equal(["[CLS]", "who", "wrote", "it", "?", "[SEP]", "the", "book", "was", "written", "by", "[SEP]"], encoding.Tokens);
        Assert.Empty(encoding.Overflowing);
    }

    [Fact]
    public void Overflowing_windows_share_stride_tokens_and_cover_the_whole_context()
    {
        var options = new TokenizerOptions { Truncation = TruncationStrategy.OnlySecond, MaxLength = 14, Stride = 3, ReturnOverflowingTokens = true };

        var first = Bert.Encode(Question, Context, options);
        var windows = first.Overflowing.Prepend(first).ToList();

        var contextTokens = Bert.Tokens(Context);
        var room = 14 - 3 - 4;  // three special tokens and the question's four
        Assert.All(windows, w => Assert.Equal(["[CLS]", "who", "wrote", "it", "?", "[SEP]"], w.Tokens[..6]));
        Assert.Equal(contextTokens[..room], windows[0].Tokens[6..^1]);
        Assert.Equal(contextTokens[(room - 3)..(2 * room - 3)], windows[1].Tokens[6..^1]);
        Assert.Equal(contextTokens[^1], windows[^1].Tokens[^2]);
        Assert.Equal((int)Math.Ceiling((contextTokens.Length - 3) / (double)(room - 3)), windows.Count);
        // Offsets still point into the context string.
        var (start, end) = windows[1].OffsetMapping[6];
        Assert.Equal(windows[1].Tokens[6], Context[start..end].ToLowerInvariant());
    }

    [Fact]
    public void A_single_long_text_is_split_into_windows_too()
    {
        var options = new TokenizerOptions { Truncation = TruncationStrategy.LongestFirst, MaxLength = 6, Stride = 1, ReturnOverflowingTokens = true };

        var batch = Bert.EncodeBatch(["a b c d e f g", "x"], options: options);

        Assert.Equal([0, 0, 1], batch.OverflowToSampleMapping);
        Assert.Equal(["[CLS]", "a", "b", "c", "d", "[SEP]"], batch.Encodings[0].Tokens);
        Assert.Equal(["[CLS]", "d", "e", "f", "g", "[SEP]"], batch.Encodings[1].Tokens);
    }

    [Fact]
    public void Batches_pad_to_the_longest_with_masks_and_special_token_marks()
    {
        var batch = Bert.EncodeBatch(["Hi", "Hello there friend"], options: new TokenizerOptions { Padding = PaddingStrategy.Longest });

        var shorter = batch.Encodings[0];
        Assert.Equal(5, shorter.Length);
        Assert.Equal([101, Bert.TokenToId("hi")!.Value, 102, 0, 0], shorter.InputIds);
        Assert.Equal([1, 1, 1, 0, 0], shorter.AttentionMask);
        Assert.Equal([1, 0, 1, 1, 1], shorter.SpecialTokensMask);
        Assert.Equal([null, 0, null, null, null], shorter.WordIds);
        Assert.Equal([1, 1, 1, 1, 1], batch.Encodings[1].AttentionMask);
    }

    [Fact]
    public void Max_length_padding_and_truncation_give_fixed_length_rows()
    {
        var options = new TokenizerOptions { Padding = PaddingStrategy.MaxLength, Truncation = TruncationStrategy.LongestFirst, MaxLength = 8 };

        var batch = Bert.EncodeBatch(["short", "this sentence is clearly much longer than eight tokens"], options: options);

        Assert.All(batch.Encodings, e => Assert.Equal(8, e.Length));
        Assert.Equal(102, batch.Encodings[1].InputIds[^1]);
    }

    [Fact]
    public void Without_special_tokens_only_the_text_is_encoded()
    {
        var encoding = Bert.Encode("Hello, my dog is cute", options: new TokenizerOptions { AddSpecialTokens = false });

        Assert.Equal([7592, 1010, 2026, 3899, 2003, 10140], encoding.InputIds);
    }

    [Fact]
    public void Impossible_truncations_explain_themselves()
    {
        var tooSmall = Assert.Throws<ArgumentException>(() => Bert.Encode("a b", options: new TokenizerOptions { Truncation = TruncationStrategy.LongestFirst, MaxLength = 2 }));
        Assert.Contains("no room", tooSmall.Message);

        var questionTooLong = Assert.Throws<ArgumentException>(() =>
            Bert.Encode(Context, "short", new TokenizerOptions { Truncation = TruncationStrategy.OnlySecond, MaxLength = 8 }));
        Assert.Contains("first sequence alone", questionTooLong.Message);

        var stride = Assert.Throws<ArgumentException>(() =>
            Bert.Encode(Question, Context, new TokenizerOptions { Truncation = TruncationStrategy.OnlySecond, MaxLength = 10, Stride = 5, ReturnOverflowingTokens = true }));
        Assert.Contains("stride 5", stride.Message);

        var pairs = Assert.Throws<ArgumentException>(() => Bert.EncodeBatch(["a", "b"], ["c"]));
        Assert.Contains("one pair per text", pairs.Message);
    }

    [Fact]
    public void Without_truncation_long_inputs_are_kept_whole()
    {
        var text = string.Join(' ', Enumerable.Repeat("word", 600));

        Assert.Equal(602, Bert.Encode(text).Length);
    }
}
