using Course.Ml.Tokenization;

namespace Course.Ml.Tests;

/// <summary>
/// The normaliser, pre-tokenizer, model and post-processor stages: HF's documented outputs (the LLM course's
/// "Normalization and pre-tokenization" chapter), and that the stages compose to exactly what Encode gives, with
/// offsets into the original text.
/// </summary>
public class TokenizerStagesTests
{
    private const string HfCourseSentence = "Hello, how are  you?";

    public static TheoryData<string, string> TokenizersAndTexts()
    {
        string[] texts =
        [
            HfCourseSentence,
            "Héllò hôw are ü? ÉCOLE Ångström",
            "naïve café, jalapeño, déjà vu",
            "CJK 日本語 and 你好世界 mixed",
            "Emoji 😀🤗 and 👩‍👩‍👧 here",
            "  Extra   spaces   and\ttabs  \n",
            "e\u0301te\u0301 Ｈｅｌｌｏ ﬁne",
            "The [MASK] sat on the mat.",
            "One text<|endoftext|>  another",
            "",
        ];
        var data = new TheoryData<string, string>();
        foreach (var tokenizer in new[] { "bert", "gpt2", "cl100k", "unigram" })
        {
            foreach (var text in texts)
            {
                data.Add(tokenizer, text);
            }
        }
        return data;
    }

    private static PreTrainedTokenizer Named(string name) => name switch
    {
        "bert" => Tokenizers.Bert,
        "gpt2" => Tokenizers.Gpt2,
        "cl100k" => Tokenizers.Cl100k,
        _ => Tokenizers.Unigram,
    };

    [Theory]
    [MemberData(nameof(TokenizersAndTexts))]
    public void The_stages_compose_to_exactly_what_encode_gives(string name, string text)
    {
        var tokenizer = Named(name);
        var stages = tokenizer.Stages(text, "A second sentence.");
        var encoded = tokenizer.Encode(text, "A second sentence.");

        Assert.Equal(encoded.InputIds, stages.Encoding.InputIds);
        Assert.Equal(encoded.Tokens, stages.Encoding.Tokens);
        Assert.Equal(encoded.OffsetMapping, stages.Encoding.OffsetMapping);
        Assert.Equal(encoded.WordIds, stages.Encoding.WordIds);
        Assert.Equal(encoded.TokenTypeIds, stages.Encoding.TokenTypeIds);
        // The post-processor's template with each sequence's model tokens in place of $A and $B.
        IEnumerable<(string, int, (int, int), int?)> Part(string part) => part.Split(':')[0] switch
        {
            "$A" => stages.First.Model.Select(t => (t.Token, t.Id, (t.Start, t.End), (int?)t.Word)),
            "$B" => stages.Second!.Model.Select(t => (t.Token, t.Id, (t.Start, t.End), (int?)t.Word)),
            var special => [(special, tokenizer.TokenToId(special)!.Value, (0, 0), null)],
        };
        Assert.Equal(stages.PostProcessor.Split(' ').SelectMany(Part), encoded.Tokens.Select((token, i) => (token, encoded.InputIds[i], encoded.OffsetMapping[i], encoded.WordIds[i])));
    }

    [Theory]
    [MemberData(nameof(TokenizersAndTexts))]
    public void Every_stage_points_into_the_original_text(string name, string text)
    {
        var tokenizer = Named(name);
        var stages = tokenizer.Stages(text).First;
        var normalizer = stages.Normalizer;

        Assert.Equal(normalizer.Normalized.Length, normalizer.Alignments.Count);
        Assert.All(normalizer.Alignments, a => Assert.True(0 <= a.Start && a.Start <= a.End && a.End <= text.Length, $"{a} outside {text.Length}"));
        Assert.Equal(normalizer.Alignments.Select(a => a.Start).Order(), normalizer.Alignments.Select(a => a.Start));
        foreach (var piece in stages.PreTokenizer)
        {
            // Pre-tokenizing the original slice alone gives the piece back: the offsets cut the original text where it split.
            var again = tokenizer.Stages(text[piece.Start..piece.End]).First.PreTokenizer;
            Assert.Equal([piece.Text], again.Select(p => p.Text));
        }
        foreach (var token in stages.Model)
        {
            var word = stages.PreTokenizer[token.Word];
            Assert.True(word.Start <= token.Start && token.End <= word.End, $"{token} outside its word {word}");
            Assert.False(token.Start < text.Length && char.IsLowSurrogate(text[token.Start]), $"{token} starts inside a surrogate pair");
            if (tokenizer.IsSpecial(token.Id))
            {
                continue;
            }
            // The original slice, pre-tokenized, spells the token (a byte-level token may hold some of a character's bytes).
            var slice = string.Concat(tokenizer.Stages(text[token.Start..token.End]).First.PreTokenizer.Select(p => p.Text));
            if (tokenizer.Algorithm == TokenizerAlgorithm.Bpe)
            {
                Assert.Contains(token.Token, slice);
            }
            else
            {
                Assert.Equal(SurfaceOf(token.Token), SurfaceOf(slice));
            }
        }
        Assert.Equal(stages.Model.Select(t => t.Word), tokenizer.Encode(text, options: new TokenizerOptions { AddSpecialTokens = false }).WordIds.Select(w => w!.Value));
    }

