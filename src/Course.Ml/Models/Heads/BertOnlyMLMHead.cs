using Course.Ml.Models.Bert;
using TorchSharp;
using static TorchSharp.torch;

namespace Course.Ml.Models.Heads;

/// <summary>HF's <c>cls</c> module of <c>BertForMaskedLM</c>; keys <c>cls.predictions.…</c>.</summary>
public sealed class BertOnlyMLMHead : nn.Module
{
    private readonly BertLMPredictionHead predictions;

    public BertOnlyMLMHead(BertConfig config) : base(nameof(BertOnlyMLMHead))
    {
        predictions = new BertLMPredictionHead(config);
        RegisterComponents();
    }

    public Tensor forward(Tensor hidden, Tensor decoderWeight) => predictions.forward(hidden, decoderWeight);
}
