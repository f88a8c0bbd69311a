using System.Text;
using Course.Ml.Hub;

namespace Course.Ml.Search;

/// <summary>
/// The embeddings an <see cref="EmbeddingIndex"/> computed, kept in the hub's cache beside the model, so a restarted
/// site (or another node on a shared hub) embeds only passages it has never seen. The file names the weights it came
/// from (each file's name, size and time): embeddings of other weights, or a file that cannot be read, are not used,
/// and the index embeds everything again. Written to a temporary file and moved into place, so a reader never sees
/// half a file and two writers leave one whole.
/// </summary>
public sealed class EmbeddingCache(string path, string fingerprint)
{
    private const string Format = "course-embeddings/1";

    public string Path { get; } = path;

    public static EmbeddingCache For(ModelHub hub, string modelId)
    {
        var model = hub.Show(modelId);
        var fingerprint = string.Join(";", model.Files.Select(name =>
        {
            var file = new FileInfo(System.IO.Path.Combine(model.Path, name));
            return $"{name}:{file.Length}:{file.LastWriteTimeUtc.Ticks}";
        }));
        return new EmbeddingCache(System.IO.Path.Combine(hub.CachePath, "embeddings", modelId.Replace('/', '~') + ".bin"), fingerprint);
    }

    /// <summary>The embeddings by passage hash; empty when there is no file, it is unreadable, or it is of other weights.</summary>
    public IReadOnlyDictionary<string, float[]> Load()
    {
        var vectors = new Dictionary<string, float[]>(StringComparer.Ordinal);
        try
        {
            using var reader = new BinaryReader(File.OpenRead(Path), Encoding.UTF8);
            if (reader.ReadString() != Format || reader.ReadString() != fingerprint)
            {
                return vectors;
            }
            var (count, dimensions) = (reader.ReadInt32(), reader.ReadInt32());
            for (var i = 0; i < count; i++)
            {
                var hash = reader.ReadString();
                var vector = new float[dimensions];
                reader.BaseStream.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(vector.AsSpan()));
                vectors[hash] = vector;
            }
            return vectors;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or EndOfStreamException or ArgumentException)
        {
            // Missing, cut short or garbled: the embeddings are computed again and the file rewritten.
            return new Dictionary<string, float[]>(StringComparer.Ordinal);
        }
    }

    public void Save(IReadOnlyDictionary<string, float[]> vectors)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        var temporary = $"{Path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var writer = new BinaryWriter(File.Create(temporary), Encoding.UTF8))
            {
                writer.Write(Format);
                writer.Write(fingerprint);
                writer.Write(vectors.Count);
                writer.Write(vectors.Count == 0 ? 0 : vectors.First().Value.Length);
                foreach (var (hash, vector) in vectors)
                {
                    writer.Write(hash);
                    writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(vector.AsSpan()));
                }
            }
            File.Move(temporary, Path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }
}
