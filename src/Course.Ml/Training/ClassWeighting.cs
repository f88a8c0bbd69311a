using Course.Ml.Data;
using Course.Ml.Models.Heads;
using TorchSharp;
using static TorchSharp.torch;

namespace Course.Ml.Training;

/// <summary>Our <c>class_weights</c> training argument: the usual remedy for imbalanced labels.</summary>
public static class ClassWeighting
{
    /// <summary>
    /// Class weights as HF users add them (a Trainer whose <c>compute_loss</c> passes <c>weight=</c> to the
    /// cross-entropy): explicit, or scikit-learn's "balanced" n / (k · count) from the training labels; on
    /// <paramref name="device"/>, the model's, where the loss meets them.
    /// </summary>
    public static Tensor? For(TrainingArguments args, IEnumerable<long> trainLabels, ClassLabel labels, Device device)
    {
        if (args.ClassWeights is { } explicitWeights)
        {
            if (explicitWeights.Count != labels.NumClasses)
            {
                throw new InvalidDataException(
                    $"class_weights has {explicitWeights.Count} values but the data has {labels.NumClasses} classes ({string.Join(", ", labels.Names)}), in that order.");
            }
            return tensor(explicitWeights.Select(w => (float)w).ToArray(), device: device);
        }
        if (!args.BalancedClassWeights)
        {
            return null;
        }
        return tensor(Balanced(trainLabels, labels.NumClasses).Select(w => (float)w).ToArray(), device: device);
    }

    /// <summary>scikit-learn's <c>compute_class_weight("balanced")</c>: n / (k · count); 1 for a class absent from the data.</summary>
    public static double[] Balanced(IEnumerable<long> labels, int numClasses)
    {
        var counts = new long[numClasses];
        foreach (var label in labels.Where(l => l != Preprocessing.IgnoreIndex))
        {
            counts[label]++;
        }
        var total = counts.Sum();
        return counts.Select(c => c == 0 ? 1 : total / ((double)numClasses * c)).ToArray();
    }

    /// <summary>The head's logits with a class-weighted cross-entropy (ignoring -100) as the loss.</summary>
    public static ModelOutput Weighted(ModelOutput output, Tensor labels, Tensor weights)
    {
        using var flat = output.Logits.view(-1, output.Logits.shape[^1]);
        using var targets = labels.view(-1);
        var loss = nn.functional.cross_entropy(flat, targets, weights, ignore_index: Preprocessing.IgnoreIndex);
        output.Loss?.Dispose();
        return new ModelOutput(loss, output.Logits);
    }
}
