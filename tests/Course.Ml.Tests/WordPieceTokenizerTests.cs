using Course.Ml.Tokenization;

namespace Course.Ml.Tests;

/// <summary>Fixtures from Hugging Face's documented behaviour of BertTokenizer(Fast) for bert-base-uncased.</summary>
public class WordPieceTokenizerTests
{
    private static BertWordPieceTokenizer Bert => Tokenizers.Bert;

    [Fact]
    public void The_model_card_example_gives_hf_ids_offsets_and_word_ids()
    {
        var encoding = Bert.Encode("Hello, my dog is cute");

        Assert.Equal([101, 7592, 1010, 2026, 3899, 2003, 10140, 102], encoding.InputIds);
        Assert.Equal(["[CLS]", "hello", ",", "my", "dog", "is", "cute", "[SEP]"], encoding.Tokens);
        Assert.Equal([1, 1, 1, 1, 1, 1, 1, 1], encoding.AttentionMask);
        Assert.Equal([0, 0, 0, 0, 0, 0, 0, 0], encoding.TokenTypeIds!);
        Assert.Equal([(0, 0), (0, 5), (5, 6), (7, 9), (10, 13), (14, 16), (17, 21), (0, 0)], encoding.OffsetMapping);
        Assert.Equal([1, 0, 0, 0, 0, 0, 0, 1], encoding.SpecialTokensMask);
        Assert.Equal([null, 0, 1, 2, 3, 4, 5, null], encoding.WordIds);
    }

    [Fact]
    public void Unknown_words_are_spelled_with_continuation_pieces()
    {
        // HF's "Summary of the tokenizers": bert-base-uncased tokenizes "I have a new GPU!" like this.
        Assert.Equal(["i", "have", "a", "new", "gp", "##u", "!"], Bert.Tokens("I have a new GPU!"));

        var encoding = Bert.Encode("GPU", options: new TokenizerOptions { AddSpecialTokens = false });
        Assert.Equal([(0, 2), (2, 3)], encoding.OffsetMapping);
        Assert.Equal([0, 0], encoding.WordIds);
    }

    [Theory]
    [InlineData("Héllo wörld", new[] { "hello", "world" })]
    [InlineData("naïve café", new[] { "naive", "cafe" })]
    public void Accents_are_stripped_and_text_lower_cased(string text, string[] expected)
    {
        Assert.Equal(expected, Bert.Tokens(text));
    }

    [Theory]
    [InlineData("ÉCOLE Ångström", "ecole angstrom")]
    [InlineData("e\u0301te\u0301", "ete")]
    [InlineData("İstanbul ÇAĞRI", "istanbul cagri")]
    public void Accented_and_upper_case_text_tokenizes_like_its_plain_lower_case_form(string text, string plain)
    {
        Assert.Equal(Bert.Encode(plain).InputIds, Bert.Encode(text).InputIds);
    }

    [Fact]
    public void Accented_characters_keep_their_original_offsets()
    {
        var encoding = Bert.Encode("café au lait", options: new TokenizerOptions { AddSpecialTokens = false });

        Assert.Equal(["cafe", "au", "lai", "##t"], encoding.Tokens);
        Assert.Equal([(0, 4), (5, 7), (8, 11), (11, 12)], encoding.OffsetMapping);
    }

    [Fact]
    public void Ascii_symbols_are_split_off_as_punctuation_not_dropped()
    {
        Assert.Equal(["$", "5", "+", "3", "=", "8", "<", "9", ">", "2", "|", "~", "^", "`", "@", "#"],
            Bert.Tokens("$5+3=8<9>2|~^`@#"));
    }

    [Fact]
    public void Currency_and_other_symbols_stay_in_the_word_and_are_not_dropped()
    {
        var tokens = Bert.Tokens("€10 ©2024");

        Assert.DoesNotContain("[UNK]", tokens);
        Assert.Equal("€", tokens[0]);
        Assert.Equal("©", tokens[2]);
        Assert.Equal("€10 ©2024", Bert.Decode(Bert.Encode("€10 ©2024").InputIds, skipSpecialTokens: true));
    }

    [Fact]
    public void Tabs_newlines_and_carriage_returns_separate_words()
    {
        Assert.Equal(["hello", "world", "foo", "bar", "dog"], Bert.Tokens("hello\tworld\nfoo\r\nbar\u00A0dog"));
    }

    [Fact]
    public void Control_characters_are_removed_without_joining_or_splitting_words()
    {
        Assert.Equal(["hello", "world"], Bert.Tokens("hel\u0000lo\u200B world\uFFFD"));
    }

