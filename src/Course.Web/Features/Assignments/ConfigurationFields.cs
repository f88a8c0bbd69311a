using Course.Core.Assignments;
using Course.Ml.Training;
using Course.Yaml;

namespace Course.Web.Features.Assignments;

/// <summary>A form field: a configuration key (a dotted path for one inside a block) and its choices, or null for free text.</summary>
public sealed record ConfigurationField(string Key, IReadOnlyList<string>? Choices);

/// <summary>
/// The submission form's common fields over the YAML text: reads a key's value and writes it back in place through
/// <see cref="YamlText"/>, keeping the student's comments and layout (the YAML editor stays the whole truth). While
/// the text cannot be read as YAML the fields show nothing and leave it as it is: the editor shows where it breaks.
/// </summary>
public static class ConfigurationFields
{
    /// <summary>Top-level keys (the model, and the data keys of HF's example scripts); every other plain name lives under <c>training_args:</c>.</summary>
    private static readonly HashSet<string> TopLevel = ["model_name_or_path", "max_seq_length", .. TrainingConfig.DataArgs.Keys];

    /// <summary>The <c>preprocessing:</c> keys whose values are one of a few words; the others (lists, mappings, numbers) stay in the YAML editor.</summary>
    private static readonly Dictionary<string, string[]> PreprocessingChoices = new()
    {
        ["deduplicate"] = PreprocessingFile.DeduplicateModes,
        ["drop_empty"] = ["true", "false"],
        ["class_balancing"] = PreprocessingFile.ClassBalancingModes,
        ["truncation"] = PreprocessingFile.TruncationSides,
        ["train_splits"] = PreprocessingFile.TrainSplitChoices,
        ["label_scheme"] = PreprocessingFile.LabelSchemes,
    };

    private static string[] PathOf(string key) => key.Contains('.') ? key.Split('.') : TopLevel.Contains(key) ? [key] : ["training_args", key];

    /// <summary>
    /// The data-preparation and decision fields an assignment allows: its data keys (free text, but
    /// <c>label_all_tokens</c> true or false), its <c>preprocessing:</c> keys with a fixed set of values, and its
    /// <c>decision:</c> keys (<c>class_bias: tuned</c>; an explicit list of biases is written in the YAML editor).
    /// </summary>
    public static IReadOnlyList<ConfigurationField> PreparationFields(AssignmentFrontMatter rules) =>
    [
        .. rules.AllowedDataArgs.Select(key => new ConfigurationField(key, key == "label_all_tokens" ? ["true", "false"] : null)),
        .. rules.AllowedPreprocessing.Where(PreprocessingChoices.ContainsKey).Select(key => new ConfigurationField($"preprocessing.{key}", PreprocessingChoices[key])),
        .. rules.AllowedDecision.Select(key => new ConfigurationField($"decision.{key}", key == "class_bias" ? ["tuned"] : null)),
    ];

    public static string? Get(string yaml, string key) => Parse(yaml).Value(PathOf(key));

    public static string Set(string yaml, string key, string value) => Parse(yaml).With(value, PathOf(key)) ?? yaml;

    /// <summary>The problem that keeps the fields from reading the text, or null when they can.</summary>
    public static ContentError? Problem(string yaml) => Parse(yaml).Errors.FirstOrDefault();

    private static YamlText Parse(string yaml) => YamlText.Parse(yaml, "configuration");
}
