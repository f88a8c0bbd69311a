using TorchSharp;
using static TorchSharp.torch;

namespace Course.Ml.Models.Bert;

/// <summary>Self-attention and its output block (HF <c>BertAttention</c>).</summary>
public sealed class BertAttention : nn.Module
{
    private readonly BertSelfAttention @self;
    private readonly BertOutput output;

    public BertAttention(BertConfig config) : base(nameof(BertAttention))
    {
        @self = new BertSelfAttention(config);
        output = new BertOutput(config, config.HiddenSize);
        RegisterComponents();
    }

    public Tensor forward(Tensor hidden, Tensor? attentionBias, UnpaddedBatch? unpadded = null)
    {
        using var attended = @self.forward(hidden, attentionBias, unpadded);
        return output.forward(attended, hidden);
    }
}
