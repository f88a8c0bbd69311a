using Course.Ml.Hub;
using Course.Ml.Hub.Import;
using Course.Ml.Models;
using Course.Ml.Models.Bert;
using Course.Ml.Models.Heads;
using Course.Ml.Tokenization;
using Course.Ml.Training;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TorchSharp;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace Course.Ml.Tests;

public class BertParityTests
{
    [Theory]
    [InlineData("eager")]
    [InlineData("sdpa")]
    public void The_torchsharp_port_matches_onnx_runtime_on_the_packaged_graph(string attnImplementation)
    {
        var packaged = (OnnxPackagedBert)PackagedModels.Find("sentence-transformers/all-MiniLM-L6-v2")!;
        var imported = packaged.ReadGraph();
        using var model = new BertModel(imported.Config with { AttnImplementation = attnImplementation });
        var report = PreTrainedBert.LoadWeights(model, imported.Tensors);
        model.eval();
        Assert.Empty(report.MissingKeys);
        Assert.Empty(report.UnexpectedKeys);

        var batch = Tokenizers.Bert.EncodeBatch(
            ["Hello, my dog is cute", "Transformers turn token ids into contextual vectors, one per token."],
            options: new TokenizerOptions { Padding = PaddingStrategy.Longest });
        var (rows, length) = (batch.Encodings.Count, batch.Encodings[0].Length);
        long[] Flatten(Func<Tokenization.Encoding, int[]> field) => batch.Encodings.SelectMany(e => field(e).Select(v => (long)v)).ToArray();
        var ids = Flatten(e => e.InputIds);
        var mask = Flatten(e => e.AttentionMask);
        var types = Flatten(e => e.TokenTypeIds!);

        float[] ours;
        using (no_grad())
        using (var output = model.forward(tensor(ids, [rows, length]), tensor(mask, [rows, length]), tensor(types, [rows, length])))
        {
            ours = output.LastHiddenState.data<float>().ToArray();
        }

        using var session = new InferenceSession(PackagedResources.Read(packaged.AssemblyPath, ".Resources.model.onnx"));
        int[] shape = [rows, length];
        using var results = session.Run(
        [
            NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(ids, shape)),
            NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(mask, shape)),
            NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(types, shape)),
        ]);
        var reference = results.First(r => r.Name == "last_hidden_state").AsEnumerable<float>().ToArray();

        Assert.Equal(reference.Length, ours.Length);
        var hidden = imported.Config.HiddenSize;
        var maxDifference = 0.0;
        for (var i = 0; i < ours.Length; i++)
        {
            // Padding positions are not defined by either implementation; compare real tokens only.
            if (mask[i / hidden] == 1)
            {
                maxDifference = Math.Max(maxDifference, Math.Abs(ours[i] - reference[i]));
            }
        }
        Assert.InRange(maxDifference, 0, 1e-4);
    }

    [Fact]
    public void A_checkpoint_without_a_pooler_reports_the_pooler_as_newly_initialised()
    {
        var imported = ((OnnxPackagedBert)PackagedModels.Find("Snowflake/snowflake-arctic-embed-xs")!).ReadGraph();
        using var model = new BertModel(imported.Config);

        var report = PreTrainedBert.LoadWeights(model, imported.Tensors);

        Assert.Equal(["pooler.dense.bias", "pooler.dense.weight"], report.MissingKeys);
    }
}

public sealed class BertHeadTests : IDisposable
{
    private static readonly BertConfig Tiny = new BertConfig
    {
        VocabSize = 40, HiddenSize = 16, NumHiddenLayers = 2, NumAttentionHeads = 2, IntermediateSize = 32, MaxPositionEmbeddings = 24,
    }.WithLabels(["O", "B-PER", "I-PER"]);

    private readonly ModelHub _hub = new(Directory.CreateTempSubdirectory("course-heads-").FullName);

    private static Tensor Ids(params long[][] rows) => tensor(rows.SelectMany(r => r).ToArray(), [rows.Length, rows[0].Length]);

