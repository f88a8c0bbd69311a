using Course.Ml.Models.Bert;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Course.Ml.Models.Heads;

/// <summary>dense → GELU → LayerNorm before the vocabulary projection (HF <c>cls.predictions.transform</c>).</summary>
public sealed class BertPredictionHeadTransform : nn.Module
{
    private readonly Linear dense;
    private readonly LayerNorm LayerNorm;

    public BertPredictionHeadTransform(BertConfig config) : base(nameof(BertPredictionHeadTransform))
    {
        dense = nn.Linear(config.HiddenSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm([config.HiddenSize], config.LayerNormEps);
        RegisterComponents();
    }

    public Tensor forward(Tensor hidden)
    {
        using var projected = Autocast.Linear(dense, hidden);
        using var activated = nn.functional.gelu(projected);
        return LayerNorm.forward(activated);
    }
}