    [Fact]
    public void Chinese_characters_are_tokens_of_their_own()
    {
        var encoding = Bert.Encode("日本人", options: new TokenizerOptions { AddSpecialTokens = false });

        Assert.Equal(["日", "本", "人"], encoding.Tokens);
        Assert.Equal([1864, 1876, 1756], encoding.InputIds);
        Assert.Equal([(0, 1), (1, 2), (2, 3)], encoding.OffsetMapping);
        Assert.Equal([0, 1, 2], encoding.WordIds);
    }

    [Fact]
    public void A_chinese_character_missing_from_the_vocabulary_is_unknown_on_its_own()
    {
        Assert.Equal(["我", "[UNK]", "[UNK]"], Bert.Tokens("我爱你"));
    }

    [Fact]
    public void An_emoji_is_unknown_and_its_offsets_count_utf16_code_units()
    {
        var encoding = Bert.Encode("I love 🤗!", options: new TokenizerOptions { AddSpecialTokens = false });

        Assert.Equal(["i", "love", "[UNK]", "!"], encoding.Tokens);
        Assert.Equal(100, encoding.InputIds[2]);
        Assert.Equal([(0, 1), (2, 6), (7, 9), (9, 10)], encoding.OffsetMapping);
    }

    [Fact]
    public void Special_tokens_typed_in_the_text_are_kept_whole()
    {
        var encoding = Bert.Encode("The capital of France is [MASK].", options: new TokenizerOptions { AddSpecialTokens = false });

        Assert.Equal(["the", "capital", "of", "france", "is", "[MASK]", "."], encoding.Tokens);
        Assert.Equal(103, encoding.InputIds[5]);
        Assert.Equal((25, 31), encoding.OffsetMapping[5]);
        Assert.Equal([0, 1, 2, 3, 4, 5, 6], encoding.WordIds.Select(w => w!.Value));
        Assert.Equal(["[", "mask", "]"], Bert.Tokens("[mask]"));
    }

    [Fact]
    public void A_word_longer_than_100_characters_is_one_unknown_token()
    {
        var word = new string('a', 101);

        Assert.Equal(["[UNK]"], Bert.Tokens(word));
        Assert.NotEqual(["[UNK]"], Bert.Tokens(word[..100]));
    }

    [Fact]
    public void Sentence_pairs_get_segment_ids_and_per_sequence_word_ids()
    {
        var encoding = Bert.Encode("How old are you?", "I am 6");

        Assert.Equal(["[CLS]", "how", "old", "are", "you", "?", "[SEP]", "i", "am", "6", "[SEP]"], encoding.Tokens);
        Assert.Equal([0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1], encoding.TokenTypeIds!);
        Assert.Equal([null, 0, 0, 0, 0, 0, null, 1, 1, 1, null], encoding.SequenceIds);
        Assert.Equal([null, 0, 1, 2, 3, 4, null, 0, 1, 2, null], encoding.WordIds);
    }

    [Theory]
    [InlineData("Hello, my dog is cute", "hello, my dog is cute")]
    [InlineData("I don't think it's unaffordable!", "i don't think it's unaffordable!")]
    [InlineData("Tokenization is fun. Right?", "tokenization is fun. right?")]
    public void Decoding_round_trips_the_normalised_text(string text, string expected)
    {
        var ids = Bert.Encode(text).InputIds;

        Assert.Equal(expected, Bert.Decode(ids, skipSpecialTokens: true));
        Assert.StartsWith("[CLS] ", Bert.Decode(ids));
    }

    [Fact]
    public void The_vocabulary_answers_size_lookups_prefixes_and_special_tokens()
    {
        Assert.Equal(30522, Bert.VocabSize);
        Assert.Equal("[MASK]", Bert.IdToToken(103));
        Assert.Equal(7592, Bert.TokenToId("hello"));
        Assert.Null(Bert.TokenToId("qwertyuiop"));
        Assert.Null(Bert.IdToToken(30522));
        Assert.Contains(("##ing", Bert.TokenToId("##ing")!.Value), Bert.VocabularyStartingWith("##in"));
        Assert.Equal(["unk_token", "cls_token", "sep_token", "pad_token", "mask_token"], Bert.SpecialTokens.All().Select(t => t.Name));
        Assert.Equal(0, Bert.PadTokenId);
    }

    [Fact]
    public void Decoding_an_id_outside_the_vocabulary_is_an_error()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Bert.Decode([101, 40000]));

        Assert.Contains("40000", error.Message);
    }
}
