using Course.Ml.Models.Heads;
using Course.Ml.Tokenization;
using static TorchSharp.torch;

namespace Course.Ml.Pipelines;

/// <summary>How token predictions become entities (HF's <c>aggregation_strategy</c>).</summary>
public enum AggregationStrategy
{
    /// <summary>One prediction per token.</summary>
    None,
    /// <summary>Adjacent tokens with the same entity type (B-/I- aware) form one span.</summary>
    Simple,
    /// <summary>A word takes the label of its first sub-token.</summary>
    First,
    /// <summary>A word takes the label of its sub-tokens' averaged probabilities.</summary>
    Average,
    /// <summary>A word takes the label of its most confident sub-token.</summary>
    Max,
}

/// <summary>One token's prediction before aggregation.</summary>
public sealed record TokenScores(int Index, string Token, int Start, int End, int? WordId, float[] Probabilities);

/// <summary>Named-entity recognition and other tagging (HF <c>token-classification</c>).</summary>
public sealed class TokenClassificationPipeline(string modelId, PreTrainedTokenizer tokenizer, BertForTokenClassification model, PipelineOptions options)
    : Pipeline(TokenClassification, modelId, tokenizer, model, options)
{
    private const string Outside = "O";

    public IReadOnlyList<EntityPrediction> Run(string text, AggregationStrategy strategy = AggregationStrategy.Simple) => Run([text], strategy)[0];

    public IReadOnlyList<IReadOnlyList<EntityPrediction>> Run(IReadOnlyList<string> texts, AggregationStrategy strategy = AggregationStrategy.Simple, int batchSize = 1) =>
        Run(texts.Select(text => (text, strategy)).ToList(), batchSize);

    /// <summary>Texts each with its own strategy (aggregation is postprocessing), run as one batch: a server batching several users' requests.</summary>
    public IReadOnlyList<IReadOnlyList<EntityPrediction>> Run(IReadOnlyList<(string Text, AggregationStrategy Strategy)> inputs, int batchSize) =>
        RunBatched(inputs, batchSize,
            input =>
            {
                CheckText(input.Text);
                return [Tokenizer.Encode(input.Text, options: Truncated)];
            },
            (ids, mask, types) => model.forward(ids, mask, types).Logits,
            (input, rows) =>
            {
                var ((encoding, logits), labels) = (rows[0], model.Config.Labels);
                // Padding carries a special-tokens mask of 1, so it drops out here with [CLS] and [SEP].
                var tokens = Enumerable.Range(0, encoding.Length)
                    .Where(i => encoding.SpecialTokensMask[i] == 0)
                    .Select(i => new TokenScores(i, encoding.Tokens[i], encoding.OffsetMapping[i].Start, encoding.OffsetMapping[i].End,
                        encoding.WordIds[i], Softmax(logits.AsSpan(i * labels.Count, labels.Count))))
                    .ToList();
                return Aggregate(tokens, labels, input.Strategy, Tokenizer);
            });

    /// <summary>HF's postprocessing: per-token labels, word-level aggregation, then grouping of adjacent entities; "O" dropped.</summary>
    public static IReadOnlyList<EntityPrediction> Aggregate(IReadOnlyList<TokenScores> tokens, IReadOnlyList<string> labels,
        AggregationStrategy strategy, PreTrainedTokenizer tokenizer)
    {
        if (strategy == AggregationStrategy.None)
        {
            return tokens.Select(t =>
            {
                var best = ArgMax(t.Probabilities);
                return new EntityPrediction(null, labels[best], t.Probabilities[best], t.Index, t.Token, t.Start, t.End);
            }).Where(e => e.Entity != Outside).ToList();
        }

        // (label, score, tokens) per unit: tokens for "simple", words otherwise.
        var units = strategy == AggregationStrategy.Simple
            ? tokens.Select(t => { var best = ArgMax(t.Probabilities); return (Label: labels[best], Score: t.Probabilities[best], Tokens: new List<TokenScores> { t }); }).ToList()
            : tokens.GroupBy(t => t.WordId).Select(word => AggregateWord(word.ToList(), labels, strategy)).ToList();

        var groups = new List<(string Tag, List<float> Scores, List<TokenScores> Tokens)>();
        foreach (var (label, score, unitTokens) in units)
        {
            var (bi, tag) = SplitTag(label);
            if (groups.Count > 0 && groups[^1].Tag == tag && bi != 'B')
            {
                groups[^1].Scores.Add(score);
                groups[^1].Tokens.AddRange(unitTokens);
            }
            else
            {
                groups.Add((tag, [score], [.. unitTokens]));
            }
        }
        return groups
            .Where(g => g.Tag != Outside)
            .Select(g => new EntityPrediction(g.Tag, null, g.Scores.Average(), null, TokensToString(tokenizer, g.Tokens), g.Tokens[0].Start, g.Tokens[^1].End))
            .ToList();
    }

    private static (string Label, float Score, List<TokenScores> Tokens) AggregateWord(List<TokenScores> word, IReadOnlyList<string> labels, AggregationStrategy strategy)
    {
        float[] probabilities = strategy switch
        {
            AggregationStrategy.First => word[0].Probabilities,
            AggregationStrategy.Max => word.MaxBy(t => t.Probabilities.Max())!.Probabilities,
            _ => Enumerable.Range(0, labels.Count).Select(l => word.Average(t => t.Probabilities[l])).ToArray(),
        };
        var best = ArgMax(probabilities);
        return (labels[best], probabilities[best], word);
    }

    /// <summary>"B-PER" → ('B', "PER"); a label without a prefix continues a span of the same label.</summary>
    private static (char Bi, string Tag) SplitTag(string label) =>
        label.Length > 2 && label[1] == '-' && label[0] is 'B' or 'I' ? (label[0], label[2..]) : ('I', label);

    /// <summary>HF's <c>convert_tokens_to_string</c> for the group's tokens ("hu", "##gging" → "hugging").</summary>
    private static string TokensToString(PreTrainedTokenizer tokenizer, List<TokenScores> tokens) =>
        tokenizer.Decode(tokens.Select(t => tokenizer.TokenToId(t.Token) ?? 0));

    private static int ArgMax(float[] values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best]) best = i;
        }
        return best;
    }
}
