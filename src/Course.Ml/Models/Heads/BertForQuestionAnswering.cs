using Course.Ml.Models.Bert;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Course.Ml.Models.Heads;

/// <summary>Extractive QA: each token's hidden state → a start and an end logit (HF <c>qa_outputs</c>).</summary>
public sealed class BertForQuestionAnswering : nn.Module
{
    private readonly BertModel bert;
    private readonly Linear qa_outputs;

    public BertForQuestionAnswering(BertConfig config) : base(nameof(BertForQuestionAnswering))
    {
        Config = config;
        bert = new BertModel(config, addPoolingLayer: false);
        qa_outputs = nn.Linear(config.HiddenSize, 2);
        RegisterComponents();
    }

    public BertConfig Config { get; }

    /// <param name="startPositions">(B) token index where the answer starts (0 = [CLS] when it is not in the window).</param>
    /// <param name="endPositions">(B) token index where it ends.</param>
    public QuestionAnsweringOutput forward(Tensor inputIds, Tensor? attentionMask = null, Tensor? tokenTypeIds = null,
        Tensor? startPositions = null, Tensor? endPositions = null)
    {
        using var scope = NewDisposeScope();
        var output = bert.forward(inputIds, attentionMask, tokenTypeIds);
        var logits = qa_outputs.forward(output.LastHiddenState); // (B, T, 2)
        var start = logits.select(-1, 0).contiguous(); // (B, T)
        var end = logits.select(-1, 1).contiguous();
        Tensor? loss = null;
        if (startPositions is not null && endPositions is not null)
        {
            // As HF: positions outside the sequence are clamped to T and ignored.
            var ignored = start.shape[1];
            loss = (nn.functional.cross_entropy(start, startPositions.clamp(0, ignored), ignore_index: ignored)
                    + nn.functional.cross_entropy(end, endPositions.clamp(0, ignored), ignore_index: ignored)) / 2;
        }
        return new QuestionAnsweringOutput(loss?.MoveToOuterDisposeScope(), start.MoveToOuterDisposeScope(), end.MoveToOuterDisposeScope());
    }
}