    [Fact]
    public void Training_on_the_real_tokens_only_computes_what_each_unpadded_sequence_computes()
    {
        // Without dropout, a padded batch in training mode (real tokens only, attention padded) must give each
        // sequence the logits and the gradient it gets alone, without any padding.
        manual_seed(4);
        using var model = new BertForTokenClassification(Tiny with { HiddenDropoutProb = 0, AttentionProbsDropoutProb = 0 });
        model.train();
        long[][] rows = [[2, 5, 6, 7, 9, 3], [2, 8, 3], [2, 11, 12, 3]];
        long[] Padded(long[] row, long pad) => [.. row, .. Enumerable.Repeat(pad, 6 - row.Length)];
        using var ids = Ids(rows.Select(r => Padded(r, 0)).ToArray());
        using var mask = Ids(rows.Select(r => Padded(r.Select(_ => 1L).ToArray(), 0)).ToArray());
        using var batched = model.forward(ids, mask);
        using var realLogits = batched.Logits * mask.unsqueeze(-1); // padded positions carry no loss
        realLogits.sum().backward();
        Tensor Dense(Tensor gradient) => gradient.is_sparse ? gradient.to_dense() : gradient.clone(); // the word embeddings' is sparse
        var batchedGradients = model.parameters().Select(p => Dense(p.grad!)).ToList();
        model.zero_grad();

        for (var i = 0; i < rows.Length; i++)
        {
            using var alone = model.forward(Ids(rows[i]), Ids(rows[i].Select(_ => 1L).ToArray()));
            Assert.True(alone.Logits[0].allclose(batched.Logits[i].narrow(0, 0, rows[i].Length), rtol: 1e-4, atol: 1e-5), $"sequence {i}");
            alone.Logits.sum().backward(); // gradients add up over the three sequences
        }
        var separateGradients = model.parameters().Select(p => Dense(p.grad!)).ToList();
        for (var i = 0; i < separateGradients.Count; i++)
        {
            Assert.True(batchedGradients[i].allclose(separateGradients[i], rtol: 1e-4, atol: 1e-5), $"gradient {i}");
        }
    }

    [Fact]
    public void Heads_return_logits_of_the_documented_shapes_and_a_loss_with_labels()
    {
        manual_seed(1);
        using var ids = Ids([2, 5, 6, 7, 3], [2, 8, 9, 3, 0]);
        using var mask = Ids([1, 1, 1, 1, 1], [1, 1, 1, 1, 0]);

        using var sequence = new BertForSequenceClassification(Tiny);
        using (var output = sequence.forward(ids, mask, labels: tensor(new long[] { 0, 2 })))
        {
            Assert.Equal([2L, 3], output.Logits.shape);
            Assert.Equal(ScalarType.Float32, output.Loss!.dtype);
            Assert.Equal(CrossEntropy(output.Logits, [0, 2]), output.Loss.item<float>(), 1e-5);
        }

        using var tokens = new BertForTokenClassification(Tiny);
        using (var output = tokens.forward(ids, mask, labels: Ids([-100, 1, 2, 0, -100], [-100, 0, 0, -100, -100])))
        {
            Assert.Equal([2L, 5, 3], output.Logits.shape);
            Assert.Equal(CrossEntropy(output.Logits, [-100, 1, 2, 0, -100, -100, 0, 0, -100, -100]), output.Loss!.item<float>(), 1e-5);
        }

        using var qa = new BertForQuestionAnswering(Tiny);
        using (var output = qa.forward(ids, mask, startPositions: tensor(new long[] { 1, 2 }), endPositions: tensor(new long[] { 2, 2 })))
        {
            Assert.Equal([2L, 5], output.StartLogits.shape);
            Assert.Equal([2L, 5], output.EndLogits.shape);
            Assert.Equal((CrossEntropy(output.StartLogits, [1, 2]) + CrossEntropy(output.EndLogits, [2, 2])) / 2, output.Loss!.item<float>(), 1e-5);
        }

        using var mlm = new BertForMaskedLM(Tiny);
        using (var output = mlm.forward(ids, mask))
        {
            Assert.Equal([2L, 5, 40], output.Logits.shape);
        }
        using (var output = mlm.forward(ids, mask, labels: Ids([-100, 5, -100, -100, -100], [-100, -100, 9, -100, -100])))
        {
            Assert.Equal([2L, 40], output.Logits.shape); // only the two labelled positions go through the vocabulary projection
            Assert.Equal(CrossEntropy(output.Logits, [5, 9]), output.Loss!.item<float>(), 1e-5);
        }
        mlm.eval(); // no dropout: both passes see the same network
        using (var all = mlm.forward(ids, mask))
        using (var masked = mlm.forward(ids, mask, labels: Ids([-100, 5, -100, -100, -100], [-100, -100, 9, -100, -100])))
        {
            Assert.True(masked.Logits[0].allclose(all.Logits[0, 1], rtol: 0, atol: 1e-5), "row 0 is position (0, 1)");
            Assert.True(masked.Logits[1].allclose(all.Logits[1, 2], rtol: 0, atol: 1e-5), "row 1 is position (1, 2)");
        }
    }

