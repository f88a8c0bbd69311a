using Course.Core.Quizzes;
using Course.Ml.Hub;
using Course.Ml.Tokenization;

namespace Course.Grading.Content;

/// <summary>
/// Keys of computed quiz items, from the same tokenizers the playground shows (so a student who checks the
/// answer there gets the key): token counts with and without special tokens, a token's id, the vocabulary size.
/// </summary>
public sealed class TokenizerQuizKeys(ModelHub hub)
{
    public double Compute(ComputeSpec spec)
    {
        var tokenizer = AutoTokenizer.FromPretrained(spec.Tokenizer, hub);
        return spec.Function switch
        {
            "token_count" => tokenizer.Encode(spec.Text!, options: new TokenizerOptions { AddSpecialTokens = false }).InputIds.Length,
            "input_ids_length" => tokenizer.Encode(spec.Text!).InputIds.Length,
            "token_id" => tokenizer.TokenToId(spec.Text!)
                ?? throw new ArgumentException($"'{spec.Text}' is not a single token of {spec.Tokenizer}'s vocabulary"),
            "vocab_size" => tokenizer.VocabSize,
            _ => throw new ArgumentException($"unknown compute function '{spec.Function}'"),
        };
    }
}
