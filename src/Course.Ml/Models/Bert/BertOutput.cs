using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Course.Ml.Models.Bert;

/// <summary>The feed-forward contraction, dropout, residual and LayerNorm (HF <c>BertOutput</c>).</summary>
public sealed class BertOutput : nn.Module
{
    private readonly Linear dense;
    private readonly LayerNorm LayerNorm;
    private readonly Dropout dropout;

    public BertOutput(BertConfig config) : base(nameof(BertOutput))
    {
        dense = nn.Linear(config.IntermediateSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm([config.HiddenSize], config.LayerNormEps);
        dropout = nn.Dropout(config.HiddenDropoutProb);
        RegisterComponents();
    }

    public Tensor forward(Tensor intermediate, Tensor residual)
    {
        using var projected = dense.forward(intermediate);
        if (training)
        {
            using var dropped = dropout.forward(projected);
            using var noisy = dropped + residual;
            return LayerNorm.forward(noisy);
        }
        using var sum = projected + residual;
        return LayerNorm.forward(sum);
    }
}
