using System.Text.Json;
using System.Text.Json.Serialization;

namespace Course.Ml.Models.Bert;

/// <summary>
/// A BERT configuration as stored in a Hugging Face <c>config.json</c> (same field names), with
/// <c>transformers</c>' defaults for <c>bert-base-uncased</c> where a field is absent.
/// </summary>
public sealed record BertConfig
{
    [JsonPropertyName("architectures")] public List<string>? Architectures { get; init; }
    [JsonPropertyName("model_type")] public string ModelType { get; init; } = "bert";
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; } = 30522;
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; init; } = 768;
    [JsonPropertyName("num_hidden_layers")] public int NumHiddenLayers { get; init; } = 12;
    [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; init; } = 12;
    [JsonPropertyName("intermediate_size")] public int IntermediateSize { get; init; } = 3072;
    [JsonPropertyName("hidden_act")] public string HiddenAct { get; init; } = "gelu";
    [JsonPropertyName("hidden_dropout_prob")] public double HiddenDropoutProb { get; init; } = 0.1;
    [JsonPropertyName("attention_probs_dropout_prob")] public double AttentionProbsDropoutProb { get; init; } = 0.1;
    [JsonPropertyName("max_position_embeddings")] public int MaxPositionEmbeddings { get; init; } = 512;
    [JsonPropertyName("type_vocab_size")] public int TypeVocabSize { get; init; } = 2;
    [JsonPropertyName("initializer_range")] public double InitializerRange { get; init; } = 0.02;
    [JsonPropertyName("layer_norm_eps")] public double LayerNormEps { get; init; } = 1e-12;
    [JsonPropertyName("pad_token_id")] public int PadTokenId { get; init; }
    [JsonPropertyName("position_embedding_type")] public string PositionEmbeddingType { get; init; } = "absolute";
    [JsonPropertyName("classifier_dropout")] public double? ClassifierDropout { get; init; }
    [JsonPropertyName("id2label")] public Dictionary<string, string>? Id2Label { get; init; }
    [JsonPropertyName("label2id")] public Dictionary<string, int>? Label2Id { get; init; }
    [JsonPropertyName("problem_type")] public string? ProblemType { get; init; }
    /// <summary>
    /// How self-attention is computed, as <c>from_pretrained(..., attn_implementation=...)</c>: "eager" (the steps
    /// of <see cref="BertSelfAttention"/>) or "sdpa" (<see cref="BertSdpaSelfAttention"/>, fused kernels); null
    /// means "sdpa", as in transformers. Both give the same results; see <see cref="AttentionImplementation"/>.
    /// </summary>
    [JsonPropertyName("attn_implementation")] public string? AttnImplementation { get; init; }
    [JsonPropertyName("transformers_version")] public string? TransformersVersion { get; init; }

    /// <summary>
    /// Ours (a training configuration's <c>decision.class_bias</c>): one number per label, added to the logits
    /// before the text-classification pipeline's softmax, so its top label is the run's decision. transformers keeps
    /// an unknown config.json field as an attribute and its pipeline ignores it.
    /// </summary>
    [JsonPropertyName("class_bias")] public List<double>? ClassBias { get; init; }

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public int HeadDim => HiddenSize / NumAttentionHeads;

    /// <summary>The attention implementation in use (HF's <c>config._attn_implementation</c>).</summary>
    [JsonIgnore] public string AttentionImplementation => AttnImplementation ?? "sdpa";

    /// <summary>Number of classes of a classification head: the size of <c>id2label</c> (HF's default is 2).</summary>
    [JsonIgnore] public int NumLabels => Id2Label?.Count ?? 2;

    /// <summary>Label names in id order (LABEL_0, LABEL_1, … when the config has none).</summary>
    [JsonIgnore] public IReadOnlyList<string> Labels =>
        Enumerable.Range(0, NumLabels).Select(i => Id2Label?.GetValueOrDefault(i.ToString()) ?? $"LABEL_{i}").ToList();

    /// <summary>This configuration with a classification head of the given labels (id2label and label2id).</summary>
    public BertConfig WithLabels(IReadOnlyList<string> labels) => this with
    {
        Id2Label = labels.Select((l, i) => (l, i)).ToDictionary(x => x.i.ToString(), x => x.l),
        Label2Id = labels.Select((l, i) => (l, i)).ToDictionary(x => x.l, x => x.i),
    };

    public static BertConfig Load(string path)
    {
        var config = JsonSerializer.Deserialize<BertConfig>(File.ReadAllText(path), Json)
            ?? throw new InvalidDataException($"{path} is empty.");
        if (config.ModelType != "bert")
        {
            throw new NotSupportedException($"{path}: model_type '{config.ModelType}' is not supported; this platform implements BERT.");
        }
        if (config.HiddenSize % config.NumAttentionHeads != 0)
        {
            throw new InvalidDataException($"{path}: hidden_size {config.HiddenSize} is not a multiple of num_attention_heads {config.NumAttentionHeads}.");
        }
        if (!BertAttention.SelfAttentionClasses.ContainsKey(config.AttentionImplementation))
        {
            throw new InvalidDataException($"{path}: attn_implementation '{config.AttnImplementation}' is not supported; use one of {string.Join(", ", BertAttention.SelfAttentionClasses.Keys)}.");
        }
        if (config.ClassBias is { } bias && (bias.Count != config.NumLabels || !bias.All(double.IsFinite)))
        {
            throw new InvalidDataException($"{path}: class_bias must hold {config.NumLabels} finite numbers (one per label of id2label), not [{string.Join(", ", bias)}].");
        }
        return config;
    }

    public void Save(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, Json) + "\n");
}
