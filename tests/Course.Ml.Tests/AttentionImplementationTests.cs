using Course.Ml.Models;
using Course.Ml.Models.Bert;
using Course.Ml.Training;
using TorchSharp;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace Course.Ml.Tests;

public sealed class AttentionImplementationTests : IDisposable
{
    private static readonly BertConfig Tiny = new()
    {
        VocabSize = 40, HiddenSize = 16, NumHiddenLayers = 2, NumAttentionHeads = 2, IntermediateSize = 32, MaxPositionEmbeddings = 24,
        HiddenDropoutProb = 0, AttentionProbsDropoutProb = 0,
    };

    // A sentence pair and a single sentence, the second padded.
    private readonly Tensor _ids = tensor(new long[] { 2, 5, 6, 3, 7, 8, 9, 3, 2, 10, 11, 3, 0, 0, 0, 0 }, [2, 8]);
    private readonly Tensor _types = tensor(new long[] { 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0 }, [2, 8]);
    private readonly Tensor _mask = tensor(new long[] { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0 }, [2, 8]);
    private readonly string _folder = Directory.CreateTempSubdirectory("course-attn-").FullName;

    private static (BertModel Eager, BertModel Sdpa) SameWeights()
    {
        manual_seed(11);
        var sdpa = new BertModel(Tiny with { AttnImplementation = "sdpa" });
        var eager = new BertModel(Tiny with { AttnImplementation = "eager" });
        eager.load_state_dict(sdpa.state_dict());
        return (eager, sdpa);
    }

    private (Tensor Hidden, Tensor Pooled, List<Tensor> Gradients) Run(BertModel model, bool train, bool bf16)
    {
        if (train) { model.train(); } else { model.eval(); }
        model.zero_grad();
        using var autocast = bf16 ? Autocast.Enable() : null;
        using var output = model.forward(_ids, _mask, _types);
        // Padded positions are undefined (zeros on the real-token path, attended garbage on the padded one).
        var hidden = output.LastHiddenState * _mask.unsqueeze(-1);
        manual_seed(12);
        using var projection = randn(Tiny.HiddenSize);
        (hidden.matmul(projection).sum() + output.PoolerOutput!.sum()).backward();
        var gradients = model.named_parameters().Select(p => p.parameter.grad is { } g ? (g.is_sparse ? g.to_dense() : g.clone()) : zeros_like(p.parameter)).ToList();
        return (hidden.detach(), output.PoolerOutput.detach().clone(), gradients);
    }

    // fp32: the two paths sum the same products in a different order (stacked GEMM and the fused kernel against
    // three GEMMs and explicit softmax; real tokens only against the padded batch), a few ulps on values of order
    // 1 to 10; 1e-5 is ~100 ulps and four orders below what a wrong mask or scale changes. bf16 rounds every
    // matmul's inputs to 8 significant bits (one ulp is 2⁻⁸ to 2⁻⁷ relative), and the paths differ in which rows
    // share a GEMM, so a value may land a bf16 ulp of the tensor's largest value apart: 1e-2 of it allows about
    // two.
    [Theory]
    [InlineData(false, false, 1e-5, 0)]
    [InlineData(true, false, 1e-5, 0)]
    [InlineData(false, true, 1e-2, 1e-2)]
    [InlineData(true, true, 1e-2, 1e-2)]
    public void Eager_and_sdpa_give_the_same_outputs_and_gradients(bool train, bool bf16, double atol, double rtol)
    {
        var (eager, sdpa) = SameWeights();
        using (eager)
        using (sdpa)
        {
            var expected = Run(eager, train, bf16);
            var actual = Run(sdpa, train, bf16);

            void AssertClose(Tensor a, Tensor e, string what)
            {
                // Relative to the tensor's largest value: a gradient is a sum of terms of that size that cancel,
                // so its rounding error scales with them, not with each small result.
                var (difference, scale) = ((a - e).abs().max().item<float>(), e.abs().max().item<float>());
                Assert.True(difference <= atol + rtol * scale, $"{what} differs by {difference} (largest value {scale})");
            }
            AssertClose(actual.Hidden, expected.Hidden, "last_hidden_state");
            AssertClose(actual.Pooled, expected.Pooled, "pooler_output");
            var names = sdpa.named_parameters().Select(p => p.name).ToList();
            for (var i = 0; i < names.Count; i++)
            {
                AssertClose(actual.Gradients[i], expected.Gradients[i], $"{names[i]}.grad");
            }
            if (!train)
            {
                // Without autograd, sdpa's inference path: the stacked projection copy and the fused kernel.
                using var noGrad = no_grad();
                using var autocast = bf16 ? Autocast.Enable() : null;
                using var inference = sdpa.forward(_ids, _mask, _types);
                using var hidden = inference.LastHiddenState * _mask.unsqueeze(-1);
                AssertClose(hidden, expected.Hidden, "last_hidden_state without autograd");
                AssertClose(inference.PoolerOutput!, expected.Pooled, "pooler_output without autograd");
            }
            Assert.True(expected.Gradients.All(g => g.abs().sum().item<float>() > 0), "every parameter gets a gradient"); // so the comparison is not vacuous
        }
    }

