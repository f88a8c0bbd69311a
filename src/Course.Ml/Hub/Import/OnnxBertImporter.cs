using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Course.Ml.Models.Bert;
using Onnx;

namespace Course.Ml.Hub.Import;

/// <summary>A BERT encoder recovered from an ONNX graph: its configuration and HF-named state dict.</summary>
public sealed record ImportedBert(BertConfig Config, IReadOnlyList<NamedTensor> Tensors);

/// <summary>
/// Turns an ONNX export of a Hugging Face <c>BertModel</c> back into HF's state dict. The exporter keeps
/// the names of embeddings, biases, LayerNorms and the pooler, but renames the 36 Linear weights
/// (<c>927</c>, <c>onnx::MatMul_788</c>, …) and stores them transposed as [in, out] MatMul operands.
/// Each one is identified by following its MatMul to the Add whose other input is a bias named
/// <c>P.bias</c>: the weight is then <c>P.weight</c>, transposed back to [out, in]. The configuration is
/// read off the graph too (sizes from shapes, heads from the attention scale, eps from the LayerNorm).
/// </summary>
public static partial class OnnxBertImporter
{
    private const string Bias = ".bias";

    [GeneratedRegex(@"^encoder\.layer\.(\d+)\.", RegexOptions.NonBacktracking)]
    private static partial Regex LayerIndex();

    public static ImportedBert Import(ModelProto model)
    {
        var graph = model.Graph;
        var initializers = graph.Initializer.ToDictionary(t => t.Name);
        var constants = graph.Node.Where(n => n.OpType == "Constant" && n.Attribute.Count > 0)
            .ToDictionary(n => n.Output[0], n => n.Attribute[0].T);
        var consumers = graph.Node.SelectMany(n => n.Input.Select(i => (Input: i, Node: n))).ToLookup(x => x.Input, x => x.Node);
        var producers = graph.Node.SelectMany(n => n.Output.Select(o => (Output: o, Node: n))).ToDictionary(x => x.Output, x => x.Node);

        var tensors = new Dictionary<string, NamedTensor>(StringComparer.Ordinal);
        foreach (var (name, tensor) in initializers)
        {
            // position_ids is a buffer, not a weight; HF no longer stores it in checkpoints.
            if (IsHfName(name) && name != "embeddings.position_ids")
            {
                tensors[name] = ToTensor(name, tensor);
            }
        }

        var mapped = new HashSet<string>(StringComparer.Ordinal);
        foreach (var matMul in graph.Node.Where(n => n.OpType == "MatMul"))
        {
            if (matMul.Input.Count != 2 || !initializers.TryGetValue(matMul.Input[1], out var weight) || IsHfName(weight.Name))
            {
                continue;
            }
            var biasName = consumers[matMul.Output[0]]
                .Where(n => n.OpType == "Add")
                .SelectMany(n => n.Input)
                .FirstOrDefault(i => i.EndsWith(Bias, StringComparison.Ordinal) && initializers.ContainsKey(i))
                ?? throw new InvalidDataException($"MatMul weight '{weight.Name}' is not followed by an Add with a named bias.");
            var name = biasName[..^Bias.Length] + ".weight";
            tensors[name] = Transpose(ToTensor(name, weight));
            mapped.Add(weight.Name);
        }

        var unmapped = initializers.Values
            .Where(t => t.Dims.Count == 2 && !IsHfName(t.Name) && !mapped.Contains(t.Name))
            .Select(t => t.Name)
            .ToList();
        if (unmapped.Count > 0)
        {
            throw new InvalidDataException($"Unmapped 2-D initializers: {string.Join(", ", unmapped)}");
        }

        var config = ReadConfig(graph, tensors, initializers, constants, producers);
        Validate(config, tensors);
        return new ImportedBert(config, tensors.Values.OrderBy(t => t.Name, StringComparer.Ordinal).ToList());
    }

    /// <summary>Names every BertModel state-dict key must have, with their shapes.</summary>
    public static IEnumerable<(string Name, long[] Shape)> ExpectedTensors(BertConfig c, bool pooler)
    {
        long h = c.HiddenSize, i = c.IntermediateSize;
        yield return ("embeddings.word_embeddings.weight", [c.VocabSize, h]);
        yield return ("embeddings.position_embeddings.weight", [c.MaxPositionEmbeddings, h]);
        yield return ("embeddings.token_type_embeddings.weight", [c.TypeVocabSize, h]);
        yield return ("embeddings.LayerNorm.weight", [h]);
        yield return ("embeddings.LayerNorm.bias", [h]);
        for (var layer = 0; layer < c.NumHiddenLayers; layer++)
        {
            var p = $"encoder.layer.{layer}.";
            foreach (var proj in new[] { "attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense" })
            {
                yield return ($"{p}{proj}.weight", [h, h]);
                yield return ($"{p}{proj}.bias", [h]);
            }
            yield return ($"{p}attention.output.LayerNorm.weight", [h]);
            yield return ($"{p}attention.output.LayerNorm.bias", [h]);
            yield return ($"{p}intermediate.dense.weight", [i, h]);
            yield return ($"{p}intermediate.dense.bias", [i]);
            yield return ($"{p}output.dense.weight", [h, i]);
            yield return ($"{p}output.dense.bias", [h]);
            yield return ($"{p}output.LayerNorm.weight", [h]);
            yield return ($"{p}output.LayerNorm.bias", [h]);
        }
        if (pooler)
        {
            yield return ("pooler.dense.weight", [h, h]);
            yield return ("pooler.dense.bias", [h]);
        }
    }

