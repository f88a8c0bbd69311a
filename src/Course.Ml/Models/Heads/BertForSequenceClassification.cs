using Course.Ml.Models.Bert;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Course.Ml.Models.Heads;

/// <summary>Pooled [CLS] → dropout → linear to <c>num_labels</c> logits; cross-entropy loss with labels.</summary>
public sealed class BertForSequenceClassification : nn.Module
{
    private readonly BertModel bert;
    private readonly FastDropout dropout;
    private readonly Linear classifier;

    public BertForSequenceClassification(BertConfig config) : base(nameof(BertForSequenceClassification))
    {
        Config = config;
        bert = new BertModel(config);
        dropout = new FastDropout(config.ClassifierDropout ?? config.HiddenDropoutProb);
        classifier = nn.Linear(config.HiddenSize, config.NumLabels);
        RegisterComponents();
    }

    public BertConfig Config { get; }

    /// <param name="labels">(B) int64 class ids.</param>
    /// <returns>Logits (B, num_labels).</returns>
    public ModelOutput forward(Tensor inputIds, Tensor? attentionMask = null, Tensor? tokenTypeIds = null, Tensor? labels = null)
    {
        using var scope = NewDisposeScope();
        var output = bert.forward(inputIds, attentionMask, tokenTypeIds);
        var pooled = training ? dropout.forward(output.PoolerOutput!) : output.PoolerOutput!;
        var logits = classifier.forward(pooled);
        var loss = labels is null ? null : nn.functional.cross_entropy(logits, labels);
        return new ModelOutput(loss?.MoveToOuterDisposeScope(), logits.MoveToOuterDisposeScope());
    }
}
