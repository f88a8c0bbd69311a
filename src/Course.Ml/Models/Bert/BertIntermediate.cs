using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Course.Ml.Models.Bert;

/// <summary>The feed-forward expansion with exact (erf) GELU (HF <c>BertIntermediate</c>).</summary>
public sealed class BertIntermediate : nn.Module
{
    private readonly Linear dense;

    public BertIntermediate(BertConfig config) : base(nameof(BertIntermediate))
    {
        if (config.HiddenAct != "gelu")
        {
            throw new NotSupportedException($"hidden_act '{config.HiddenAct}' is not supported; BERT checkpoints use 'gelu'.");
        }
        dense = nn.Linear(config.HiddenSize, config.IntermediateSize);
        RegisterComponents();
    }

    /// <returns>(B, T, intermediate_size)</returns>
    public Tensor forward(Tensor hidden)
    {
        using var projected = Autocast.Linear(dense, hidden);
        return nn.functional.gelu(projected);
    }
}
