using Course.Ml.Models.Bert;
using TorchSharp;
using static TorchSharp.torch;

namespace Course.Ml.Models.Heads;

/// <summary>
/// Masked language modelling: vocabulary logits at every position; with labels, logits and loss only where
/// labels ≠ -100. The vocabulary projection is most of a step's cost (T × 30,522 × 384 per sequence), and only
/// the ~15 % masked positions enter the loss, so training skips the rest.
/// </summary>
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

    /// <summary>
    /// Sets a new head's decoder bias (<c>cls.predictions.bias</c>, zeros in HF's initialisation) to the log
    /// unigram probability of each token in <paramref name="tokenIds"/> (add-one smoothed): before any step the
    /// head then predicts the corpus's word frequencies instead of a uniform guess, so the first epochs go into
    /// context rather than into learning which words are common. Ours, for heads trained from scratch on little text.
    /// </summary>
    public void InitializeBiasFromUnigrams(IEnumerable<int> tokenIds)
    {
        var counts = new double[Config.VocabSize];
        var total = 0L;
        foreach (var id in tokenIds)
        {
            counts[id]++;
            total++;
        }
        var logPrior = counts.Select(c => (float)Math.Log((c + 1) / (total + (double)Config.VocabSize))).ToArray();
        using var noGrad = no_grad();
        using var values = tensor(logPrior);
        named_parameters().Single(p => p.name == "cls.predictions.bias").parameter.copy_(values);
    }

    /// <param name="labels">(B, T) original ids at masked positions, -100 elsewhere.</param>
    /// <returns>Logits (B, T, vocab_size); with labels (N, vocab_size) for the N labelled positions in row-major order.</returns>
    public ModelOutput forward(Tensor inputIds, Tensor? attentionMask = null, Tensor? tokenTypeIds = null, Tensor? labels = null)
    {
        using var scope = NewDisposeScope();
        var output = bert.forward(inputIds, attentionMask, tokenTypeIds);
        if (labels is null)
        {
            return new ModelOutput(null, cls.forward(output.LastHiddenState, bert.WordEmbeddingWeight).MoveToOuterDisposeScope());
        }
        var labelled = labels.view(-1).ne(-100).nonzero().squeeze(1); // (N)
        var hidden = output.LastHiddenState.view(-1, Config.HiddenSize).index_select(0, labelled); // (N, H)
        var logits = cls.forward(hidden, bert.WordEmbeddingWeight);
        var loss = nn.functional.cross_entropy(logits, labels.view(-1).index_select(0, labelled));
        return new ModelOutput(loss.MoveToOuterDisposeScope(), logits.MoveToOuterDisposeScope());
    }
}
