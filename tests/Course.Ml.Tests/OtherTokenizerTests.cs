using Course.Ml.Tokenization;

namespace Course.Ml.Tests;

public class ByteLevelBpeTokenizerTests
{
    [Fact]
    public void Gpt2_ids_tokens_and_offsets_match_hugging_face()
    {
        var encoding = Tokenizers.Gpt2.Encode("hello world");

        Assert.Equal([31373, 995], encoding.InputIds);
        Assert.Equal(["hello", "Ġworld"], encoding.Tokens);
        Assert.Null(encoding.TokenTypeIds);
        Assert.Equal([(0, 5), (5, 11)], encoding.OffsetMapping);
        Assert.Equal([0, 0], encoding.SpecialTokensMask);
        Assert.Equal([15496, 995], Tokenizers.Gpt2.Encode("Hello world").InputIds);
    }

    [Fact]
    public void Cl100k_base_gives_gpt4_ids()
    {
        Assert.Equal([15339, 1917], Tokenizers.Cl100k.Encode("hello world").InputIds);
        Assert.Equal("Ġworld", Tokenizers.Cl100k.IdToToken(1917));
        Assert.Equal(100257, Tokenizers.Cl100k.TokenToId("<|endoftext|>"));
    }

    [Fact]
    public void Rare_characters_fall_back_to_bytes_never_to_an_unknown_token()
    {
        var gpt2 = Tokenizers.Gpt2;
        var encoding = gpt2.Encode("naïve 🤗");

        Assert.Null(gpt2.SpecialTokens.UnkToken);
        Assert.True(encoding.Length > 3);
        Assert.Equal("naïve 🤗", gpt2.Decode(encoding.InputIds));
        // Concatenated, the tokens spell the text's UTF-8 bytes in GPT-2's byte-to-unicode alphabet.
        Assert.Equal("naÃ¯veĠðŁ¤Ĺ", string.Concat(encoding.Tokens));
    }

    [Fact]
    public void Word_ids_follow_the_pre_tokenizer()
    {
        var encoding = Tokenizers.Gpt2.Encode("Tokenizers don't split words, do they?");

        Assert.Equal([0, 0, 1, 2, 3, 4, 5, 6, 7, 8], encoding.WordIds.Select(w => w!.Value));
    }

    [Fact]
    public void The_vocabulary_is_spelled_in_the_byte_level_alphabet()
    {
        var gpt2 = Tokenizers.Gpt2;

        Assert.Equal(50257, gpt2.VocabSize);
        Assert.Equal("Ġworld", gpt2.IdToToken(995));
        Assert.Equal(50256, gpt2.TokenToId("<|endoftext|>"));
        Assert.Contains(gpt2.VocabularyStartingWith("Ġtransform"), v => v.Token == "Ġtransformer");
    }

    [Fact]
    public void Padding_without_a_pad_token_is_refused_as_in_hugging_face()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            Tokenizers.Gpt2.EncodeBatch(["a", "a longer text"], options: new TokenizerOptions { Padding = PaddingStrategy.Longest }));

        Assert.Contains("no padding token", error.Message);
    }
}

public class SentencePieceTokenizerTests
{
    public static TheoryData<string, string> SpmEncodeFixtures()
    {
        var data = new TheoryData<string, string>();
        foreach (var line in File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Fixtures/spm-encode-ids.tsv")))
        {
            var tab = line.LastIndexOf('\t');
            data.Add(line[..tab], line[(tab + 1)..]);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(SpmEncodeFixtures))]
    public void Ids_equal_spm_encode(string text, string spmEncodeIds)
    {
        var encoding = Tokenizers.Unigram.Encode(text, options: new TokenizerOptions { AddSpecialTokens = false });

        Assert.Equal(spmEncodeIds, string.Join(' ', encoding.InputIds));
    }

    [Fact]
    public void Eos_is_appended_and_offsets_point_into_the_original_text()
    {
        const string text = "Tokenization  splits text.";
        var encoding = Tokenizers.Unigram.Encode(text);

        Assert.Equal("</s>", encoding.Tokens[^1]);
        Assert.Equal(1, encoding.SpecialTokensMask[^1]);
        Assert.Null(encoding.TokenTypeIds);
        foreach (var (token, (start, end)) in encoding.Tokens.Zip(encoding.OffsetMapping).SkipLast(1))
        {
            Assert.Equal(token.TrimStart('▁'), text[start..end]);
        }
        Assert.Equal(Enumerable.Range(0, 3), encoding.WordIds.OfType<int>().Distinct());
    }

    [Fact]
    public void Unknown_characters_become_unk_with_their_span()
    {
        var encoding = Tokenizers.Unigram.Encode("日本語", options: new TokenizerOptions { AddSpecialTokens = false });

        var unk = Array.IndexOf(encoding.InputIds, 0);
        Assert.True(unk >= 0);
        Assert.Equal((0, 3), encoding.OffsetMapping[unk]);
        Assert.Equal("<unk>", Tokenizers.Unigram.SpecialTokens.UnkToken);
    }

    [Fact]
    public void Decoding_round_trips_plain_text_and_pads_with_its_pad_token()
    {
        var unigram = Tokenizers.Unigram;
        var batch = unigram.EncodeBatch(["short", "a somewhat longer sentence"], options: new TokenizerOptions { Padding = PaddingStrategy.Longest });

        Assert.Equal("a somewhat longer sentence", unigram.Decode(batch.Encodings[1].InputIds, skipSpecialTokens: true));
        Assert.Equal(3, batch.Encodings[0].InputIds[^1]);
        Assert.Equal(3000, unigram.VocabSize);
    }
}
