using TorchSharp;
using static TorchSharp.torch;

namespace Course.Ml.Models.Bert;

/// <summary>Self-attention and its output block (HF <c>BertAttention</c>).</summary>
public sealed class BertAttention : nn.Module
{
    private readonly BertSelfAttention @self;
    private readonly BertOutput output;

    /// <summary>The self-attention class of each <c>attn_implementation</c> (HF's <c>BERT_SELF_ATTENTION_CLASSES</c>).</summary>
    public static readonly IReadOnlyDictionary<string, Func<BertConfig, BertSelfAttention>> SelfAttentionClasses =
        new Dictionary<string, Func<BertConfig, BertSelfAttention>>
        {
            ["eager"] = config => new BertSelfAttention(config),
            ["sdpa"] = config => new BertSdpaSelfAttention(config),
        };

    public BertAttention(BertConfig config) : base(nameof(BertAttention))
    {
        @self = SelfAttentionClasses.TryGetValue(config.AttentionImplementation, out var selfAttention)
            ? selfAttention(config)
            : throw new NotSupportedException($"attn_implementation '{config.AttentionImplementation}' is not supported; use one of {string.Join(", ", SelfAttentionClasses.Keys)}.");
        output = new BertOutput(config, config.HiddenSize);
        RegisterComponents();
    }

    public Tensor forward(Tensor hidden, Tensor? attentionBias, UnpaddedBatch? unpadded = null, IList<Tensor>? attentions = null)
    {
        using var attended = @self.forward(hidden, attentionBias, unpadded, attentions);
        return output.forward(attended, hidden);
    }
}
