using Course.Ml.Models.Bert;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Course.Ml.Models.Heads;

/// <summary>Every token's hidden state → dropout → linear to <c>num_labels</c>; loss ignores label -100.</summary>
public sealed class BertForTokenClassification : nn.Module
{
    private readonly BertModel bert;
    private readonly FastDropout dropout;
    private readonly Linear classifier;

    public BertForTokenClassification(BertConfig config) : base(nameof(BertForTokenClassification))
    {
        Config = config;
        bert = new BertModel(config, addPoolingLayer: false);
        dropout = new FastDropout(config.ClassifierDropout ?? config.HiddenDropoutProb);
        classifier = nn.Linear(config.HiddenSize, config.NumLabels);
        RegisterComponents();
    }

    public BertConfig Config { get; }

    /// <param name="labels">(B, T) int64, -100 where no label applies (special tokens, later sub-tokens).</param>
    /// <returns>Logits (B, T, num_labels).</returns>
    public ModelOutput forward(Tensor inputIds, Tensor? attentionMask = null, Tensor? tokenTypeIds = null, Tensor? labels = null)
    {
        using var scope = NewDisposeScope();
        var output = bert.forward(inputIds, attentionMask, tokenTypeIds);
        var hidden = training ? dropout.forward(output.LastHiddenState) : output.LastHiddenState;
        var logits = classifier.forward(hidden); // (B, T, L)
        var loss = labels is null ? null
            : nn.functional.cross_entropy(logits.view(-1, Config.NumLabels), labels.view(-1), ignore_index: -100);
        return new ModelOutput(loss?.MoveToOuterDisposeScope(), logits.MoveToOuterDisposeScope());
    }
}
