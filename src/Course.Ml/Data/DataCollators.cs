using Course.Ml.Tokenization;
using static TorchSharp.torch;

namespace Course.Ml.Data;

/// <summary>A padded batch as (B, T) int64 tensors; labels by task. Dispose it after the step.</summary>
public sealed record Batch(Tensor InputIds, Tensor AttentionMask, Tensor? TokenTypeIds, Tensor? Labels,
    Tensor? StartPositions = null, Tensor? EndPositions = null) : IDisposable
{
    /// <summary>
    /// The batch on <paramref name="device"/>, as HF's Trainer prepares its inputs (collators build on the CPU);
    /// itself when it is there already. A moved batch's CPU tensors stay in the caller's dispose scope.
    /// </summary>
    public Batch To(Device device) => TorchDevices.IsOn(InputIds, device) ? this : new Batch(InputIds.to(device), AttentionMask.to(device),
        TokenTypeIds?.to(device), Labels?.to(device), StartPositions?.to(device), EndPositions?.to(device));

    public void Dispose()
    {
        InputIds.Dispose();
        AttentionMask.Dispose();
        TokenTypeIds?.Dispose();
        Labels?.Dispose();
        StartPositions?.Dispose();
        EndPositions?.Dispose();
    }
}

/// <summary>
/// HF's <c>DataCollatorWithPadding</c>: pads each batch only to its own longest example (dynamic padding),
/// so short batches cost less; scalar labels and QA positions become (B) tensors.
/// </summary>
public class DataCollatorWithPadding(PreTrainedTokenizer tokenizer)
{
    protected PreTrainedTokenizer Tokenizer { get; } = tokenizer;

    protected int PadId { get; } = tokenizer.PadTokenId
        ?? throw new InvalidOperationException($"{tokenizer.NameOrPath} has no padding token; batches of different lengths cannot be padded.");

    public virtual Batch Collate(IReadOnlyList<Features> examples)
    {
        if (examples.Count == 0)
        {
            throw new ArgumentException("An empty batch cannot be collated.");
        }
        var length = examples.Max(e => e.InputIds.Length);
        return new Batch(
            Pad(examples, e => e.InputIds, PadId, length),
            Pad(examples, e => e.AttentionMask, 0, length),
            examples[0].TokenTypeIds is null ? null : Pad(examples, e => e.TokenTypeIds!, 0, length),
            PaddedLabels(examples, length),
            examples[0].StartPosition is null ? null : tensor(examples.Select(e => (long)e.StartPosition!.Value).ToArray()),
            examples[0].EndPosition is null ? null : tensor(examples.Select(e => (long)e.EndPosition!.Value).ToArray()));
    }

    /// <summary>How many random numbers this collator has drawn; a checkpoint stores it so a resumed run draws on from there.</summary>
    public virtual long RandomDraws => 0;

    /// <summary>Puts the collator's random generator where it was after <paramref name="draws"/> draws (a resumed run).</summary>
    public virtual void ResumeRandom(long draws)
    {
        if (draws != 0)
        {
            throw new InvalidDataException($"{GetType().Name} draws no random numbers, but the checkpoint says {draws} were drawn.");
        }
    }

    protected virtual Tensor? PaddedLabels(IReadOnlyList<Features> examples, int length) =>
        examples[0].Label is null ? null : tensor(examples.Select(e => e.Label!.Value).ToArray());

    protected static Tensor Pad(IReadOnlyList<Features> examples, Func<Features, int[]> field, long padding, int length)
    {
        var values = new long[examples.Count * length];
        Array.Fill(values, padding);
        for (var row = 0; row < examples.Count; row++)
        {
            var source = field(examples[row]);
            for (var i = 0; i < source.Length; i++)
            {
                values[row * length + i] = source[i];
            }
        }
        return tensor(values, [examples.Count, length]);
    }

