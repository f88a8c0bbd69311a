using Course.Ml.Hub;
using Course.Ml.Hub.Import;
using Course.Ml.Models;
using Course.Ml.Models.Bert;
using Course.Ml.Training;
using TorchSharp;

namespace Course.Tests.Shared;

/// <summary>
/// A complete, tiny grading setup in a temporary folder: content/ with a module and one assignment
/// ("reviews", keyword sentiment that a tiny model learns), its public splits, a hidden split outside the
/// content, and a hub holding a tiny random BERT ("test/tiny-bert", real vocabulary) as the allowed base model.
/// </summary>
public sealed class TinyGradingSetup : IDisposable
{
    public const string Model = "test/tiny-bert";

    public string Root { get; } = Directory.CreateTempSubdirectory("course-grading-").FullName;
    public string Content => Path.Combine(Root, "content");
    public string Hidden => Path.Combine(Root, "hidden");
    public string DatasetsFolder => Path.Combine(Content, "datasets");

    /// <summary>The Data:Path folder: instructors' hidden splits go to <c>hidden/</c> in it.</summary>
    public string Data => Path.Combine(Root, "data");

    /// <summary>Uploads under <see cref="Data"/> first, else the hidden split under <see cref="Hidden"/> (inside <see cref="Root"/>, so practice grading).</summary>
    public Course.Grading.HiddenSplits HiddenSplits => new(Path.Combine(Data, Course.Grading.HiddenSplits.UploadFolder), Hidden, Root);
    public ModelHub Hub => new(Path.Combine(Root, "hub"));

    private static readonly string[] Positive = ["good", "great", "excellent", "lovely", "superb"];
    private static readonly string[] Negative = ["bad", "awful", "terrible", "poor", "broken"];
    private static readonly string[] Fillers = ["the", "battery", "screen", "was", "really", "quite", "for", "me", "price", "and", "this", "phone"];

    /// <param name="maxEpochs">The assignment's epoch limit (long runs for the worker tests).</param>
    public TinyGradingSetup(int maxEpochs = 50, DateTimeOffset? due = null)
    {
        Write("content/module.yaml", "id: m\ntitle: Test\nweek: 4\ngoal: Test.\ntopics:\n  - id: \"4.1\"\n    title: T\n    folder: 4.1-t\n    duration: 1 hour\n    objectives: [X]\n");
        Directory.CreateDirectory(Path.Combine(Content, "topics", "4.1-t"));
        Write("content/datasets/reviews/train.jsonl", Rows(200, 1));
        Write("content/datasets/reviews/validation.jsonl", Rows(40, 2));
        Write("hidden/reviews/test.jsonl", Rows(40, 3));
        Write("content/assignments/reviews/assignment.md", $"""
            ---
            id: reviews
            title: Keyword reviews
            task: text-classification
            dataset: reviews
            hidden_split: reviews/test.jsonl
            metric: eval_accuracy
            rubric:
              - {"{"} at: 0.5, points: 0 {"}"}
              - {"{"} at: 0.7, points: 50 {"}"}
              - {"{"} at: 0.9, points: 100 {"}"}
            pass_points: 50
            opens: 2026-01-01T00:00:00Z
            due: {(due ?? new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero)):yyyy-MM-ddTHH:mm:ssZ}
            max_submissions_per_day: 3
            limits:
              max_epochs: {maxEpochs}
              max_train_examples: 200
              max_seq_length: 32
              time_limit_minutes: 240 # the most allowed: a test job never races the clock, however busy the machine
            allowed_models: [{Model}]
            allowed_training_args: [learning_rate, num_train_epochs, per_device_train_batch_size, seed, logging_steps, eval_strategy]
            allowed_preprocessing: [deduplicate, train_splits]
            ranges:
              learning_rate: [1.0e-5, 1.0e-2]
            ---
            Classify keyword reviews.
            """);
        Write("content/assignments/reviews/starter.yaml", Config(epochs: 8));
        WriteTinyModel();
    }

