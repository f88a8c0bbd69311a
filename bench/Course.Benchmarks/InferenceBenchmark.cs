using System.Diagnostics;
using Course.Ml.Hub.Import;
using Course.Ml.Models;
using Course.Ml.Models.Bert;
using Course.Ml.Tokenization;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TorchSharp;
using static TorchSharp.torch;

namespace Course.Benchmarks;

/// <summary>
/// all-MiniLM-L6-v2 encoder latency, TorchSharp against ONNX Runtime on the same packaged weights and the
/// same SST-2 inputs, both on 2 intra-op threads, in one process; then resident memory over 10,000 requests.
/// </summary>
internal static class InferenceBenchmark
{
    private static readonly (int Batch, int Length, int Runs)[] Shapes = [(1, 32, 300), (1, 128, 200), (32, 128, 30)];

    /// <returns>Each shape's p50 in ms per run (TorchSharp, ONNX Runtime); empty for the memory table.</returns>
    public static (double Torch, double Ort)[,] Run(bool memory, int runs = 1)
    {
        var mkl = BenchTorch.Setup();
        var threads = BenchTorch.Threads;
        var packaged = (OnnxPackagedBert)PackagedModels.Find("sentence-transformers/all-MiniLM-L6-v2")!;
        ImportedBert? imported = packaged.ReadGraph();
        using var model = new BertModel(imported.Config);
        PreTrainedBert.LoadWeights(model, imported.Tensors);
        model.eval();
        var tokenizer = BertWordPieceTokenizer.FromVocabFile("bench", BenchData.VocabFile());
        var sentences = BenchData.Sst2Sentences(64);
        if (memory)
        {
            // Alone in the process (no ONNX Runtime session, the imported arrays collected) so the number is ours.
            imported = null;
            GC.Collect();
            Memory(model, tokenizer, sentences);
            return new (double, double)[0, 0];
        }
        using var options = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1 };
        using var session = new InferenceSession(PackagedResources.Read(packaged.AssemblyPath, ".Resources.model.onnx"), options);

