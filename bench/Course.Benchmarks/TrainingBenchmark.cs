using System.Diagnostics;
using Course.Ml.Data;
using Course.Ml.Hub.Import;
using Course.Ml.Models;
using Course.Ml.Models.Heads;
using Course.Ml.Tokenization;
using Course.Ml.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Course.Benchmarks;

/// <summary>
/// Fine-tuning throughput of all-MiniLM-L6-v2 (forward + backward + AdamW, batch 16) at fixed lengths 64 and
/// 128 and on SST-2's real sentence lengths, fp32 against bf16 autocast, with the machine's fp32 and bf16
/// matmul FLOP/s measured in the same run so the numbers can be read against the hardware.
/// </summary>
internal static class TrainingBenchmark
{
    private const int BatchSize = 16;

    public static void Run(int steps)
    {
        torch.set_num_threads(int.TryParse(Environment.GetEnvironmentVariable("COURSE_BENCH_THREADS"), out var t) ? t : 2);
        Console.WriteLine($"matmul 1024³: fp32 {MatmulGflops(ScalarType.Float32):0} GFLOP/s, bf16 {MatmulGflops(ScalarType.BFloat16):0} GFLOP/s");

        var packaged = (OnnxPackagedBert)PackagedModels.Find("sentence-transformers/all-MiniLM-L6-v2")!;
        var imported = packaged.ReadGraph();
        var config = imported.Config.WithLabels(["negative", "positive"]);
        var tokenizer = BertWordPieceTokenizer.FromVocabFile("bench", BenchData.VocabFile());
        var rows = File.ReadLines(Path.Combine(BenchData.SharedData, "sst2", "train.tsv"))
            .Select(l => l.Split('\t')).Where(p => p.Length == 2).Take(steps * BatchSize * 4).ToList();
        List<Features> Featurize(int? fixedLength) => rows.Select(r =>
        {
            var features = Preprocessing.SequenceClassification(tokenizer, r[0], int.Parse(r[1]), fixedLength ?? 128);
            if (fixedLength is not { } length)
            {
                return features;
            }
            int[] Fill(int[] values, int pad) => [.. values, .. Enumerable.Repeat(pad, length - values.Length)];
            return features with { InputIds = Fill(features.InputIds, 0), AttentionMask = Fill(features.AttentionMask, 0), TokenTypeIds = Fill(features.TokenTypeIds!, 0) };
        }).ToList();

        Console.WriteLine($"| inputs | precision | grouping | examples/s | vs fp32 same inputs |");
        Console.WriteLine($"|---|---|---|---:|---:|");
        foreach (var (name, length) in new (string, int?)[] { ("fixed 64", 64), ("fixed 128", 128), ("SST-2 real lengths", null) })
        {
            var data = Featurize(length);
            double? baseline = null;
            foreach (var (bf16, grouped) in new[] { (false, false), (false, true), (true, true) })
            {
                if (length is not null && grouped && !bf16)
                {
                    continue; // grouping cannot change fixed-length batches
                }
                var rate = ExamplesPerSecond(imported, config, data, steps, bf16, grouped && length is null);
                baseline ??= rate;
                Console.WriteLine($"| {name} | {(bf16 ? "bf16" : "fp32")} | {(grouped && length is null ? "group_by_length" : "-")} | {rate:0.0} | {rate / baseline:0.00}× |");
            }
        }
    }

    private static double ExamplesPerSecond(ImportedBert imported, Course.Ml.Models.Bert.BertConfig config, List<Features> data, int steps, bool bf16, bool grouped)
    {
        using var model = new BertForSequenceClassification(config);
        PreTrainedBert.LoadWeights(model, imported.Tensors);
        var args = new TrainingArguments
        {
            LearningRate = 5e-5, PerDeviceTrainBatchSize = BatchSize, MaxSteps = steps, Bf16 = bf16, GroupByLength = grouped, LoggingSteps = 1000,
        };
        // Three warm-up steps (allocator, oneDNN kernels) are not timed.
        new Trainer(model, b => model.forward(b.InputIds, b.AttentionMask, b.TokenTypeIds, b.Labels), args with { MaxSteps = 3 },
            data, null, new DataCollatorWithPadding(BertWordPieceTokenizer.FromVocabFile("bench", BenchData.VocabFile()))).Train();
        var result = new Trainer(model, b => model.forward(b.InputIds, b.AttentionMask, b.TokenTypeIds, b.Labels), args,
            data, null, new DataCollatorWithPadding(BertWordPieceTokenizer.FromVocabFile("bench", BenchData.VocabFile()))).Train();
        return result["train_samples_per_second"];
    }

    private static double MatmulGflops(ScalarType dtype) => Gflops(dtype, [1024, 1024], [1024, 1024], (a, b) => a.matmul(b));

    /// <summary>The GEMM shapes of one training step, to see where bf16 pays.</summary>
    public static void Shapes()
    {
        torch.set_num_threads(2);
        foreach (var (name, a, b, op) in new (string, long[], long[], Func<Tensor, Tensor, Tensor>)[]
        {
            ("mm 1024×1024×1024", [1024, 1024], [1024, 1024], (x, y) => x.matmul(y)),
            ("linear 1024×384 → 1536", [1024, 384], [1536, 384], (x, w) => nn.functional.linear(x, w)),
            ("linear 1024×1536 → 384", [1024, 1536], [384, 1536], (x, w) => nn.functional.linear(x, w)),
            ("3-D linear 16×64×384 → 1536", [16, 64, 384], [1536, 384], (x, w) => nn.functional.linear(x, w)),
            ("bmm 192×64×32 · 32×64", [192, 64, 32], [192, 32, 64], (x, y) => x.matmul(y)),
        })
        {
            Console.WriteLine($"{name}: fp32 {Gflops(ScalarType.Float32, a, b, op):0} GFLOP/s, bf16 {Gflops(ScalarType.BFloat16, a, b, op):0} GFLOP/s");
        }
    }

    private static double Gflops(ScalarType dtype, long[] shapeA, long[] shapeB, Func<Tensor, Tensor, Tensor> op)
    {
        using var a = randn(shapeA).to(dtype);
        using var b = randn(shapeB).to(dtype);
        using var probe = op(a, b);
        var flops = 2.0 * probe.numel() * shapeA[^1];
        for (var i = 0; i < 3; i++) op(a, b).Dispose();
        const int runs = 20;
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < runs; i++) op(a, b).Dispose();
        return flops * runs / watch.Elapsed.TotalSeconds / 1e9;
    }
}
