using Course.Ml.Hub;
using Course.Ml.Hub.Import;
using Course.Ml.Models;
using Course.Ml.Models.Bert;
using Course.Ml.Models.Heads;
using Course.Ml.Pipelines;
using Course.Ml.Training;
using TorchSharp;

namespace Course.Tests.Shared;

/// <summary>
/// The four demo model ids filled with tiny random BERTs (real vocabulary, 1 layer, hidden 32) so playground
/// tests exercise every pipeline end to end in milliseconds; their answers are valid and meaningless.
/// </summary>
public static class TinyDemoModels
{
    private static readonly BertConfig Config = new() { VocabSize = 30522, HiddenSize = 32, NumHiddenLayers = 1, NumAttentionHeads = 2, IntermediateSize = 64, MaxPositionEmbeddings = 512 };

    private static string Vocab() => System.Text.Encoding.UTF8.GetString(PackagedResources.Read(
        ((OnnxPackagedBert)PackagedModels.Find(DemoModels.BaseModel)!).AssemblyPath, ".Resources.vocab.txt")).Replace("\r\n", "\n");

    public static void WriteTo(ModelHub hub)
    {
        var vocab = Vocab();
        torch.manual_seed(1);
        Write(hub, "course/minilm-sentiment", vocab, Pipeline.TextClassification, c => new BertForSequenceClassification(c), Config.WithLabels(["negative", "neutral", "positive"]));
        Write(hub, "course/minilm-ner", vocab, Pipeline.TokenClassification, c => new BertForTokenClassification(c),
            Config.WithLabels(["O", "B-LOC", "B-MISC", "B-ORG", "B-PER", "I-LOC", "I-MISC", "I-ORG", "I-PER"]));
        Write(hub, "course/minilm-qa", vocab, Pipeline.QuestionAnswering, c => new BertForQuestionAnswering(c), Config);
        Write(hub, "course/minilm-fill-mask", vocab, Pipeline.FillMask, c => new BertForMaskedLM(c), Config);
    }

    /// <summary>A tiny random sentence-embedding model (a bare BertModel, real vocabulary) under <paramref name="id"/>: vectors valid and meaningless.</summary>
    public static string WriteEmbedder(ModelHub hub, string id = "test/tiny-embedder")
    {
        torch.manual_seed(2);
        Write(hub, id, Vocab(), SentenceEmbeddingPipeline.SentenceSimilarity, c => new BertModel(c), Config);
        return id;
    }

    /// <summary>
    /// Another tiny sentiment classifier under <paramref name="id"/> (a student's kept model, say), drawn from its own
    /// <paramref name="seed"/>, so its answers differ from the demo model's.
    /// </summary>
    public static void WriteSentiment(ModelHub hub, string id, int seed)
    {
        torch.manual_seed(seed);
        Write(hub, id, Vocab(), Pipeline.TextClassification, c => new BertForSequenceClassification(c), Config.WithLabels(["negative", "neutral", "positive"]));
    }

    private static void Write(ModelHub hub, string id, string vocab, string task, Func<BertConfig, torch.nn.Module> create, BertConfig config)
    {
        var folder = hub.PathOf(id);
        using var model = create(config);
        PreTrainedBert.Save(model, config, folder);
        File.WriteAllText(Path.Combine(folder, "vocab.txt"), vocab);
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), """{"tokenizer_class": "BertTokenizer", "do_lower_case": true, "model_max_length": 512}""");
        File.WriteAllText(Path.Combine(folder, "README.md"), DemoModels.WithWidget(
            $"---\npipeline_tag: {task}\nlibrary_name: course-platform\nlanguage:\n  - en\n---\n\n# {id}\n\nA tiny random model for tests.\n",
            DemoModels.Find(id)?.Examples ?? []));
    }
}