    [Fact]
    public void Both_implementations_have_hugging_faces_state_dict_keys()
    {
        var (eager, sdpa) = SameWeights();
        using (eager)
        using (sdpa)
        {
            var keys = sdpa.state_dict().Keys.ToList();
            Assert.Equal(keys, eager.state_dict().Keys.ToList());
            Assert.Contains("encoder.layer.0.attention.self.query.weight", keys);
            Assert.Contains("encoder.layer.1.attention.self.value.bias", keys);
            Assert.DoesNotContain(keys, k => k.Contains("stacked", StringComparison.OrdinalIgnoreCase));
        }
    }

    [Theory]
    [InlineData(null, "sdpa")]
    [InlineData("\"eager\"", "eager")]
    [InlineData("\"sdpa\"", "sdpa")]
    public void Config_json_chooses_the_implementation_as_transformers_does(string? json, string expected)
    {
        var path = Path.Combine(_folder, "config.json");
        File.WriteAllText(path, json is null ? "{\"hidden_size\": 16, \"num_attention_heads\": 2}" : $"{{\"hidden_size\": 16, \"num_attention_heads\": 2, \"attn_implementation\": {json}}}");

        var config = BertConfig.Load(path);

        Assert.Equal(expected, config.AttentionImplementation);
        Assert.IsType(expected == "eager" ? typeof(BertSelfAttention) : typeof(BertSdpaSelfAttention),
            BertAttention.SelfAttentionClasses[config.AttentionImplementation](config with { VocabSize = 40, NumHiddenLayers = 1, IntermediateSize = 32 }));
    }

    [Fact]
    public void An_unknown_attn_implementation_is_refused_with_the_file_and_the_choices()
    {
        var path = Path.Combine(_folder, "config.json");
        File.WriteAllText(path, "{\"attn_implementation\": \"flash_attention_2\"}");

        var error = Assert.Throws<InvalidDataException>(() => BertConfig.Load(path));

        Assert.Equal($"{path}: attn_implementation 'flash_attention_2' is not supported; use one of eager, sdpa.", error.Message);
    }

