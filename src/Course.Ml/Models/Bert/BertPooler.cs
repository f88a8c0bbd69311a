using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Course.Ml.Models.Bert;

/// <summary>tanh(W · h_[CLS] + b): the sentence vector BERT's next-sentence head was trained on (HF <c>BertPooler</c>).</summary>
public sealed class BertPooler : nn.Module
{
    private readonly Linear dense;

    public BertPooler(BertConfig config) : base(nameof(BertPooler))
    {
        dense = nn.Linear(config.HiddenSize, config.HiddenSize);
        RegisterComponents();
    }

    /// <returns>(B, H)</returns>
    public Tensor forward(Tensor hidden)
    {
        using var first = hidden.select(1, 0); // (B, H)
        using var projected = Autocast.Linear(dense, first);
        return projected.tanh();
    }
}