        // The ratio moves between hosts a VM names alike ("AMD EPYC"): family and model tell the core apart.
        Console.WriteLine($"host: {HostCpu.Describe()}; {threads} intra-op threads per engine; ONNX Runtime {OrtEnv.Instance().GetVersionString()}; {mkl.Reason}");
        var p50 = new (double Torch, double Ort)[Shapes.Length, runs];
        for (var run = 0; run < runs; run++)
        {
            for (var s = 0; s < Shapes.Length; s++)
            {
                p50[s, run] = MeasureShape(model, session, tokenizer, sentences, Shapes[s].Batch, Shapes[s].Length, Shapes[s].Runs);
            }
        }
        Console.WriteLine($"| batch × seq | {string.Join(" | ", Enumerable.Range(1, runs).Select(r => $"run {r} p50 ms (TorchSharp / ORT)"))} | TorchSharp / ORT (p50) |");
        Console.WriteLine($"|---|{string.Concat(Enumerable.Repeat("---:|", runs + 1))}");
        for (var s = 0; s < Shapes.Length; s++)
        {
            var cells = Enumerable.Range(0, runs).Select(r => $"{p50[s, r].Torch:F2} / {p50[s, r].Ort:F2}");
            var ratios = Enumerable.Range(0, runs).Select(r => $"{p50[s, r].Torch / p50[s, r].Ort:F2}×");
            Console.WriteLine($"| {Shapes[s].Batch} × {Shapes[s].Length} | {string.Join(" | ", cells)} | {string.Join(", ", ratios)} |");
        }
        return p50;
    }

    /// <summary>
    /// oneMKL choosing by vendor (its AVX2 kernels on AMD) beside choosing by CPU features, each a process of its own
    /// (oneMKL chooses once per process), alternating for <paramref name="rounds"/> rounds so the VM's drift falls on
    /// both; one table of p50s and ratios.
    /// </summary>
    public static void CompareMkl(int rounds)
    {
        var columns = new[] { (ByFeatures: false, Name: "by vendor"), (ByFeatures: true, Name: "by features") };
        var p50 = new List<(double Torch, double Ort)[]>[] { [], [] };
        for (var round = 0; round < rounds; round++)
        {
            for (var c = 0; c < columns.Length; c++)
            {
                p50[c].Add(Child(columns[c].ByFeatures));
            }
        }
        Console.WriteLine();
        Console.WriteLine($"oneMKL's kernels by vendor against by CPU features, {rounds} rounds, each a process; p50 ms TorchSharp / ORT");
        Console.WriteLine($"| batch × seq | {string.Join(" | ", columns.Select(c => $"{c.Name}: TorchSharp / ORT"))} | {string.Join(" | ", columns.Select(c => $"{c.Name}: ratio"))} |");
        Console.WriteLine($"|---|{string.Concat(Enumerable.Repeat("---:|", columns.Length * 2))}");
        for (var s = 0; s < Shapes.Length; s++)
        {
            var times = p50.Select(col => string.Join(", ", col.Select(r => $"{r[s].Torch:F2} / {r[s].Ort:F2}")));
            var ratios = p50.Select(col => string.Join(", ", col.Select(r => $"{r[s].Torch / r[s].Ort:F2}×")));
            Console.WriteLine($"| {Shapes[s].Batch} × {Shapes[s].Length} | {string.Join(" | ", times)} | {string.Join(" | ", ratios)} |");
        }
    }

    private static (double Torch, double Ort)[] Child(bool byFeatures)
    {
        var self = Environment.ProcessPath!;
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(typeof(InferenceBenchmark).Assembly.Location);
        }
        foreach (var argument in new[] { "inference", "1", "--p50-json" })
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment[BenchTorch.MklSetting] = byFeatures ? "true" : "false";
        using var child = Process.Start(start)!;
        var lines = new List<string>();
        while (child.StandardOutput.ReadLine() is { } line)
        {
            Console.WriteLine(line);
            lines.Add(line);
        }
        child.WaitForExit();
        if (child.ExitCode != 0 || lines.Count == 0)
        {
            throw new InvalidOperationException($"the inference bench ({BenchTorch.MklSetting}={byFeatures}) exited with {child.ExitCode}");
        }
        return System.Text.Json.JsonSerializer.Deserialize<double[][]>(lines[^1])!.Select(p => (p[0], p[1])).ToArray();
    }

    /// <summary>The first run's p50s as the last line, for <see cref="CompareMkl"/>.</summary>
    public static void PrintP50Json((double Torch, double Ort)[,] p50) =>
        Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(Enumerable.Range(0, p50.GetLength(0)).Select(s => new[] { p50[s, 0].Torch, p50[s, 0].Ort })));

    /// <returns>The p50 latency in ms of each engine on one shape.</returns>
    private static (double Torch, double Ort) MeasureShape(
        BertModel model, InferenceSession session, BertWordPieceTokenizer tokenizer, string[] sentences, int batch, int length, int runs)
    {
        // Batch 1 is one request filled to exactly `length` real tokens (no padding, as a pipeline sends it);
        // batch 32 pads 32 sentences to `length`.
        IReadOnlyList<string> texts = batch == 1 ? [string.Join(" ", sentences)] : sentences.Take(batch).ToList();
        var encoded = tokenizer.EncodeBatch(texts, options: new TokenizerOptions
        {
            Padding = PaddingStrategy.MaxLength, Truncation = TruncationStrategy.LongestFirst, MaxLength = length,
        });
        long[] Field(Func<Course.Ml.Tokenization.Encoding, int[]> f) => encoded.Encodings.SelectMany(e => f(e).Select(v => (long)v)).ToArray();
        var (ids, mask, types) = (Field(e => e.InputIds), Field(e => e.AttentionMask), Field(e => e.TokenTypeIds!));
        long[] shape = [batch, length];

        var padded = mask.Contains(0);
        var torchTimes = Measure(runs, () =>
        {
            using var scope = NewDisposeScope();
            using var inference = inference_mode();
            model.forward(tensor(ids, shape), padded ? tensor(mask, shape) : null, tensor(types, shape)).LastHiddenState.data<float>()[0].ToString();
        });
        int[] dims = [batch, length];
        var ortTimes = Measure(runs, () =>
        {
            using var results = session.Run(
            [
                NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(ids, dims)),
                NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(mask, dims)),
                NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(types, dims)),
            ]);
        });
        return (P(torchTimes, 50), P(ortTimes, 50));
    }

    private static void Memory(BertModel model, BertWordPieceTokenizer tokenizer, string[] sentences)
    {
        Console.WriteLine();
        Console.WriteLine("| requests (batch 1, SST-2 sentences) | resident MiB | live tensors |");
        Console.WriteLine("|---:|---:|---:|");
        for (var request = 1; request <= 10_000; request++)
        {
            var encoding = tokenizer.Encode(sentences[request % sentences.Length]);
            long[] shape = [1, encoding.Length];
            using (NewDisposeScope())
            using (inference_mode())
            {
                model.forward(tensor(encoding.InputIds.Select(i => (long)i).ToArray(), shape)).LastHiddenState.data<float>()[0].ToString();
            }
            if (request is 1 or 100 or 1_000 or 5_000 or 10_000)
            {
                using var process = Process.GetCurrentProcess();
                Console.WriteLine($"| {request:N0} | {process.WorkingSet64 / (1024 * 1024):N0} | {torch.Tensor.TotalCount} |");
            }
        }
    }

    private static List<double> Measure(int runs, Action action)
    {
        for (var i = 0; i < Math.Max(5, runs / 10); i++)
        {
            action();
        }
        var times = new List<double>(runs);
        for (var i = 0; i < runs; i++)
        {
            var started = Stopwatch.GetTimestamp();
            action();
            times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        times.Sort();
        return times;
    }

    private static double P(List<double> sorted, int percentile) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(percentile / 100.0 * sorted.Count) - 1)];
}