    /// <summary>What a WordPiece or SentencePiece token spells, without the "##" or "▁" that mark where it sits in a word.</summary>
    private static string SurfaceOf(string token) => token.StartsWith("##", StringComparison.Ordinal) ? token[2..] : token.TrimStart('▁');

    [Fact]
    public void Bert_normalizer_and_pre_tokenizer_give_hugging_faces_outputs()
    {
        var bert = Tokenizers.Bert;

        // normalizer.normalize_str("Héllò hôw are ü?") of bert-base-uncased.
        Assert.Equal("hello how are u?", bert.Stages("Héllò hôw are ü?").First.Normalizer.Normalized);
        // pre_tokenizer.pre_tokenize_str("Hello, how are  you?"): the same offsets (our pieces are the normalised text's).
        Assert.Equal(
            [new("hello", 0, 5), new(",", 5, 6), new("how", 7, 10), new("are", 11, 14), new("you", 16, 19), new StagePiece("?", 19, 20)],
            bert.Stages(HfCourseSentence).First.PreTokenizer);
        // BertNormalizer's handle_chinese_chars puts a space on each side of an ideograph, aligned to it.
        var cjk = bert.Stages("日本").First.Normalizer;
        Assert.Equal(" 日  本 ", cjk.Normalized);
        Assert.Equal([(0, 1), (0, 1), (0, 1), (1, 2), (1, 2), (1, 2)], cjk.Alignments);
        Assert.Equal("[CLS] $A [SEP]", bert.PostProcessorTemplate(pair: false));
        Assert.Equal("[CLS] $A [SEP] $B:1 [SEP]:1", bert.PostProcessorTemplate(pair: true));
    }

    [Fact]
    public void Accents_keep_the_span_of_the_original_character()
    {
        var normalizer = Tokenizers.Bert.Stages("Ça va").First.Normalizer;

        Assert.Equal("ca va", normalizer.Normalized);
        Assert.Equal([(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)], normalizer.Alignments);
        Assert.Equal((0, 2), normalizer.OriginalSpan(0, 2));
    }

    [Fact]
    public void A_special_token_typed_in_the_text_passes_every_stage_whole()
    {
        var stages = Tokenizers.Bert.Stages("a [MASK].").First;

        Assert.Equal("a [MASK].", stages.Normalizer.Normalized);
        Assert.Equal(["a", "[MASK]", "."], stages.PreTokenizer.Select(p => p.Text));
        Assert.Equal(new ModelToken("[MASK]", 103, 2, 8, 1), stages.Model[1]);
    }

    [Fact]
    public void Gpt2_pre_tokenizer_gives_hugging_faces_pieces_and_there_is_no_normalizer()
    {
        var stages = Tokenizers.Gpt2.Stages(HfCourseSentence);

        Assert.Equal(HfCourseSentence, stages.First.Normalizer.Normalized);
        Assert.Equal(
            [new("Hello", 0, 5), new(",", 5, 6), new("Ġhow", 6, 10), new("Ġare", 10, 14), new("Ġ", 14, 15), new("Ġyou", 15, 19), new StagePiece("?", 19, 20)],
            stages.First.PreTokenizer);
        Assert.Equal("$A", stages.PostProcessor);
        Assert.Equal("$A $B", Tokenizers.Gpt2.PostProcessorTemplate(pair: true));
        // The model card's ids (ByteLevelBpeTokenizerTests) through the stages.
        Assert.Equal([new("hello", 31373, 0, 5, 0), new ModelToken("Ġworld", 995, 5, 11, 1)], Tokenizers.Gpt2.Stages("hello world").First.Model);
    }

