using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Course.Ml.Models.Bert;

/// <summary>
/// dense → dropout → residual add → LayerNorm, after attention (HF <c>BertSelfOutput</c>, input hidden_size) and
/// after the feed-forward expansion (HF <c>BertOutput</c>, input intermediate_size). HF keeps two identical
/// classes; their state-dict keys come from the parent's field names, so one class serves both.
/// </summary>
public sealed class BertOutput : nn.Module
{
    private readonly Linear dense;
    private readonly InferenceLinear _inferenceDense;
    private readonly LayerNorm LayerNorm;
    private readonly FastDropout dropout;

    public BertOutput(BertConfig config, int inputSize) : base(nameof(BertOutput))
    {
        dense = nn.Linear(inputSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm([config.HiddenSize], config.LayerNormEps);
        dropout = new FastDropout(config.HiddenDropoutProb);
        _inferenceDense = new InferenceLinear(dense);
        RegisterComponents();
    }

    public Tensor forward(Tensor input, Tensor residual)
    {
        using var projected = _inferenceDense.Forward(input, training);
        if (training)
        {
            using var dropped = dropout.forward(projected);
            using var noisy = dropped + residual;
            return LayerNorm.forward(noisy);
        }
        using var sum = projected + residual;
        return LayerNorm.forward(sum);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inferenceDense.Dispose();
        }
        base.Dispose(disposing);
    }
}
