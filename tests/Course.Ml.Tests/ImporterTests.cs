using Course.Ml.Hub;
using Course.Ml.Hub.Import;
using Course.Ml.Models.Bert;

namespace Course.Ml.Tests;

public class ImporterTests
{
    public static TheoryData<string, bool> Packaged => new()
    {
        { "sentence-transformers/all-MiniLM-L6-v2", true },
        { "Snowflake/snowflake-arctic-embed-xs", false },
    };

    [Theory]
    [MemberData(nameof(Packaged))]
    public void Every_tensor_of_the_packaged_graph_is_mapped_with_its_hf_name_and_shape(string id, bool hasPooler)
    {
        var imported = ((OnnxPackagedBert)PackagedModels.Find(id)!).ReadGraph();

        var expected = OnnxBertImporter.ExpectedTensors(imported.Config, hasPooler).ToList();
        Assert.Equal(expected.Select(e => e.Name).Order(StringComparer.Ordinal), imported.Tensors.Select(t => t.Name));
        foreach (var (name, shape) in expected)
        {
            Assert.Equal(shape, imported.Tensors.Single(t => t.Name == name).Shape);
        }
        Assert.Equal(6 * 16 + 5 + (hasPooler ? 2 : 0), imported.Tensors.Count);
        Assert.Equal((6, 384, 12, 1536), (imported.Config.NumHiddenLayers, imported.Config.HiddenSize, imported.Config.NumAttentionHeads, imported.Config.IntermediateSize));
        Assert.Equal(1e-12, imported.Config.LayerNormEps);
    }

    [Fact]
    public void Linear_weights_are_transposed_back_to_out_by_in()
    {
        var imported = ((OnnxPackagedBert)PackagedModels.Find("sentence-transformers/all-MiniLM-L6-v2")!).ReadGraph();
        var weight = imported.Tensors.Single(t => t.Name == "encoder.layer.0.intermediate.dense.weight");

        // [out=1536, in=384], and not a symmetric or zero matrix.
        Assert.Equal([1536L, 384L], weight.Shape);
        Assert.Contains(weight.Data, v => v != 0);
        Assert.InRange(weight.Data.Select(Math.Abs).Average(), 0.005, 0.5);
    }
}

public sealed class SafeTensorsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("course-st-").FullName;

    [Fact]
    public void Tensors_round_trip_with_names_shapes_and_values()
    {
        var path = Path.Combine(_folder, "model.safetensors");
        NamedTensor[] tensors = [new("b.bias", [3], [1f, -2f, 3.5f]), new("a.weight", [2, 2], [0.25f, 0.5f, 0.75f, 1f])];

        SafeTensors.Write(path, tensors, new Dictionary<string, string> { ["format"] = "pt" });
        var read = SafeTensors.Read(path);

        Assert.Equal(["a.weight", "b.bias"], read.Select(t => t.Name));
        Assert.Equal(tensors[1].Data, read[0].Data);
        Assert.Equal([2L, 2L], read[0].Shape);
        Assert.Equal(tensors[0].Data, read[1].Data);
        Assert.Equal(0, (new FileInfo(path).Length - 8 - BitConverter.ToInt64(File.ReadAllBytes(path), 0)) % 4);
    }

    [Fact]
    public void Half_and_bfloat16_files_written_elsewhere_are_read_as_float32()
    {
        // As Python's safetensors writes them: header JSON (with __metadata__), then F16 and BF16 data.
        var header = """{"__metadata__":{"format":"pt"},"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[4,8]}}""";
        var json = System.Text.Encoding.UTF8.GetBytes(header);
        var data = new List<byte>();
        data.AddRange(BitConverter.GetBytes((long)json.Length));
        data.AddRange(json);
        data.AddRange(BitConverter.GetBytes((Half)1.5f));
        data.AddRange(BitConverter.GetBytes((Half)(-0.25f)));
        data.AddRange(BitConverter.GetBytes((ushort)(BitConverter.SingleToInt32Bits(3.0f) >> 16)));
        data.AddRange(BitConverter.GetBytes((ushort)(BitConverter.SingleToInt32Bits(-1.0f) >> 16)));
        var path = Path.Combine(_folder, "half.safetensors");
        File.WriteAllBytes(path, data.ToArray());

        var read = SafeTensors.Read(path).ToDictionary(t => t.Name);

        Assert.Equal([1.5f, -0.25f], read["h"].Data);
        Assert.Equal([3.0f, -1.0f], read["b"].Data);
    }

    [Fact]
    public void Files_that_are_not_safetensors_are_rejected()
    {
        var path = Path.Combine(_folder, "bad.safetensors");
        File.WriteAllText(path, "not a tensor file at all");

        Assert.Throws<InvalidDataException>(() => SafeTensors.Read(path));
        Assert.Throws<ArgumentException>(() => SafeTensors.Write(Path.Combine(_folder, "x"), [new NamedTensor("t", [3], [1f])]));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