    protected static long[] PadLabels(IReadOnlyList<Features> examples, int length, Func<Features, long[]> labels)
    {
        var values = new long[examples.Count * length];
        Array.Fill(values, Preprocessing.IgnoreIndex);
        for (var row = 0; row < examples.Count; row++)
        {
            labels(examples[row]).CopyTo(values, row * length);
        }
        return values;
    }
}

/// <summary>HF's <c>DataCollatorForTokenClassification</c>: token labels padded with -100.</summary>
public sealed class DataCollatorForTokenClassification(PreTrainedTokenizer tokenizer) : DataCollatorWithPadding(tokenizer)
{
    protected override Tensor? PaddedLabels(IReadOnlyList<Features> examples, int length) =>
        tensor(PadLabels(examples, length, e => e.Labels ?? throw new ArgumentException("token classification needs per-token labels")), [examples.Count, length]);
}

/// <summary>
/// HF's <c>DataCollatorForLanguageModeling</c> (mlm=True): picks <c>mlm_probability</c> of the real tokens;
/// of those 80 % become [MASK], 10 % a random token, 10 % stay; labels hold the original ids there and -100
/// elsewhere. Its own seeded random generator makes the masking reproducible.
/// </summary>
public sealed class DataCollatorForLanguageModeling(PreTrainedTokenizer tokenizer, double mlmProbability = 0.15, int seed = 42)
    : DataCollatorWithPadding(tokenizer)
{
    private CountingRandom _random = new(seed);
    private readonly int _maskId = tokenizer.SpecialTokens.MaskToken is { } mask && tokenizer.TokenToId(mask) is { } id
        ? id
        : throw new InvalidOperationException($"{tokenizer.NameOrPath} has no mask token, so it cannot be used for masked language modelling.");

    public override Batch Collate(IReadOnlyList<Features> examples)
    {
        var (inputs, labels, length) = Mask(examples);
        var batch = base.Collate(inputs);
        return batch with { Labels = tensor(labels, [examples.Count, length]) };
    }

    public override long RandomDraws => _random.Draws;

    public override void ResumeRandom(long draws) => _random = CountingRandom.After(seed, draws);

    private (List<Features> Inputs, long[] Labels, int Length) Mask(IReadOnlyList<Features> examples)
    {
        var length = examples.Max(e => e.InputIds.Length);
        var inputs = new List<Features>();
        var labels = new long[examples.Count * length];
        Array.Fill(labels, Preprocessing.IgnoreIndex);
        for (var row = 0; row < examples.Count; row++)
        {
            var ids = (int[])examples[row].InputIds.Clone();
            for (var i = 0; i < ids.Length; i++)
            {
                if (examples[row].AttentionMask[i] == 0 || Tokenizer.IsSpecial(ids[i]) || _random.NextDouble() >= mlmProbability)
                {
                    continue;
                }
                labels[row * length + i] = ids[i];
                var roll = _random.NextDouble();
                ids[i] = roll < 0.8 ? _maskId : roll < 0.9 ? _random.Next(Tokenizer.VocabSize) : ids[i];
            }
            inputs.Add(examples[row] with { InputIds = ids });
        }
        return (inputs, labels, length);
    }

    protected override Tensor? PaddedLabels(IReadOnlyList<Features> examples, int length) => null;
}

/// <summary>
/// <see cref="Random"/> with a seed, counting its draws. Each of <c>NextDouble()</c> and <c>Next(n)</c> takes one
/// sample from the seeded generator, so the count alone says where it is: replaying that many samples from the
/// same seed puts a fresh generator in the same place, with the same numbers as the original would give next.
/// </summary>
public sealed class CountingRandom(int seed) : Random(seed)
{
    public long Draws { get; private set; }

    protected override double Sample()
    {
        Draws++;
        return base.Sample();
    }

    public static CountingRandom After(int seed, long draws)
    {
        var random = new CountingRandom(seed);
        for (var i = 0L; i < draws; i++)
        {
            random.Sample();
        }
        return random;
    }
}
