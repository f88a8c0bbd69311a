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
/// 128 and on SST-2's real sentence lengths (batch 16, and 32 where the row says), fp32 against bf16 autocast, with the machine's fp32 and bf16
/// matmul FLOP/s measured in the same run so the numbers can be read against the hardware.
/// </summary>
internal static class TrainingBenchmark
{
    private const int BatchSize = 16;

    public static void Run(int steps)
    {
        Console.WriteLine(BenchTorch.Setup().Reason);
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

        Console.WriteLine($"| inputs | precision | options | examples/s | vs fp32 same inputs |");
        Console.WriteLine($"|---|---|---|---:|---:|");
        foreach (var (name, length) in new (string, int?)[] { ("fixed 64", 64), ("fixed 128", 128), ("SST-2 real lengths", null) })
        {
            var data = Featurize(length);
            double? baseline = null;
            foreach (var (bf16, grouped, frozen, layers, batch) in new[]
            {
                (false, false, false, 0, 16), (false, true, false, 0, 16), (true, true, false, 0, 16), (false, true, true, 0, 16), (false, true, true, 0, 32),
                (false, true, true, 2, 16), (false, true, true, 3, 16),
            })
            {
                if (length is not null && grouped && (!bf16 || frozen))
                {
                    continue; // grouping cannot change fixed-length batches
                }
                var rate = ExamplesPerSecond(imported, config, data, steps * 16 / batch, bf16, grouped && length is null, frozen, layers, batch);
                baseline ??= rate;
                var freeze = frozen ? $"freeze_layers: [embeddings{(layers > 0 ? $", {layers}" : "")}]" : null;
                var options = string.Join(" + ", new[] { grouped && length is null ? "group_by_length" : null, freeze, batch != 16 ? $"batch {batch}" : null }
                    .OfType<string>().DefaultIfEmpty("-"));
                Console.WriteLine($"| {name} | {(bf16 ? "bf16" : "fp32")} | {options} | {rate:0.0} | {rate / baseline:0.00}× |");
            }
        }
    }

    private static double ExamplesPerSecond(ImportedBert imported, Course.Ml.Models.Bert.BertConfig config, List<Features> data, int steps, bool bf16, bool grouped, bool frozenEmbeddings, int frozenLayers, int batchSize)
    {
        using var model = new BertForSequenceClassification(config);
        PreTrainedBert.LoadWeights(model, imported.Tensors);
        var args = new TrainingArguments
        {
            LearningRate = 5e-5, PerDeviceTrainBatchSize = batchSize, MaxSteps = steps, Bf16 = bf16, GroupByLength = grouped, LoggingSteps = 1000,
            FreezeEmbeddings = frozenEmbeddings, FreezeEncoderLayers = frozenLayers,
        };
        // Three warm-up steps (allocator, oneDNN kernels) are not timed.
        new Trainer(model, b => model.forward(b.InputIds, b.AttentionMask, b.TokenTypeIds, b.Labels), args with { MaxSteps = 3 },
            data, null, new DataCollatorWithPadding(BertWordPieceTokenizer.FromVocabFile("bench", BenchData.VocabFile()))).Train();
        var result = new Trainer(model, b => model.forward(b.InputIds, b.AttentionMask, b.TokenTypeIds, b.Labels), args,
            data, null, new DataCollatorWithPadding(BertWordPieceTokenizer.FromVocabFile("bench", BenchData.VocabFile()))).Train();
        return result["train_samples_per_second"];
    }

