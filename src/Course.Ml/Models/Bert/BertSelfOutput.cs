using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Course.Ml.Models.Bert;

/// <summary>Projection, dropout, residual and LayerNorm after attention (HF <c>BertSelfOutput</c>); post-LN.</summary>
public sealed class BertSelfOutput : nn.Module
{
    private readonly Linear dense;
    private readonly LayerNorm LayerNorm;
    private readonly Dropout dropout;

    public BertSelfOutput(BertConfig config) : base(nameof(BertSelfOutput))
    {
        dense = nn.Linear(config.HiddenSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm([config.HiddenSize], config.LayerNormEps);
        dropout = nn.Dropout(config.HiddenDropoutProb);
        RegisterComponents();
    }

    public Tensor forward(Tensor hidden, Tensor residual)
    {
        using var projected = dense.forward(hidden);
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
