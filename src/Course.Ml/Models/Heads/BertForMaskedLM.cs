using Course.Ml.Models.Bert;
using TorchSharp;
using static TorchSharp.torch;

namespace Course.Ml.Models.Heads;

/// <summary>Masked language modelling: vocabulary logits at every position; loss only where labels ≠ -100.</summary>
public sealed class BertForMaskedLM : nn.Module
{
    private readonly BertModel bert;
    private readonly BertOnlyMLMHead cls;

    public BertForMaskedLM(BertConfig config) : base(nameof(BertForMaskedLM))
    {
        Config = config;
        bert = new BertModel(config, addPoolingLayer: false);
        cls = new BertOnlyMLMHead(config);
        RegisterComponents();
    }

    public BertConfig Config { get; }

    /// <param name="labels">(B, T) original ids at masked positions, -100 elsewhere.</param>
    /// <returns>Logits (B, T, vocab_size).</returns>
    public ModelOutput forward(Tensor inputIds, Tensor? attentionMask = null, Tensor? tokenTypeIds = null, Tensor? labels = null)
    {
        using var scope = NewDisposeScope();
        var output = bert.forward(inputIds, attentionMask, tokenTypeIds);
        var logits = cls.forward(output.LastHiddenState, bert.WordEmbeddingWeight);
        var loss = labels is null ? null
            : nn.functional.cross_entropy(logits.view(-1, Config.VocabSize), labels.view(-1), ignore_index: -100);
        return new ModelOutput(loss?.MoveToOuterDisposeScope(), logits.MoveToOuterDisposeScope());
    }
}