    /// <summary>A submission: the tiny model at a learning rate it learns with; more epochs make a longer run.</summary>
    public static string Config(double epochs) => $"""
        task: text-classification
        model_name_or_path: {Model}
        max_seq_length: 32
        training_args:
          learning_rate: 3.0e-3
          num_train_epochs: {epochs}
          per_device_train_batch_size: 8
          logging_steps: 5
          seed: 7
        """;

    private static string Rows(int count, int seed)
    {
        var random = new Random(seed);
        return string.Join('\n', Enumerable.Range(0, count).Select(i =>
        {
            var positive = i % 2 == 0;
            var words = Enumerable.Range(0, 6).Select(_ => Fillers[random.Next(Fillers.Length)]).ToList();
            words.Insert(random.Next(words.Count), (positive ? Positive : Negative)[random.Next(5)]);
            return $"{{\"text\": \"{string.Join(' ', words)}\", \"label\": \"{(positive ? "positive" : "negative")}\"}}";
        })) + "\n";
    }

    private void WriteTinyModel()
    {
        var folder = Hub.PathOf(Model);
        torch.manual_seed(1);
        var config = new BertConfig { VocabSize = 30522, HiddenSize = 32, NumHiddenLayers = 1, NumAttentionHeads = 2, IntermediateSize = 64, MaxPositionEmbeddings = 64 };
        using var model = new BertModel(config);
        PreTrainedBert.Save(model, config, folder);
        var vocab = System.Text.Encoding.UTF8.GetString(PackagedResources.Read(
            ((OnnxPackagedBert)PackagedModels.Find(DemoModels.BaseModel)!).AssemblyPath, ".Resources.vocab.txt")).Replace("\r\n", "\n");
        File.WriteAllText(Path.Combine(folder, "vocab.txt"), vocab);
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), """{"tokenizer_class": "BertTokenizer", "do_lower_case": true, "model_max_length": 64}""");
        File.WriteAllText(Path.Combine(folder, "README.md"), "---\npipeline_tag: feature-extraction\n---\n\n# test/tiny-bert\n");
    }

    /// <summary>
    /// <c>dotnet <paramref name="program"/> <paramref name="arguments"/></c> on this setup's folders and the database
    /// of <paramref name="connectionString"/> (a SQLite one unless <paramref name="settings"/> names another
    /// <c>Database__Provider</c>): every setting in its environment, none on its command line.
    /// </summary>
    public System.Diagnostics.ProcessStartInfo DotnetProcess(string program, IEnumerable<string> arguments, string connectionString,
        IReadOnlyDictionary<string, string>? settings = null)
    {
        var start = new System.Diagnostics.ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        start.ArgumentList.Add(program);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment["ConnectionStrings__Course"] = connectionString;
        start.Environment["Content__Path"] = Content;
        start.Environment["Ml__HubPath"] = Hub.Root;
        start.Environment["Grading__HiddenDataPath"] = Hidden;
        start.Environment["Data__Path"] = Data;
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }
        return start;
    }

    /// <summary>A real <c>course VERB</c> process (course.dll beside the caller); see <see cref="DotnetProcess"/>.</summary>
    public System.Diagnostics.ProcessStartInfo CourseProcess(string verb, string connectionString, IReadOnlyDictionary<string, string>? settings = null) =>
        DotnetProcess(Path.Combine(AppContext.BaseDirectory, "course.dll"), [verb], connectionString, settings);

    /// <summary>Starts a real <c>course worker</c> process (see <see cref="CourseProcess"/>); its output is read and dropped.</summary>
    public System.Diagnostics.Process StartWorker(string connectionString, IReadOnlyDictionary<string, string>? settings = null)
    {
        var process = System.Diagnostics.Process.Start(CourseProcess("worker", connectionString, settings))!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    public void Write(string relative, string text)
    {
        var path = Path.Combine(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
