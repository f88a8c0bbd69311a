using Course.Core.Content;
using Course.Ml.Hub;
using Course.Ml.Hub.Import;
using Course.Ml.Tokenization;
using Course.Ml.Training;

namespace Course.Grading.Content;

/// <summary>
/// What the live widgets of lessons can run: the tokenizers the playground compares and, per task, the model a
/// pipeline widget uses unless it names another. The content validator checks widget and output directives
/// against it, so a lesson never ships a widget that fails in front of students.
/// </summary>
public sealed class WidgetReferences(ModelHub hub)
{
    public const string DefaultTokenizer = DemoModels.BaseModel;

    /// <summary>WordPiece, byte-level BPE (two vocabularies) and SentencePiece, side by side.</summary>
    public static IReadOnlyList<string> Tokenizers { get; } = [DefaultTokenizer, AutoTokenizer.Gpt2, AutoTokenizer.Cl100kBase, "course/sentencepiece-unigram"];

    /// <summary>The fine-tuned demo model of each task a pipeline widget runs.</summary>
    public static IReadOnlyDictionary<string, string> DemoModelFor { get; } = DemoModels.All.ToDictionary(d => d.Task, d => d.Id);

    /// <summary>An error message when <paramref name="directive"/> names a tokenizer, task or model that does not exist; otherwise null.</summary>
    public string? Check(Directive directive) => directive.Name switch
    {
        "tokenizer" => (directive["tokenizers"] ?? DefaultTokenizer).Split(',', StringSplitOptions.TrimEntries)
            .FirstOrDefault(id => !Tokenizers.Contains(id)) is { } unknown
            ? $"tokenizer '{unknown}' is not in the playground (tokenizers: {string.Join(", ", Tokenizers)})"
            : null,
        "pipeline" when !DemoModelFor.ContainsKey(directive["task"] ?? "") =>
            $"task '{directive["task"]}' has no live widget (tasks: {string.Join(", ", DemoModelFor.Keys)})",
        // Demo models may still be building and packaged ones not yet installed when content loads: both count as existing.
        "pipeline" or "attention" when directive["model"] is { } model && !hub.Contains(model) && DemoModels.Find(model) is null
                                       && PackagedModels.All.All(p => p.Id != model) =>
            $"model '{model}' is not in the local hub (see /hub, or `./course models list`)",
        "output" => LessonOutputs.Problem(directive),
        _ => null,
    };
}
