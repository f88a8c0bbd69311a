using TorchSharp;
using static TorchSharp.torch;

namespace Course.Ml.Models.Bert;

/// <summary>One transformer block: attention, then feed-forward (HF <c>BertLayer</c>).</summary>
public sealed class BertLayer : nn.Module
{
    private readonly BertAttention attention;
    private readonly BertIntermediate intermediate;
    private readonly BertOutput output;

    public BertLayer(BertConfig config) : base(nameof(BertLayer))
    {
        attention = new BertAttention(config);
        intermediate = new BertIntermediate(config);
        output = new BertOutput(config, config.IntermediateSize);
        RegisterComponents();
    }

    public Tensor forward(Tensor hidden, Tensor? attentionBias, UnpaddedBatch? unpadded = null, IList<Tensor>? attentions = null)
    {
        using var attended = attention.forward(hidden, attentionBias, unpadded, attentions);
        using var expanded = intermediate.forward(attended);
        return output.forward(expanded, attended);
    }
}
