using Course.Ml.Hub.Import;

namespace Course.Benchmarks;

/// <summary>Real public text for measurements: SST-2 sentences from ../shared/data (never copied into the repo).</summary>
internal static class BenchData
{
    public static string SharedData => Environment.GetEnvironmentVariable("COURSE_BENCH_DATA")
        ?? Path.GetFullPath(Path.Combine(RepoRoot(), "..", "shared", "data"));

    public static string[] Sst2Sentences(int count) =>
        File.ReadLines(Path.Combine(SharedData, "sst2", "train.tsv"))
            .Select(l => l.Split('\t')[0])
            .Where(s => s.Length > 0)
            .Take(count)
            .ToArray();

    /// <summary>all-MiniLM-L6-v2's vocab.txt (= bert-base-uncased's), written once to a temp file for the other libraries.</summary>
    public static string VocabFile()
    {
        var path = Path.Combine(Path.GetTempPath(), "course-bench-vocab.txt");
        if (!File.Exists(path))
        {
            var packaged = (OnnxPackagedBert)PackagedModels.Find("sentence-transformers/all-MiniLM-L6-v2")!;
            var text = System.Text.Encoding.UTF8.GetString(PackagedResources.Read(packaged.AssemblyPath, ".Resources.vocab.txt"));
            File.WriteAllText(path, text.Replace("\r\n", "\n"));
        }
        return path;
    }

    public static string RepoRootPath => RepoRoot();

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Course.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("Run from inside the repository.");
    }
}
