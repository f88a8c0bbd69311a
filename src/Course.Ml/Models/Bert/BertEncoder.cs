using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Course.Ml.Models.Bert;

/// <summary>The stack of <c>num_hidden_layers</c> blocks (HF <c>BertEncoder</c>; keys <c>encoder.layer.N.…</c>).</summary>
public sealed class BertEncoder : nn.Module
{
    private readonly ModuleList<BertLayer> layer;

    public BertEncoder(BertConfig config) : base(nameof(BertEncoder))
    {
        layer = nn.ModuleList(Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new BertLayer(config)).ToArray());
        RegisterComponents();
    }

    /// <param name="hidden">(B, T, H), or (N, H) with <paramref name="unpadded"/>.</param>
    /// <param name="attentions">When given, each layer's attention probabilities in order (HF's <c>all_self_attentions</c>).</param>
    public Tensor forward(Tensor hidden, Tensor? attentionBias, UnpaddedBatch? unpadded = null, IList<Tensor>? attentions = null)
    {
        var current = hidden.alias();
        foreach (var block in layer)
        {
            var next = block.forward(current, attentionBias, unpadded, attentions);
            current.Dispose();
            current = next;
        }
        return current;
    }
}