    /// <summary>
    /// Cross-entropy recomputed from the logits in double precision, without torch: the mean over rows (the last
    /// dimension holds the classes) whose label is not -100 of log Σ exp(logits) − logits[label].
    /// </summary>
    private static double CrossEntropy(Tensor logits, long[] labels)
    {
        var classes = (int)logits.shape[^1];
        var values = logits.detach().reshape(-1, classes).data<float>().ToArray();
        Assert.Equal(labels.Length * classes, values.Length);
        return values.Chunk(classes).Zip(labels).Where(row => row.Second != -100).Select(row =>
        {
            var max = row.First.Max();
            return max + Math.Log(row.First.Sum(v => Math.Exp(v - max))) - row.First[row.Second];
        }).Average();
    }

    [Fact]
    public void Token_classification_loss_ignores_minus_100_labels()
    {
        manual_seed(2);
        using var model = new BertForTokenClassification(Tiny);
        model.eval();
        using var ids = Ids([2, 5, 6, 3]);

        using var all = model.forward(ids, labels: Ids([-100, 1, 2, -100]));
        using var one = model.forward(ids, labels: Ids([-100, 1, -100, -100]));
        using var logits = all.Logits.log_softmax(-1);
        var expected = -logits[0, 1, 1].item<float>();

        Assert.Equal(expected, one.Loss!.item<float>(), 4);
        Assert.NotEqual(one.Loss.item<float>(), all.Loss!.item<float>(), 4);
    }

    [Fact]
    public void The_masked_lm_decoder_is_tied_to_the_word_embeddings()
    {
        using var model = new BertForMaskedLM(Tiny);

        Assert.DoesNotContain(model.named_parameters(), p => p.name.StartsWith("cls.predictions.decoder"));
        Assert.Contains(model.named_parameters(), p => p.name == "cls.predictions.bias");
        Assert.Contains(model.named_parameters(), p => p.name == "bert.embeddings.word_embeddings.weight");
    }

    [Fact]
    public void A_new_masked_lm_bias_starts_at_the_log_unigram_probabilities_of_the_corpus()
    {
        using var model = new BertForMaskedLM(Tiny);
        model.InitializeBiasFromUnigrams([.. Enumerable.Repeat(5, 1000), 6]);

        var bias = model.named_parameters().Single(p => p.name == "cls.predictions.bias").parameter.detach().data<float>().ToArray();
        var denominator = 1001.0 + Tiny.VocabSize; // add-one smoothing over the vocabulary
        Assert.Equal(Math.Log(1001 / denominator), bias[5], 5);
        Assert.Equal(Math.Log(2 / denominator), bias[6], 5);
        Assert.Equal(Math.Log(1 / denominator), bias[7], 5);

        // Before any training step the most likely prediction is the most frequent token, wherever the mask is.
        model.eval();
        using var ids = Ids([2, 4, 3]);
        using var output = model.forward(ids);
        Assert.Equal(5L, output.Logits[0, 1].argmax().item<long>());
    }

    [Fact]
    public void Save_and_load_round_trip_through_the_hub_with_identical_logits()
    {
        manual_seed(3);
        using var original = new BertForTokenClassification(Tiny);
        original.eval();
        PreTrainedBert.Save(original, Tiny, _hub.PathOf("test/tiny-ner"));

        var (loaded, report) = AutoModelForTokenClassification.FromPretrained("test/tiny-ner", _hub);
        using var _ = loaded;
        using var ids = Ids([2, 5, 6, 7, 3]);
        using var a = original.forward(ids);
        using var b = loaded.forward(ids);

        Assert.Empty(report.MissingKeys);
        Assert.Equal(["O", "B-PER", "I-PER"], loaded.Config.Labels);
        Assert.Equal(a.Logits.data<float>().ToArray(), b.Logits.data<float>().ToArray());
    }

    [Fact]
    public void A_bare_encoder_loads_into_a_head_and_only_the_head_is_new()
    {
        manual_seed(4);
        using var encoder = new BertModel(Tiny);
        PreTrainedBert.Save(encoder, Tiny, _hub.PathOf("test/tiny-encoder"));

        var (model, report) = AutoModelForSequenceClassification.FromPretrained("test/tiny-encoder", _hub, ["negative", "neutral", "positive"]);
        using var _ = model;

        Assert.Equal(["classifier.bias", "classifier.weight"], report.MissingKeys);
        Assert.Empty(report.UnexpectedKeys);
        Assert.Equal(["negative", "neutral", "positive"], model.Config.Labels);
    }

