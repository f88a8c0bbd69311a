using Course.Ml.Models.Bert;
using Course.Ml.Tokenization;
using static TorchSharp.torch;

namespace Course.Ml.Pipelines;

/// <summary>
/// What BertViz's <c>head_view(attention, tokens, sentence_b_start)</c> takes: the tokens, where the second sentence
/// starts, and <c>outputs.attentions</c> of <c>model(**inputs, output_attentions=True)</c> as
/// <c>[layer][head][query][key]</c> (batch of one dropped); each query's row sums to 1 over the keys.
/// </summary>
/// <param name="ClsShare">[layer][head]: the weight a head puts on <c>[CLS]</c>, averaged over the queries.</param>
/// <param name="SepShare">[layer][head]: the same for the <c>[SEP]</c> tokens together (Clark et al., 2019, found
/// many heads of BERT's middle layers put most of their weight there).</param>
public sealed record AttentionMaps(string ModelId, IReadOnlyList<string> Tokens, int? SentenceBStart, float[][][][] Attentions,
    float[][] ClsShare, float[][] SepShare)
{
    public int Layers => Attentions.Length;

    public int Heads => Attentions[0].Length;

    /// <summary>The shapes as Python prints them: one (batch, heads, seq, seq) tensor per layer.</summary>
    public string Shape => $"{Layers} × (1, {Heads}, {Tokens.Count}, {Tokens.Count})";
}

/// <summary>
/// Not one of HF's pipeline tasks: the encoder's attention for one sentence or pair, read from a forward pass with
/// <c>output_attentions</c>. Each input runs alone, so the weights are exactly those of the model on that input (a
/// padded batch sums in another order). Any BERT checkpoint loads: a fine-tuned one's head is not needed.
/// </summary>
public sealed class AttentionPipeline(string modelId, PreTrainedTokenizer tokenizer, BertModel model, PipelineOptions options)
    : Pipeline(Attention, modelId, tokenizer, model, options)
{
    public AttentionMaps Run(string text, string? textPair = null) => Run([(text, textPair)])[0];

    /// <param name="maxTokens">The longest encoding accepted (special tokens included); null: the model's maximum.</param>
    public IReadOnlyList<AttentionMaps> Run(IReadOnlyList<(string Text, string? TextPair)> inputs, int? maxTokens = null)
    {
        var limit = Math.Min(maxTokens ?? Tokenizer.ModelMaxLength, Tokenizer.ModelMaxLength);
        var config = model.Config;
        return RunBatched(inputs, batchSize: 1,
            input =>
            {
                CheckText(input.Text);
                var pair = string.IsNullOrWhiteSpace(input.TextPair) ? null : input.TextPair;
                if (pair is not null)
                {
                    CheckText(pair, "second sentence");
                }
                var encoding = Tokenizer.Encode(input.Text, pair);
                return encoding.Length <= limit ? [encoding]
                    : throw new ArgumentException($"The input makes {encoding.Length} tokens ([CLS] and [SEP] included); at most {limit} are shown: shorten it.");
            },
            (ids, mask, types) => stack(model.forward(ids, mask, types, outputAttentions: true).Attentions!, 1), // (1, layers, heads, T, T)
            (_, rows) =>
            {
                var (encoding, values) = rows[0];
                var length = encoding.Length;
                var attentions = new float[config.NumHiddenLayers][][][];
                var (cls, sep) = (new float[config.NumHiddenLayers][], new float[config.NumHiddenLayers][]);
                var clsColumns = Columns(encoding, Tokenizer.SpecialTokens.ClsToken);
                var sepColumns = Columns(encoding, Tokenizer.SpecialTokens.SepToken);
                for (var layer = 0; layer < config.NumHiddenLayers; layer++)
                {
                    attentions[layer] = new float[config.NumAttentionHeads][][];
                    (cls[layer], sep[layer]) = (new float[config.NumAttentionHeads], new float[config.NumAttentionHeads]);
                    for (var head = 0; head < config.NumAttentionHeads; head++)
                    {
                        var offset = (layer * config.NumAttentionHeads + head) * length * length;
                        var rowsOfHead = Enumerable.Range(0, length).Select(q => values.AsSpan(offset + q * length, length).ToArray()).ToArray();
                        attentions[layer][head] = rowsOfHead;
                        cls[layer][head] = rowsOfHead.Average(row => clsColumns.Sum(k => row[k]));
                        sep[layer][head] = rowsOfHead.Average(row => sepColumns.Sum(k => row[k]));
                    }
                }
                var sentenceB = Array.IndexOf(encoding.SequenceIds, 1);
                return new AttentionMaps(ModelId, encoding.Tokens, sentenceB < 0 ? null : sentenceB, attentions, cls, sep);
            });
    }

    private static int[] Columns(Tokenization.Encoding encoding, string? token) =>
        token is null ? [] : Enumerable.Range(0, encoding.Length).Where(i => encoding.SpecialTokensMask[i] == 1 && encoding.Tokens[i] == token).ToArray();
}
