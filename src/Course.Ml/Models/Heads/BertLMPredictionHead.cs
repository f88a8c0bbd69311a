using Course.Ml.Models.Bert;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Course.Ml.Models.Heads;

/// <summary>
/// Transform, then a decoder whose weight is the input embedding matrix (tied, as in HF) plus an own bias
/// (<c>cls.predictions.bias</c>).
/// </summary>
public sealed class BertLMPredictionHead : nn.Module
{
    private readonly BertPredictionHeadTransform transform;
    private readonly Parameter bias;

    public BertLMPredictionHead(BertConfig config) : base(nameof(BertLMPredictionHead))
    {
        transform = new BertPredictionHeadTransform(config);
        bias = nn.Parameter(zeros(config.VocabSize));
        RegisterComponents();
    }

    /// <returns>(B, T, vocab_size)</returns>
    public Tensor forward(Tensor hidden, Tensor decoderWeight)
    {
        using var transformed = transform.forward(hidden);
        return Autocast.Linear(transformed, decoderWeight, bias);
    }
}