    private static void Validate(BertConfig config, Dictionary<string, NamedTensor> tensors)
    {
        var pooler = tensors.ContainsKey("pooler.dense.weight");
        var expected = ExpectedTensors(config, pooler).ToList();
        var problems = new List<string>();
        foreach (var (name, shape) in expected)
        {
            if (!tensors.TryGetValue(name, out var tensor))
            {
                problems.Add($"missing {name}");
            }
            else if (!tensor.Shape.SequenceEqual(shape))
            {
                problems.Add($"{name}: shape [{string.Join(",", tensor.Shape)}], expected [{string.Join(",", shape)}]");
            }
        }
        problems.AddRange(tensors.Keys.Except(expected.Select(e => e.Name)).Select(extra => $"unexpected tensor {extra}"));
        if (problems.Count > 0)
        {
            throw new InvalidDataException("The graph is not a BERT encoder: " + string.Join("; ", problems));
        }
    }

    private static BertConfig ReadConfig(GraphProto graph, Dictionary<string, NamedTensor> tensors,
        Dictionary<string, TensorProto> initializers, Dictionary<string, TensorProto> constants, Dictionary<string, NodeProto> producers)
    {
        var words = Required(tensors, "embeddings.word_embeddings.weight");
        var hidden = (int)words.Shape[1];
        var layers = tensors.Keys.Select(k => LayerIndex().Match(k)).Where(m => m.Success)
            .Select(m => int.Parse(m.Groups[1].Value)).Distinct().Count();

        float? Scalar(string name) =>
            (constants.GetValueOrDefault(name) ?? initializers.GetValueOrDefault(name)) is { } t && ElementCount(t) == 1 ? Floats(t)[0] : null;

        // Attention scores are divided by sqrt(head_dim): Div(MatMul(q, kᵀ), c) with both MatMul inputs computed.
        var scale = graph.Node
            .Where(n => n.OpType == "Div" && producers.TryGetValue(n.Input[0], out var p) && p.OpType == "MatMul"
                        && !initializers.ContainsKey(p.Input[0]) && !initializers.ContainsKey(p.Input[1]))
            .Select(n => Scalar(n.Input[1]))
            .FirstOrDefault(v => v is > 0)
            ?? throw new InvalidDataException("Cannot find the attention scale (Div after Q·Kᵀ) to infer the number of heads.");
        var headDim = (int)Math.Round(scale * scale);

        // LayerNorm: Sqrt(Add(ReduceMean(x²), eps)).
        var eps = graph.Node
            .Where(n => n.OpType == "Sqrt" && producers.TryGetValue(n.Input[0], out var add) && add.OpType == "Add")
            .Select(n => producers[n.Input[0]].Input.Select(Scalar).FirstOrDefault(v => v is not null))
            .FirstOrDefault(v => v is not null) ?? 1e-12f;

        if (!graph.Node.Any(n => n.OpType == "Erf"))
        {
            throw new NotSupportedException("Only exact (erf) GELU encoders are supported.");
        }

        return new BertConfig
        {
            Architectures = ["BertModel"],
            VocabSize = (int)words.Shape[0],
            HiddenSize = hidden,
            NumHiddenLayers = layers,
            NumAttentionHeads = hidden / headDim,
            IntermediateSize = (int)Required(tensors, "encoder.layer.0.intermediate.dense.bias").Shape[0],
            MaxPositionEmbeddings = (int)Required(tensors, "embeddings.position_embeddings.weight").Shape[0],
            TypeVocabSize = (int)Required(tensors, "embeddings.token_type_embeddings.weight").Shape[0],
            // float32 constant → the double HF writes (1e-12 rather than 9.99999996e-13).
            LayerNormEps = double.Parse(eps.ToString("R")),
            HiddenAct = "gelu",
        };
    }

    private static NamedTensor Required(Dictionary<string, NamedTensor> tensors, string name) =>
        tensors.GetValueOrDefault(name) ?? throw new InvalidDataException($"The graph has no '{name}'.");

    private static bool IsHfName(string name) =>
        name.StartsWith("embeddings.", StringComparison.Ordinal) ||
        name.StartsWith("encoder.", StringComparison.Ordinal) ||
        name.StartsWith("pooler.", StringComparison.Ordinal);

    private static long ElementCount(TensorProto t) => t.Dims.Aggregate(1L, (a, b) => a * b);

    private static float[] Floats(TensorProto t)
    {
        if ((TensorProto.Types.DataType)t.DataType != TensorProto.Types.DataType.Float)
        {
            throw new InvalidDataException($"{t.Name}: expected float32, found {(TensorProto.Types.DataType)t.DataType}.");
        }
        return t.RawData.Length > 0 ? MemoryMarshal.Cast<byte, float>(t.RawData.Span).ToArray() : t.FloatData.ToArray();
    }

    private static NamedTensor ToTensor(string name, TensorProto t) => new(name, t.Dims.ToArray(), Floats(t));

    private static NamedTensor Transpose(NamedTensor t)
    {
        int rows = (int)t.Shape[0], cols = (int)t.Shape[1];
        var result = new float[t.Data.Length];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < cols; c++)
            {
                result[c * rows + r] = t.Data[r * cols + c];
            }
        }
        return new NamedTensor(t.Name, [cols, rows], result);
    }
}
