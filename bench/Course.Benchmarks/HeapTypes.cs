using Microsoft.Diagnostics.Runtime;

namespace Course.Benchmarks;

/// <summary>
/// What another .NET process's heap holds, by type: the process is suspended, its heap walked with ClrMD, and the
/// objects counted and sized per type name. Read right after <see cref="LiveHeap.Collect"/>, the heap is nearly all
/// live objects, so the difference between two readings says what was added between them, type by type.
/// </summary>
internal static class HeapTypes
{
    public static Dictionary<string, (long Count, long Bytes)> Read(int processId)
    {
        using var target = DataTarget.AttachToProcess(processId, suspend: true);
        using var runtime = target.ClrVersions[0].CreateRuntime();
        var types = new Dictionary<string, (long Count, long Bytes)>();
        foreach (var obj in runtime.Heap.EnumerateObjects())
        {
            if (obj.Type is not { } type)
            {
                continue;
            }
            var name = type.Name ?? "?";
            var (count, bytes) = types.GetValueOrDefault(name);
            types[name] = (count + 1, bytes + (long)obj.Size);
        }
        return types;
    }

    /// <summary>The types whose bytes grew most from <paramref name="before"/> to <paramref name="after"/>, per one of <paramref name="circuits"/>.</summary>
    public static void PrintGrowth(string title, Dictionary<string, (long Count, long Bytes)> before, Dictionary<string, (long Count, long Bytes)> after, int circuits, int top)
    {
        Console.WriteLine($"{title}: the {top} types that grew most, per circuit");
        Console.WriteLine("| type | objects per circuit | bytes per circuit |");
        Console.WriteLine("|---|---|---|");
        var growth = after.Select(t => (Type: t.Key, Count: t.Value.Count - before.GetValueOrDefault(t.Key).Count, Bytes: t.Value.Bytes - before.GetValueOrDefault(t.Key).Bytes))
            .OrderByDescending(t => t.Bytes).ToList();
        foreach (var (type, count, bytes) in growth.Take(top))
        {
            Console.WriteLine($"| `{type}` | {count / (double)circuits:0.#} | {bytes / (double)circuits:0} |");
        }
        Console.WriteLine($"| all types | {growth.Sum(t => t.Count) / (double)circuits:0} | {growth.Sum(t => t.Bytes) / (double)circuits:0} |");
    }
}
