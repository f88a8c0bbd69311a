using Course.Ml.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Course.Ml.Tests;

public sealed class FusedAdamWTests
{
    [Theory]
    [InlineData(0.0)] // no clipping
    [InlineData(1.0)] // the gradients' norms are ~270: clipped on every step
    [InlineData(1e4)] // above the norm: clip_grad_norm_ leaves the gradients as they are
    public void Updates_match_torch_clip_grad_norm_and_optim_adamw(double maxGradNorm)
    {
        // Shapes: several parallel chunks (70,001 elements, not a multiple of the vector width), a small matrix,
        // and a bias that gets no gradient on the odd steps (PyTorch skips it then).
        long[][] shapes = [[70_001], [7, 5], [3]];
        double[] decays = [0.01, 0.01, 0.0];
        manual_seed(3);
        var initial = shapes.Select(s => randn(s)).ToArray();
        // Scaled differently on each step, so clipping changes the moments and not only the update's scale.
        var gradients = Enumerable.Range(0, 4).Select(step => shapes.Select(s => randn(s) * (1 + 3 * step)).ToArray()).ToArray();

        Parameter[] Fresh() => initial.Select(t => new Parameter(t.clone())).ToArray();
        var ours = Fresh();
        var reference = Fresh();
        using var fused = new FusedAdamW(ours.Select((p, i) => (p, decays[i])), 1e-3);
        using var torchAdamW = optim.AdamW(
        [
            new AdamW.ParamGroup(reference.Take(2), new AdamW.Options { LearningRate = 1e-3, weight_decay = 0.01 }),
            new AdamW.ParamGroup(reference.Skip(2), new AdamW.Options { LearningRate = 1e-3, weight_decay = 0.0 }),
        ], 1e-3);

        for (var step = 0; step < gradients.Length; step++)
        {
            var learningRate = 1e-3 * (step + 1); // a schedule: the rate changes between steps
            fused.LearningRate = learningRate;
            foreach (var group in torchAdamW.ParamGroups)
            {
                group.LearningRate = learningRate;
            }
            for (var i = 0; i < shapes.Length; i++)
            {
                var skip = i == 2 && step % 2 == 1;
                ours[i].grad = skip ? null : gradients[step][i].clone();
                reference[i].grad = skip ? null : gradients[step][i].clone();
            }
            var norm = fused.Step(maxGradNorm);
            if (maxGradNorm > 0)
            {
                var expected = nn.utils.clip_grad_norm_(reference, maxGradNorm);
                Assert.InRange(Math.Abs(norm - expected), 0, 1e-4 * expected);
            }
            torchAdamW.step();
        }

        for (var i = 0; i < shapes.Length; i++)
        {
            Assert.False(ours[i].detach().eq(initial[i]).any().item<bool>()); // every weight moved
            var difference = (ours[i].detach() - reference[i].detach()).abs().max().item<float>();
            Assert.InRange(difference, 0, 1e-6);
        }
    }

    [Fact]
    public void A_sparse_embedding_gradient_updates_every_row_as_its_dense_form_does()
    {
        // Rows 1 and 4 repeat (one entry per token, uncoalesced); rows without gradient still decay and move
        // with their moments, as under the dense update. Widths of 40 cross the vector width; 2 rows × 3 steps.
        manual_seed(5);
        var initial = randn(7, 40);
        var sparse = new Parameter(initial.clone());
        var dense = new Parameter(initial.clone());
        using var ours = new FusedAdamW([(sparse, 0.01)], 1e-2);
        using var reference = new FusedAdamW([(dense, 0.01)], 1e-2);
        long[][] touched = [[1, 4, 1], [0, 4], [6, 4, 4, 2]];
        foreach (var rows in touched)
        {
            using var indices = tensor(rows, [1, rows.Length]);
            using var values = randn(rows.Length, 40) * 5;
            sparse.grad = sparse_coo_tensor(indices, values, [7, 40]);
            dense.grad = sparse.grad.to_dense();
            Assert.True(sparse.grad.is_sparse);
            var (normSparse, normDense) = (ours.Step(maxGradNorm: 1.0), reference.Step(maxGradNorm: 1.0));
            Assert.InRange(Math.Abs(normSparse - normDense), 0, 1e-5 * normDense);
        }

        Assert.True(sparse.detach().allclose(dense.detach(), rtol: 0, atol: 1e-6));
        Assert.False(sparse.detach()[3].eq(initial[3]).any().item<bool>()); // never touched: weight decay still applies
    }

    [Fact]
    public void Sparse_gradients_are_made_dense_for_torchs_optimizers_without_leaking_handles()
    {
        var parameter = new Parameter(zeros(4, 3));
        using var indices = tensor(new long[] { 2, 0, 2 }, [1, 3]);
        using var values = ones(3, 3);
        using (var sparse = sparse_coo_tensor(indices, values, [4, 3]))
        {
            parameter.grad = sparse;
        }
        var before = LiveTensors.OnThisThread;
        FusedAdamW.DensifyGradients([parameter]);

        Assert.Equal(before, LiveTensors.OnThisThread);
        using var grad = parameter.grad!;
        Assert.False(grad.is_sparse);
        Assert.Equal([1f, 1f, 1f, 0f, 0f, 0f, 2f, 2f, 2f, 0f, 0f, 0f], grad.data<float>().ToArray()); // repeated rows add up
    }

    [Fact]
    public void Steps_leave_no_live_tensors_behind()
    {
        var parameter = new Parameter(ones(8, 8));
        using var optimizer = new FusedAdamW([(parameter, 0.01)], 0.1);
        void Backward()
        {
            using var gradient = full(8, 8, 0.5f);
            parameter.grad = gradient;
        }
        Backward();
        optimizer.Step(maxGradNorm: 1.0);
        var before = LiveTensors.OnThisThread;
        for (var i = 0; i < 20; i++)
        {
            Backward();
            optimizer.Step(maxGradNorm: 1.0);
            optimizer.ZeroGrad();
        }

        Assert.Equal(before, LiveTensors.OnThisThread);
    }

    [Fact]
    public void ZeroGrad_drops_every_gradient()
    {
        var parameter = new Parameter(ones(4, 4));
        using var optimizer = new FusedAdamW([(parameter, 0.0)], 0.1);
        parameter.grad = full(4, 4, 2.0f);
        optimizer.Step();
        optimizer.ZeroGrad();

        Assert.Null(parameter.grad);
        Assert.True(parameter.detach().lt(1f).all().item<bool>()); // a positive gradient moved every weight down
    }
}