    /// <summary>
    /// Where a training step's time goes (batch 16, fixed length 64 or SST-2's first sentences at their real
    /// lengths, in file order, as padded batches): forward, backward, clipping, and the optimizer, TorchSharp's
    /// AdamW against the Trainer's FusedAdamW (which clips inside its update).
    /// </summary>
    public static void Profile(int steps, bool realLengths)
    {
        Console.WriteLine(BenchTorch.Setup().Reason);
        var imported = ((OnnxPackagedBert)PackagedModels.Find("sentence-transformers/all-MiniLM-L6-v2")!).ReadGraph();
        var config = imported.Config.WithLabels(["negative", "positive"]);
        var tokenizer = BertWordPieceTokenizer.FromVocabFile("bench", BenchData.VocabFile());
        var collator = new DataCollatorWithPadding(tokenizer);
        var sentences = realLengths ? BenchData.Sst2Sentences((steps + 3) * 16) : [];
        Batch Inputs(int step) => realLengths
            ? collator.Collate(sentences.Skip(step * 16).Take(16).Select(s => Preprocessing.SequenceClassification(tokenizer, s, 0, 128)).ToList())
            : new Batch(randint(1000, 20000, [16, 64]), ones(16, 64, ScalarType.Int64), null, randint(0, 2, [16]));
        foreach (var fused in new[] { false, true })
        {
            using var model = new BertForSequenceClassification(config);
            PreTrainedBert.LoadWeights(model, imported.Tensors);
            model.train();
            var parameters = model.parameters().ToList();
            using var torchAdamW = fused ? null : optim.AdamW(parameters, 5e-5);
            using var fusedAdamW = fused ? new FusedAdamW(parameters.Select(p => (p, 0.01)), 5e-5) : null;
            var (forward, backward, clip, step) = (0.0, 0.0, 0.0, 0.0);
            for (var i = 0; i < steps + 3; i++)
            {
                using var scope = NewDisposeScope();
                using var batch = Inputs(i);
                var watch = Stopwatch.StartNew();
                using var output = model.forward(batch.InputIds, batch.AttentionMask, batch.TokenTypeIds, batch.Labels);
                var t1 = watch.Elapsed.TotalMilliseconds;
                output.Loss!.backward();
                var t2 = watch.Elapsed.TotalMilliseconds;
                if (torchAdamW is not null)
                {
                    FusedAdamW.DensifyGradients(parameters);
                    nn.utils.clip_grad_norm_(parameters, 1.0);
                }
                var t3 = watch.Elapsed.TotalMilliseconds;
                torchAdamW?.step();
                torchAdamW?.zero_grad();
                fusedAdamW?.Step(maxGradNorm: 1.0);
                fusedAdamW?.ZeroGrad();
                var t4 = watch.Elapsed.TotalMilliseconds;
                if (i >= 3)
                {
                    (forward, backward, clip, step) = (forward + t1, backward + t2 - t1, clip + t3 - t2, step + t4 - t3);
                }
            }
            var total = forward + backward + clip + step;
            Console.WriteLine($"{(realLengths ? "SST-2 real lengths" : "fixed 64")}, per step (ms): forward {forward / steps:0}, backward {backward / steps:0}, clip {clip / steps:0}, " +
                $"{(fused ? "FusedAdamW with clipping" : "torch AdamW")}+zero_grad {step / steps:0}; {16 * steps / total * 1000:0.0} examples/s");
        }
    }

    private static double MatmulGflops(ScalarType dtype) => Gflops(dtype, [1024, 1024], [1024, 1024], (a, b) => a.matmul(b));

    /// <summary>The GEMM shapes of one training step, to see where bf16 pays.</summary>
    public static void Shapes()
    {
        Console.WriteLine(BenchTorch.Setup().Reason);
        foreach (var (name, a, b, op) in new (string, long[], long[], Func<Tensor, Tensor, Tensor>)[]
        {
            ("mm 1024×1024×1024", [1024, 1024], [1024, 1024], (x, y) => x.matmul(y)),
            ("linear 1024×384 → 1536", [1024, 384], [1536, 384], (x, w) => nn.functional.linear(x, w)),
            ("linear 1024×1536 → 384", [1024, 1536], [384, 1536], (x, w) => nn.functional.linear(x, w)),
            ("3-D linear 16×64×384 → 1536", [16, 64, 384], [1536, 384], (x, w) => nn.functional.linear(x, w)),
            ("bmm 192×64×32 · 32×64", [192, 64, 32], [192, 32, 64], (x, y) => x.matmul(y)),
            // One 32-token request: libtorch's linear (weight as a transposed view) against InferenceLinear's
            // contiguous pre-transposed weight.
            ("linear 32×384 → 1536", [32, 384], [1536, 384], (x, w) => nn.functional.linear(x, w)),
            ("mm 32×384 · 384×1536 (pre-transposed)", [32, 384], [384, 1536], (x, w) => x.mm(w)),
            ("linear 32×1536 → 384", [32, 1536], [384, 1536], (x, w) => nn.functional.linear(x, w)),
            ("mm 32×1536 · 1536×384 (pre-transposed)", [32, 1536], [1536, 384], (x, w) => x.mm(w)),
        })
        {
            Console.WriteLine($"{name}: fp32 {Gflops(ScalarType.Float32, a, b, op):0} GFLOP/s, bf16 {Gflops(ScalarType.BFloat16, a, b, op):0} GFLOP/s, fp16 {Gflops(ScalarType.Float16, a, b, op):0} GFLOP/s");
        }
    }

    private static double Gflops(ScalarType dtype, long[] shapeA, long[] shapeB, Func<Tensor, Tensor, Tensor> op)
    {
        using var a = randn(shapeA).to(dtype);
        using var b = randn(shapeB).to(dtype);
        using var probe = op(a, b);
        var flops = 2.0 * probe.numel() * shapeA[^1];
        var runs = (int)Math.Clamp(4e10 / flops, 20, 2000); // ~20 s of work at any size
        for (var i = 0; i < Math.Max(3, runs / 10); i++) op(a, b).Dispose();
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < runs; i++) op(a, b).Dispose();
        return flops * runs / watch.Elapsed.TotalSeconds / 1e9;
    }
}