    [Fact]
    public void A_special_token_typed_in_the_text_is_one_pre_token_and_one_word_as_tiktoken_matches_it_first()
    {
        var stages = Tokenizers.Gpt2.Stages("a<|endoftext|> b").First;

        Assert.Equal([new("a", 0, 1), new("<|endoftext|>", 1, 14), new StagePiece("Ġb", 14, 16)], stages.PreTokenizer);
        Assert.Equal([new("a", 64, 0, 1, 0), new("<|endoftext|>", 50256, 1, 14, 1), new ModelToken("Ġb", 275, 14, 16, 2)], stages.Model);
    }

    [Fact]
    public void An_emoji_is_one_pre_token_spelled_in_bytes_and_its_byte_tokens_keep_its_span()
    {
        var stages = Tokenizers.Gpt2.Stages("naïve 🤗").First;

        Assert.Equal([new("naÃ¯ve", 0, 5), new StagePiece("ĠðŁ¤Ĺ", 5, 8)], stages.PreTokenizer);
        Assert.Equal("naÃ¯veĠðŁ¤Ĺ", string.Concat(stages.Model.Select(t => t.Token)));
        Assert.All(stages.Model.Where(t => t.Word == 1), t => Assert.True(t.Start >= 5 && t.End == 8, t.ToString()));
    }

    [Fact]
    public void Sentence_piece_metaspace_gives_hugging_faces_t5_pieces()
    {
        var unigram = Tokenizers.Unigram;
        var stages = unigram.Stages(HfCourseSentence);

        // T5's pre_tokenizer.pre_tokenize_str("Hello, how are  you?") in the LLM course.
        Assert.Equal(
            [new("▁Hello,", 0, 6), new("▁how", 7, 10), new("▁are", 11, 14), new StagePiece("▁you?", 16, 20)],
            stages.First.PreTokenizer);
        Assert.Equal("Hello, how are you?", stages.First.Normalizer.Normalized);
        Assert.Equal((14, 16), stages.First.Normalizer.Alignments[14]); // the one space left of two
        Assert.Equal("$A </s>", stages.PostProcessor);
        Assert.Equal("$A </s> $B </s>", unigram.PostProcessorTemplate(pair: true));
    }

    [Fact]
    public void Sentence_piece_normalizer_applies_nfkc_and_keeps_the_original_spans()
    {
        const string text = "e\u0301te\u0301  Ｈｅｌｌｏ ﬁne";
        var normalizer = Tokenizers.Unigram.Stages(text).First.Normalizer;

        Assert.Equal("été Hello fine", normalizer.Normalized);
        Assert.Equal((0, 2), normalizer.Alignments[0]); // é composed from e and a combining accent
        Assert.Equal((5, 7), normalizer.Alignments[3]); // two spaces, one left
        Assert.Equal((7, 8), normalizer.Alignments[4]); // fullwidth Ｈ
        Assert.Equal([(13, 14), (13, 14)], normalizer.Alignments.Skip(10).Take(2)); // the ﬁ ligature is two letters
    }

    [Theory]
    [MemberData(nameof(SentencePieceTokenizerTests.SpmEncodeFixtures), MemberType = typeof(SentencePieceTokenizerTests))]
    public void Sentence_piece_model_stage_gives_spm_encode_ids(string text, string spmEncodeIds)
    {
        Assert.Equal(spmEncodeIds, string.Join(' ', Tokenizers.Unigram.Stages(text).First.Model.Select(t => t.Id)));
    }

    [Fact]
    public void The_model_card_example_through_the_stages_gives_hf_ids()
    {
        var stages = Tokenizers.Bert.Stages("Hello, my dog is cute");

        Assert.Equal([7592, 1010, 2026, 3899, 2003, 10140], stages.First.Model.Select(t => t.Id));
        Assert.Equal([101, 7592, 1010, 2026, 3899, 2003, 10140, 102], stages.Encoding.InputIds);
    }
}
