namespace Course.Benchmarks;

/// <summary>
/// The CPU as the kernels see it. Hypervisors often show only a vendor's brand ("AMD EPYC"), so two hosts named
/// alike can be different cores (AMD family 19h is Zen 3 / Zen 4, 1Ah is Zen 5, which runs AVX-512 at full width);
/// the family, model and the vector flags the runtimes dispatch on are what make a table comparable.
/// </summary>
internal static class HostCpu
{
    private static readonly string[] VectorFlags = ["avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile", "amx_bf16"];

    public static string Describe()
    {
        const string cpuinfo = "/proc/cpuinfo";
        if (!File.Exists(cpuinfo))
        {
            return $"{Environment.ProcessorCount} logical CPUs (no {cpuinfo} on this OS)";
        }
        var fields = new Dictionary<string, string>();
        foreach (var line in File.ReadLines(cpuinfo).TakeWhile(l => l.Length > 0)) // the first processor's block
        {
            var colon = line.IndexOf(':');
            if (colon > 0)
            {
                fields.TryAdd(line[..colon].Trim(), line[(colon + 1)..].Trim());
            }
        }
        var flags = fields.GetValueOrDefault("flags", "").Split(' ').ToHashSet();
        var family = int.TryParse(fields.GetValueOrDefault("cpu family"), out var f) ? $"{f} ({f:X}h)" : "?";
        var model = int.TryParse(fields.GetValueOrDefault("model"), out var m) ? $"{m} ({m:X}h)" : "?";
        return $"{fields.GetValueOrDefault("model name", "?")}, {fields.GetValueOrDefault("vendor_id", "?")} family {family} model {model}, " +
            $"{Environment.ProcessorCount} logical CPUs, flags {string.Join(" ", VectorFlags.Where(flags.Contains))}";
    }
}
