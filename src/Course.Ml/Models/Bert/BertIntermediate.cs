using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Course.Ml.Models.Bert;

/// <summary>The feed-forward expansion with exact (erf) GELU (HF <c>BertIntermediate</c>).</summary>
public sealed class BertIntermediate : nn.Module
{
    private readonly Linear dense;
    private readonly InferenceLinear _inferenceDense;

    public BertIntermediate(BertConfig config) : base(nameof(BertIntermediate))
    {
        if (config.HiddenAct != "gelu")
        {
            throw new NotSupportedException($"hidden_act '{config.HiddenAct}' is not supported; BERT checkpoints use 'gelu'.");
        }
        dense = nn.Linear(config.HiddenSize, config.IntermediateSize);
        _inferenceDense = new InferenceLinear(dense);
        RegisterComponents();
    }

    /// <returns>(B, T, intermediate_size)</returns>
    public Tensor forward(Tensor hidden)
    {
        using var projected = _inferenceDense.Forward(hidden, training);
        return nn.functional.gelu(projected);
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
