using static TorchSharp.torch;

namespace Course.Ml.Models.Heads;

/// <summary>A head's result: the loss when labels were given, and the raw logits (HF <c>SequenceClassifierOutput</c> …).</summary>
public record ModelOutput(Tensor? Loss, Tensor Logits) : IDisposable
{
    /// <summary>What evaluation collects per example: the logits (QA: start and end side by side).</summary>
    public virtual Tensor Predictions() => Logits.alias();

    public virtual void Dispose()
    {
        Loss?.Dispose();
        Logits.Dispose();
    }
}

/// <summary>HF <c>QuestionAnsweringModelOutput</c>: (B, T) start and end logits.</summary>
public sealed record QuestionAnsweringOutput(Tensor? Loss, Tensor StartLogits, Tensor EndLogits) : ModelOutput(Loss, StartLogits)
{
    /// <returns>(B, 2T): start logits then end logits.</returns>
    public override Tensor Predictions() => cat([StartLogits, EndLogits], -1);

    public override void Dispose()
    {
        base.Dispose();
        EndLogits.Dispose();
    }
}
