using Course.Ml.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Course.Ml.Tests;

public sealed class FastDropoutTests
{
    [Fact]
    public void About_p_of_the_elements_are_zeroed_and_the_rest_scaled_by_one_over_one_minus_p()
    {
        manual_seed(1);
        using var mask = FastDropout.Mask([1000, 1000], 0.1);
        var values = mask.data<float>().ToArray();

        var zeros = values.Count(v => v == 0f);
        Assert.InRange(zeros / 1e6, 0.098, 0.102); // 1e6 Bernoulli(0.1) draws: σ = 0.0003
        Assert.All(values.Where(v => v != 0f), v => Assert.Equal(1 / 0.9f, v));
        Assert.InRange(values.Average(), 0.997, 1.003);
    }

    [Fact]
    public void The_seed_fixes_the_mask_and_each_element_depends_only_on_its_index()
    {
        float[] Draw(long count, int seed) { manual_seed(seed); using var m = FastDropout.Mask([count], 0.5); return m.data<float>().ToArray(); }

        var big = Draw(300_000, 7); // several parallel chunks
        Assert.Equal(big, Draw(300_000, 7));
        Assert.Equal(Draw(1_001, 7), big.Take(1_001).ToArray()); // one chunk, odd length: same elements
        Assert.NotEqual(big, Draw(300_000, 8));
    }

    [Fact]
    public void Backward_passes_the_gradient_through_the_kept_elements_only_and_eval_is_the_identity()
    {
        using var dropout = new FastDropout(0.3);
        using var x = ones(64, 64).requires_grad_(true);
        dropout.train();
        using var y = dropout.forward(x);
        y.sum().backward();

        var output = y.detach().data<float>().ToArray();
        var gradient = x.grad!.data<float>().ToArray();
        Assert.Equal(output, gradient); // d(x·mask)/dx = mask, and x is all ones
        Assert.Contains(0f, output);
        Assert.Contains(1 / 0.7f, output);

        dropout.eval();
        using var same = dropout.forward(x);
        Assert.Equal(x.detach().data<float>().ToArray(), same.detach().data<float>().ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => new FastDropout(1.0));
    }
}
