using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Course.Ml.Hub;

/// <summary>One tensor of a state dict, kept as float32 on the CPU with its shape (HF name → values).</summary>
public sealed record NamedTensor(string Name, long[] Shape, float[] Data)
{
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);
}

/// <summary>
/// The safetensors format (Hugging Face's weight files): an 8-byte little-endian header length, a JSON
/// header mapping each tensor name to dtype, shape and byte offsets, then the raw little-endian data.
/// Reads F32, F16 and BF16 (converted to float32); writes F32.
/// </summary>
public static class SafeTensors
{
    private const int MaxHeaderBytes = 100 * 1024 * 1024;

    public static void Write(string path, IEnumerable<NamedTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var ordered = tensors.OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        var header = new JsonObject();
        if (metadata is not null)
        {
            header["__metadata__"] = new JsonObject(metadata.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value))));
        }
        long offset = 0;
        foreach (var tensor in ordered)
        {
            if (tensor.ElementCount != tensor.Data.Length)
            {
                throw new ArgumentException($"{tensor.Name}: shape [{string.Join(",", tensor.Shape)}] does not match {tensor.Data.Length} values");
            }
            var bytes = tensor.Data.LongLength * sizeof(float);
            header[tensor.Name] = new JsonObject
            {
                ["dtype"] = "F32",
                ["shape"] = new JsonArray(tensor.Shape.Select(d => (JsonNode?)JsonValue.Create(d)).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes),
            };
            offset += bytes;
        }

        var json = System.Text.Encoding.UTF8.GetBytes(header.ToJsonString());
        // The spec pads the header with spaces to an 8-byte boundary so the data is aligned.
        var padded = (json.Length + 7) / 8 * 8;
        var temp = path + ".tmp";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write))
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
            file.Write(length);
            file.Write(json);
            for (var i = json.Length; i < padded; i++)
            {
                file.WriteByte((byte)' ');
            }
            foreach (var tensor in ordered)
            {
                file.Write(MemoryMarshal.AsBytes(tensor.Data.AsSpan()));
            }
        }
        File.Move(temp, path, overwrite: true);
    }

    public static IReadOnlyList<NamedTensor> Read(string path)
    {
        using var file = File.OpenRead(path);
        Span<byte> length = stackalloc byte[8];
        file.ReadExactly(length);
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(length);
        if (headerLength is 0 or > MaxHeaderBytes || (long)headerLength + 8 > file.Length)
        {
            throw new InvalidDataException($"{path}: not a safetensors file (header length {headerLength}).");
        }
        var headerBytes = new byte[headerLength];
        file.ReadExactly(headerBytes);
        var header = JsonNode.Parse(headerBytes)?.AsObject() ?? throw new InvalidDataException($"{path}: empty header.");
        var dataStart = 8 + (long)headerLength;

        var tensors = new List<NamedTensor>();
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__" || node is null)
            {
                continue;
            }
            var dtype = node["dtype"]!.GetValue<string>();
            var shape = node["shape"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
            var offsets = node["data_offsets"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
            var count = shape.Aggregate(1L, (a, b) => a * b);
            var raw = new byte[offsets[1] - offsets[0]];
            file.Position = dataStart + offsets[0];
            file.ReadExactly(raw);
            tensors.Add(new NamedTensor(name, shape, Decode(name, dtype, raw, count)));
        }
        return tensors;
    }

    private static float[] Decode(string name, string dtype, byte[] raw, long count)
    {
        var size = dtype switch { "F32" => 4, "F16" or "BF16" => 2, _ => 0 };
        if (size == 0)
        {
            throw new InvalidDataException($"{name}: dtype {dtype} is not supported (F32, F16, BF16 are).");
        }
        if (raw.LongLength != count * size)
        {
            throw new InvalidDataException($"{name}: {raw.Length} bytes for {count} values of {dtype}.");
        }
        var values = new float[count];
        switch (dtype)
        {
            case "F32":
                MemoryMarshal.Cast<byte, float>(raw).CopyTo(values);
                break;
            case "F16":
                var halves = MemoryMarshal.Cast<byte, Half>(raw);
                for (var i = 0; i < values.Length; i++) values[i] = (float)halves[i];
                break;
            default:
                // bfloat16 is the upper half of a float32.
                var shorts = MemoryMarshal.Cast<byte, ushort>(raw);
                for (var i = 0; i < values.Length; i++) values[i] = BitConverter.Int32BitsToSingle(shorts[i] << 16);
                break;
        }
        return values;
    }
}
