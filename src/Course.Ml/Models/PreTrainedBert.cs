using Course.Ml.Hub;
using Course.Ml.Models.Bert;
using Course.Ml.Models.Heads;
using TorchSharp;
using static TorchSharp.torch;

namespace Course.Ml.Models;

/// <summary>What loading left out: head weights the checkpoint lacked (newly initialised) and checkpoint keys nobody used.</summary>
public sealed record LoadReport(IReadOnlyList<string> MissingKeys, IReadOnlyList<string> UnexpectedKeys);

/// <summary>
/// HF's <c>from_pretrained</c> / <c>save_pretrained</c> for the BERT family: config.json + model.safetensors in
/// a hub folder. Keys are matched as HF does: a bare <c>BertModel</c> checkpoint loads into a head (keys gain
/// "bert."), a head checkpoint loads into <c>BertModel</c> (keys lose it), tied decoder weights and position-id
/// buffers are skipped, and TF-era <c>gamma</c>/<c>beta</c> names map to <c>weight</c>/<c>bias</c>.
/// </summary>
public static class PreTrainedBert
{
    private const string BackbonePrefix = "bert.";

    /// <param name="device">Where the model goes once loaded (null: stays on the CPU). It is built and loaded on the CPU
    /// first, so a new head's initial weights come from the CPU generator and are the same whatever the device.</param>
    public static (T Model, LoadReport Report) Load<T>(string id, ModelHub hub, Func<BertConfig, T> create,
        Func<BertConfig, BertConfig>? adjust = null, IProgress<string>? progress = null, Device? device = null) where T : nn.Module
    {
        var folder = hub.Resolve(id, progress);
        var config = BertConfig.Load(Path.Combine(folder, "config.json"));
        if (config.Architectures is { Count: > 0 } architectures && !architectures.All(a => a.StartsWith("Bert", StringComparison.Ordinal)))
        {
            throw new NotSupportedException($"{id}: architecture {string.Join(", ", architectures)} is not supported; this platform implements the BERT family.");
        }
        config = adjust?.Invoke(config) ?? config;
        var weights = Path.Combine(folder, "model.safetensors");
        if (!File.Exists(weights))
        {
            throw new FileNotFoundException($"{id}: {folder} has no model.safetensors (tokenizer-only models cannot run a pipeline).");
        }
        var model = create(config);
        var report = LoadWeights(model, SafeTensors.Read(weights));
        if (device is not null)
        {
            model.to(device);
        }
        model.eval();
        return (model, report);
    }

    public static LoadReport LoadWeights(nn.Module model, IReadOnlyList<NamedTensor> checkpoint)
    {
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var isHead = parameters.Keys.Any(k => k.StartsWith(BackbonePrefix, StringComparison.Ordinal));
        var checkpointHasPrefix = checkpoint.Any(t => t.Name.StartsWith(BackbonePrefix, StringComparison.Ordinal));

        string Rename(string key)
        {
            key = key.Replace("LayerNorm.gamma", "LayerNorm.weight").Replace("LayerNorm.beta", "LayerNorm.bias");
            if (isHead && !checkpointHasPrefix && (key.StartsWith("embeddings.") || key.StartsWith("encoder.") || key.StartsWith("pooler.")))
            {
                return BackbonePrefix + key;
            }
            return !isHead && key.StartsWith(BackbonePrefix, StringComparison.Ordinal) ? key[BackbonePrefix.Length..] : key;
        }

        var used = new HashSet<string>();
        var unexpected = new List<string>();
        using (no_grad())
        {
            foreach (var tensor in checkpoint)
            {
                var name = Rename(tensor.Name);
                if (name.EndsWith("position_ids", StringComparison.Ordinal) || name.StartsWith("cls.predictions.decoder.", StringComparison.Ordinal))
                {
                    continue; // buffers and the decoder tied to the word embeddings
                }
                if (!parameters.TryGetValue(name, out var parameter))
                {
                    unexpected.Add(tensor.Name);
                    continue;
                }
                if (!parameter.shape.SequenceEqual(tensor.Shape))
                {
                    throw new InvalidDataException(
                        $"{tensor.Name}: the checkpoint has shape [{string.Join(",", tensor.Shape)}] but the model expects [{string.Join(",", parameter.shape)}] (e.g. a different num_labels).");
                }
                using var source = torch.tensor(tensor.Data, tensor.Shape);
                parameter.copy_(source); // copies across devices: checkpoints are read on the CPU
                used.Add(name);
            }
        }
        return new LoadReport(parameters.Keys.Where(k => !used.Contains(k)).Order(StringComparer.Ordinal).ToList(), unexpected);
    }

    /// <summary>HF's <c>save_pretrained</c>: config.json (with architectures) and model.safetensors.</summary>
    public static void Save(nn.Module model, BertConfig config, string folder)
    {
        Directory.CreateDirectory(folder);
        var tensors = model.named_parameters().Select(p =>
        {
            using var cpu = p.parameter.detach().cpu().contiguous();
            return new NamedTensor(p.name, cpu.shape, cpu.data<float>().ToArray());
        }).ToList();
        SafeTensors.Write(Path.Combine(folder, "model.safetensors"), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        (config with { Architectures = [model.GetName()] }).Save(Path.Combine(folder, "config.json"));
    }
}

/// <summary>HF's <c>AutoModel</c>: the bare encoder. Every <c>FromPretrained</c> takes the device to load onto (null: the CPU).</summary>
public static class AutoModel
{
    public static BertModel FromPretrained(string id, ModelHub hub, IProgress<string>? progress = null, Device? device = null) =>
        PreTrainedBert.Load(id, hub, c => new BertModel(c), progress: progress, device: device).Model;
}

/// <summary>HF's <c>AutoModelForSequenceClassification</c>; labels override the config's (a new head is initialised).</summary>
public static class AutoModelForSequenceClassification
{
    public static (BertForSequenceClassification Model, LoadReport Report) FromPretrained(string id, ModelHub hub,
        IReadOnlyList<string>? labels = null, IProgress<string>? progress = null, Device? device = null) =>
        PreTrainedBert.Load(id, hub, c => new BertForSequenceClassification(c), c => labels is null ? c : c.WithLabels(labels), progress, device);
}

/// <summary>HF's <c>AutoModelForTokenClassification</c>.</summary>
public static class AutoModelForTokenClassification
{
    public static (BertForTokenClassification Model, LoadReport Report) FromPretrained(string id, ModelHub hub,
        IReadOnlyList<string>? labels = null, IProgress<string>? progress = null, Device? device = null) =>
        PreTrainedBert.Load(id, hub, c => new BertForTokenClassification(c), c => labels is null ? c : c.WithLabels(labels), progress, device);
}

/// <summary>HF's <c>AutoModelForQuestionAnswering</c>.</summary>
public static class AutoModelForQuestionAnswering
{
    public static (BertForQuestionAnswering Model, LoadReport Report) FromPretrained(string id, ModelHub hub, IProgress<string>? progress = null, Device? device = null) =>
        PreTrainedBert.Load(id, hub, c => new BertForQuestionAnswering(c), progress: progress, device: device);
}

/// <summary>HF's <c>AutoModelForMaskedLM</c>.</summary>
public static class AutoModelForMaskedLM
{
    public static (BertForMaskedLM Model, LoadReport Report) FromPretrained(string id, ModelHub hub, IProgress<string>? progress = null, Device? device = null) =>
        PreTrainedBert.Load(id, hub, c => new BertForMaskedLM(c), progress: progress, device: device);
}
