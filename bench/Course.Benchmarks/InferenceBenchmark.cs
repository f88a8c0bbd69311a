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
    private static readonly int Threads = int.TryParse(Environment.GetEnvironmentVariable("COURSE_BENCH_THREADS"), out var t) ? t : 2;

    public static void Run(bool memory, int runs = 1)
    {
        var packaged = (OnnxPackagedBert)PackagedModels.Find("sentence-transformers/all-MiniLM-L6-v2")!;
        ImportedBert? imported = packaged.ReadGraph();
        using var model = new BertModel(imported.Config);
        PreTrainedBert.LoadWeights(model, imported.Tensors);
        model.eval();
        torch.set_num_threads(Threads);
        var tokenizer = BertWordPieceTokenizer.FromVocabFile("bench", BenchData.VocabFile());
        var sentences = BenchData.Sst2Sentences(64);
        if (memory)
        {
            // Alone in the process (no ONNX Runtime session, the imported arrays collected) so the number is ours.
            imported = null;
            GC.Collect();
            Memory(model, tokenizer, sentences);
            return;
        }
        using var options = new SessionOptions { IntraOpNumThreads = Threads, InterOpNumThreads = 1 };
        using var session = new InferenceSession(PackagedResources.Read(packaged.AssemblyPath, ".Resources.model.onnx"), options);

        // The ratio moves between hosts a VM names alike ("AMD EPYC"): family and model tell the core apart.
        Console.WriteLine($"host: {HostCpu.Describe()}; {Threads} intra-op threads per engine; ONNX Runtime {OrtEnv.Instance().GetVersionString()}");
        var shapes = new[] { (Batch: 1, Length: 32, Runs: 300), (Batch: 1, Length: 128, Runs: 200), (Batch: 32, Length: 128, Runs: 30) };
        var p50 = new (double Torch, double Ort)[shapes.Length, runs];
        for (var run = 0; run < runs; run++)
        {
            for (var s = 0; s < shapes.Length; s++)
            {
                p50[s, run] = MeasureShape(model, session, tokenizer, sentences, shapes[s].Batch, shapes[s].Length, shapes[s].Runs);
            }
        }
        Console.WriteLine($"| batch × seq | {string.Join(" | ", Enumerable.Range(1, runs).Select(r => $"run {r} p50 ms (TorchSharp / ORT)"))} | TorchSharp / ORT (p50) |");
        Console.WriteLine($"|---|{string.Concat(Enumerable.Repeat("---:|", runs + 1))}");
        for (var s = 0; s < shapes.Length; s++)
        {
            var cells = Enumerable.Range(0, runs).Select(r => $"{p50[s, r].Torch:F2} / {p50[s, r].Ort:F2}");
            var ratios = Enumerable.Range(0, runs).Select(r => $"{p50[s, r].Torch / p50[s, r].Ort:F2}×");
            Console.WriteLine($"| {shapes[s].Batch} × {shapes[s].Length} | {string.Join(" | ", cells)} | {string.Join(", ", ratios)} |");
        }
    }

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