    [Fact]
    public void A_head_with_a_different_number_of_labels_is_refused_with_the_shapes()
    {
        using var model = new BertForSequenceClassification(Tiny);
        PreTrainedBert.Save(model, Tiny, _hub.PathOf("test/three-labels"));

        var error = Assert.Throws<InvalidDataException>(() =>
            AutoModelForSequenceClassification.FromPretrained("test/three-labels", _hub, ["a", "b"]));

        Assert.Contains("classifier", error.Message);
        Assert.Contains("num_labels", error.Message);
    }

    [Fact]
    public void Inference_after_any_write_to_the_weights_uses_the_new_weights()
    {
        // Inference keeps copies of the weights (the stacked Q/K/V projection, the transposed feed-forward and output
        // matrices), keyed by the parameters' versions: each way of writing a weight must show in the next output,
        // exactly as a model built fresh from the same weights computes it.
        using var ids = Ids([2, 5, 6, 7, 3], [2, 8, 3, 0, 0]);
        using var mask = Ids([1, 1, 1, 1, 1], [1, 1, 1, 0, 0]);
        manual_seed(5);
        using var model = new BertModel(Tiny);
        model.eval();
        float[] Run(BertModel m)
        {
            using var noGrad = no_grad(); // the cached path (with autograd on, the layers' own weights are used)
            using var o = m.forward(ids, mask);
            return o.LastHiddenState.data<float>().ToArray();
        }
        float[] Fresh()
        {
            using var fresh = new BertModel(Tiny);
            fresh.load_state_dict(model.state_dict());
            fresh.eval();
            return Run(fresh);
        }
        List<Hub.NamedTensor> WeightsOf(BertModel m) => m.named_parameters()
            .Select(p => new Hub.NamedTensor(p.name, p.parameter.shape, p.parameter.detach().data<float>().ToArray())).ToList();
        var previous = Run(model);
        void AssertUsesTheCurrentWeights(string write)
        {
            var now = Run(model);
            Assert.True(!previous.SequenceEqual(now), $"{write}: the output did not change");
            Assert.True(Fresh().SequenceEqual(now), $"{write}: the output is not what the written weights compute");
            previous = now;
        }

        manual_seed(6);
        using (var other = new BertModel(Tiny))
        {
            PreTrainedBert.LoadWeights(model, WeightsOf(other));
        }
        AssertUsesTheCurrentWeights("PreTrainedBert.LoadWeights");

        manual_seed(7);
        using (var other = new BertModel(Tiny))
        {
            model.load_state_dict(other.state_dict());
        }
        AssertUsesTheCurrentWeights("load_state_dict");

        using (no_grad())
        {
            var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            using var changed = parameters["encoder.layer.0.attention.self.key.weight"] * 1.5f;
            parameters["encoder.layer.0.attention.self.key.weight"].copy_(changed);
        }
        AssertUsesTheCurrentWeights("copy_ into the key projection");

        using (no_grad())
        {
            model.named_parameters().Single(p => p.name == "encoder.layer.1.intermediate.dense.bias").parameter.add_(0.5f);
        }
        AssertUsesTheCurrentWeights("add_ to a feed-forward bias");

        // An optimizer step after an eval forward has built the copies: FusedAdamW writes memory directly.
        using var optimizer = new FusedAdamW(model.parameters().Select(p => (p, 0.01)), learningRate: 0.1);
        model.train();
        using (var output = model.forward(ids, mask))
        {
            output.LastHiddenState.sum().backward();
        }
        model.eval();
        previous = Run(model);
        optimizer.Step();
        AssertUsesTheCurrentWeights("FusedAdamW.Step");
    }

    [Fact]
    public void Repeated_forwards_leave_no_live_tensors_behind()
    {
        using var model = new BertForSequenceClassification(Tiny);
        model.eval();
        using var ids = Ids([2, 5, 6, 7, 3]);
        void Step()
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            model.forward(ids).Dispose();
        }

        Step();
        var before = LiveTensors.OnThisThread;
        for (var i = 0; i < 50; i++)
        {
            Step();
        }

        Assert.Equal(before, LiveTensors.OnThisThread);
    }

    public void Dispose() => Directory.Delete(_hub.Root, recursive: true);
}
