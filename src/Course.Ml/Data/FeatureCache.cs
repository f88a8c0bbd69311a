using System.Security.Cryptography;
using System.Text;

namespace Course.Ml.Data;

/// <summary>
/// HF's <c>map</c> cache for tokenization: features stored under a hash of the dataset's content and the
/// recipe (task, tokenizer, lengths, labels), so the grader tokenizes an assignment's splits once for all its
/// submissions, and any change to data or recipe misses the cache. Files are written atomically.
/// </summary>
public sealed class FeatureCache(string directory)
{
    private const int FormatVersion = 1;

    public string Directory { get; } = directory;

    public IReadOnlyList<Features> GetOrCreate(Dataset data, string recipe, Func<Dataset, IReadOnlyList<Features>> featurize)
    {
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{FormatVersion}\n{data.Fingerprint}\n{recipe}")));
        var path = Path.Combine(Directory, $"{key}.bin");
        if (File.Exists(path))
        {
            try
            {
                return Read(path);
            }
            catch (Exception ex) when (ex is EndOfStreamException or IOException or InvalidDataException)
            {
                File.Delete(path); // a damaged entry is rebuilt
            }
        }
        var features = featurize(data);
        System.IO.Directory.CreateDirectory(Directory);
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        Write(temporary, features);
        File.Move(temporary, path, overwrite: true);
        return features;
    }

    private static void Write(string path, IReadOnlyList<Features> features)
    {
        using var writer = new BinaryWriter(File.Create(path));
        writer.Write(FormatVersion);
        writer.Write(features.Count);
        foreach (var f in features)
        {
            WriteInts(writer, f.InputIds);
            WriteInts(writer, f.AttentionMask);
            WriteInts(writer, f.TokenTypeIds);
            writer.Write(f.Label ?? long.MinValue);
            writer.Write(f.Labels?.Length ?? -1);
            foreach (var label in f.Labels ?? [])
            {
                writer.Write(label);
            }
            writer.Write(f.StartPosition ?? int.MinValue);
            writer.Write(f.EndPosition ?? int.MinValue);
        }
    }

    private static List<Features> Read(string path)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        if (reader.ReadInt32() != FormatVersion)
        {
            throw new InvalidDataException($"{path}: another cache format");
        }
        var count = reader.ReadInt32();
        var features = new List<Features>(count);
        for (var i = 0; i < count; i++)
        {
            var (ids, mask, types) = (ReadInts(reader)!, ReadInts(reader)!, ReadInts(reader));
            var label = reader.ReadInt64();
            var labelCount = reader.ReadInt32();
            long[]? labels = labelCount < 0 ? null : Enumerable.Range(0, labelCount).Select(_ => reader.ReadInt64()).ToArray();
            var (start, end) = (reader.ReadInt32(), reader.ReadInt32());
            features.Add(new Features(ids, mask, types, label == long.MinValue ? null : label, labels,
                start == int.MinValue ? null : start, end == int.MinValue ? null : end));
        }
        return features;
    }

    private static void WriteInts(BinaryWriter writer, int[]? values)
    {
        writer.Write(values?.Length ?? -1);
        foreach (var value in values ?? [])
        {
            writer.Write(value);
        }
    }

    private static int[]? ReadInts(BinaryReader reader)
    {
        var length = reader.ReadInt32();
        return length < 0 ? null : Enumerable.Range(0, length).Select(_ => reader.ReadInt32()).ToArray();
    }
}
