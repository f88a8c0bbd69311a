using Course.Ml.Hub;
using TorchSharp;
using static TorchSharp.torch;

namespace Course.Ml.Training;

/// <summary>
/// Checkpoints a run that may be killed (a grading job): every <see cref="Every"/> of wall time the Trainer
/// writes a complete checkpoint into <see cref="Folder"/> (only the newest is kept), and a Trainer given the
/// same folder resumes from it. A run resumed this way ends with the same numbers as one never interrupted.
/// </summary>
/// <param name="Saved">Called with the step and a line for the log for each checkpoint written, and for the one a run resumed from.</param>
public sealed record CheckpointSchedule(string Folder, TimeSpan Every, Action<int, string>? Saved = null);

/// <summary>
/// HF's <c>checkpoint-N</c> folder, complete enough to resume: <c>model.safetensors</c> (parameters by
/// state-dict name), <c>optimizer.safetensors</c> (AdamW's moments and steps), <c>rng_state.bin</c> (torch's
/// generator), <c>best_model.safetensors</c> (weights kept for <c>load_best_model_at_end</c>) and
/// <c>trainer_state.json</c>. The learning-rate schedule is a function of the step, so it needs no file.
/// A folder is written under a temporary name and renamed when complete: a kill mid-write leaves no half checkpoint.
/// </summary>
public static class TrainerCheckpoint
{
    public const string Prefix = "checkpoint-";
    private const string StateFile = "trainer_state.json";

    /// <summary>Writes a complete checkpoint to <paramref name="folder"/>; <paramref name="saveModel"/> writes the model (hub layout) when given.</summary>
    public static void Write(string folder, nn.Module model, FusedAdamW optimizer, TrainerState state,
        IReadOnlyDictionary<string, Tensor>? bestWeights, Action<string>? saveModel)
    {
        var temporary = $"{folder}.tmp-{Guid.NewGuid():N}";
        Directory.CreateDirectory(temporary);
        try
        {
            if (saveModel is not null)
            {
                saveModel(temporary);
            }
            else
            {
                SafeTensors.Write(Path.Combine(temporary, "model.safetensors"), Flatten(model.named_parameters().Select(p => (p.name, (Tensor)p.parameter))));
            }
            SafeTensors.Write(Path.Combine(temporary, "optimizer.safetensors"), optimizer.StateDict());
            if (bestWeights is not null)
            {
                SafeTensors.Write(Path.Combine(temporary, "best_model.safetensors"), Flatten(bestWeights.Select(kv => (kv.Key, kv.Value))));
            }
            using (var rng = torch.random.get_rng_state())
            {
                File.WriteAllBytes(Path.Combine(temporary, "rng_state.bin"), rng.bytes.ToArray());
            }
            state.Save(Path.Combine(temporary, StateFile)); // last: a folder with trainer_state.json is complete
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
            Directory.Move(temporary, folder);
        }
        catch
        {
            if (Directory.Exists(temporary))
            {
                Directory.Delete(temporary, recursive: true);
            }
            throw;
        }
    }

    /// <summary>The newest complete <c>checkpoint-N</c> in <paramref name="folder"/>, or null.</summary>
    public static string? Latest(string folder) => !Directory.Exists(folder) ? null
        : Directory.EnumerateDirectories(folder, Prefix + "*")
            .Select(path => (path, step: int.TryParse(Path.GetFileName(path)[Prefix.Length..], out var n) ? n : -1))
            .Where(c => c.step >= 0 && File.Exists(Path.Combine(c.path, StateFile)))
            .OrderByDescending(c => c.step).Select(c => c.path).FirstOrDefault();

    /// <summary>Deletes every checkpoint (complete or not) in <paramref name="folder"/> except <paramref name="keep"/>.</summary>
    public static void DeleteOthers(string folder, string keep)
    {
        foreach (var other in Directory.EnumerateDirectories(folder, Prefix + "*").Where(p => p != keep))
        {
            Directory.Delete(other, recursive: true);
        }
    }

    public static TrainerState ReadState(string checkpoint) => TrainerState.Load(Path.Combine(checkpoint, StateFile));

    /// <summary>
    /// Restores the model, optimizer and torch's generator from <paramref name="checkpoint"/>; returns the best
    /// weights it kept, if any. Every parameter must be present with its shape: a checkpoint of another model is refused.
    /// </summary>
    public static Dictionary<string, Tensor>? Restore(string checkpoint, nn.Module model, FusedAdamW optimizer)
    {
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        using (no_grad())
        {
            CopyInto(parameters, SafeTensors.Read(Path.Combine(checkpoint, "model.safetensors")), checkpoint);
        }
        optimizer.LoadStateDict(SafeTensors.Read(Path.Combine(checkpoint, "optimizer.safetensors")));
        using (var rng = torch.tensor(File.ReadAllBytes(Path.Combine(checkpoint, "rng_state.bin"))))
        {
            torch.random.set_rng_state(rng);
        }
        var best = Path.Combine(checkpoint, "best_model.safetensors");
        if (!File.Exists(best))
        {
            return null;
        }
        var weights = parameters.ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
        CopyInto(weights, SafeTensors.Read(best), checkpoint);
        return weights;
    }

    private static void CopyInto(IReadOnlyDictionary<string, Tensor> targets, IReadOnlyList<NamedTensor> saved, string checkpoint)
    {
        var byName = saved.ToDictionary(t => t.Name);
        foreach (var (name, target) in targets)
        {
            if (!byName.TryGetValue(name, out var tensor) || !target.shape.SequenceEqual(tensor.Shape))
            {
                throw new InvalidDataException($"{checkpoint}: {name} is missing or has another shape; the checkpoint belongs to another model.");
            }
            using var source = torch.tensor(tensor.Data, tensor.Shape);
            target.copy_(source);
        }
    }

    private static List<NamedTensor> Flatten(IEnumerable<(string Name, Tensor Tensor)> tensors) => tensors.Select(t =>
    {
        using var cpu = t.Tensor.detach().cpu().contiguous();
        return new NamedTensor(t.Name, cpu.shape, cpu.data<float>().ToArray());
    }).ToList();
}