    [Fact]
    public void Output_attentions_returns_every_layers_probabilities_and_sdpa_computes_them_as_eager_does()
    {
        var (eager, sdpa) = SameWeights();
        using (eager)
        using (sdpa)
        using (no_grad())
        {
            eager.eval();
            sdpa.eval();
            using var fromEager = eager.forward(_ids, _mask, _types, outputAttentions: true);
            using var fromSdpa = sdpa.forward(_ids, _mask, _types, outputAttentions: true);
            using var fused = sdpa.forward(_ids, _mask, _types);

            Assert.Null(fused.Attentions);
            Assert.Equal(Tiny.NumHiddenLayers, fromSdpa.Attentions!.Count);
            for (var layer = 0; layer < Tiny.NumHiddenLayers; layer++)
            {
                var attention = fromSdpa.Attentions[layer];
                Assert.Equal([2L, Tiny.NumAttentionHeads, 8, 8], attention.shape);
                // HF's fallback: the very eager computation, so the same numbers to the bit.
                Assert.True(attention.eq(fromEager.Attentions![layer]).all().item<bool>(), $"layer {layer} differs from eager");
                // The padded keys of the second row get exactly nothing (exp of the most negative float is 0).
                Assert.Equal(0f, attention[1, .., .., 4..].abs().max().item<float>());
            }
            Assert.True(fromSdpa.LastHiddenState.eq(fromEager.LastHiddenState).all().item<bool>());
            using var real = _mask.unsqueeze(-1);
            Assert.True(((fromSdpa.LastHiddenState - fused.LastHiddenState) * real).abs().max().item<float>() < 1e-5f, "asking for the weights leaves the output as it was");
        }
    }

    [Fact]
    public void The_first_layers_attention_is_the_softmax_of_scaled_query_key_products_of_the_embeddings()
    {
        var (eager, sdpa) = SameWeights();
        using (eager)
        using (sdpa)
        using (no_grad())
        {
            sdpa.eval();
            using var scope = NewDisposeScope();
            var output = sdpa.forward(_ids, _mask, _types, outputAttentions: true);

            // Written out from the state dict, apart from the modules: embeddings, LayerNorm, Q and K of layer 0.
            var p = sdpa.state_dict();
            var positions = arange(8, dtype: ScalarType.Int64);
            var embedded = p["embeddings.word_embeddings.weight"][_ids] + p["embeddings.position_embeddings.weight"][positions] + p["embeddings.token_type_embeddings.weight"][_types];
            var hidden = nn.functional.layer_norm(embedded, [Tiny.HiddenSize], p["embeddings.LayerNorm.weight"], p["embeddings.LayerNorm.bias"], Tiny.LayerNormEps);
            var size = Tiny.HiddenSize / Tiny.NumAttentionHeads;
            Tensor Heads(string name) => (hidden.matmul(p[$"encoder.layer.0.attention.self.{name}.weight"].t()) + p[$"encoder.layer.0.attention.self.{name}.bias"])
                .view(2, 8, Tiny.NumAttentionHeads, size).transpose(1, 2); // (B, heads, T, D)
            var scores = Heads("query").matmul(Heads("key").transpose(-1, -2)) / Math.Sqrt(size); // (B, heads, T, T)
            var expected = scores.masked_fill(_mask.eq(0).view(2, 1, 1, 8), float.NegativeInfinity).softmax(-1);

            var actual = output.Attentions![0];
            Assert.True((actual - expected).abs().max().item<float>() < 1e-6f, $"differs by {(actual - expected).abs().max().item<float>()}");
            Assert.True((actual.sum(-1) - 1).abs().max().item<float>() < 1e-6f, "each query's weights sum to 1");
        }
    }

    [Fact]
    public void Attention_weights_are_released_with_the_output()
    {
        var (eager, sdpa) = SameWeights();
        using (eager)
        using (sdpa)
        using (no_grad())
        {
            sdpa.eval();
            sdpa.forward(_ids, _mask, _types, outputAttentions: true).Dispose(); // warm-up: the stacked projection copy
            var before = LiveTensors.OnThisThread;
            sdpa.forward(_ids, _mask, _types, outputAttentions: true).Dispose();
            Assert.Equal(before, LiveTensors.OnThisThread);
        }
    }

    public void Dispose()
    {
        _ids.Dispose();
        _types.Dispose();
        _mask.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}
