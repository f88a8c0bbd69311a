using TorchSharp;
using static TorchSharp.torch;

namespace Course.Ml.Tests;

public class TorchSharpTests
{
    [Fact]
    public void Native_library_loads_and_a_matmul_computes_real_values()
    {
        using var a = tensor(new float[] { 1, 2, 3, 4 }, [2, 2]);
        using var b = tensor(new float[] { 5, 6, 7, 8 }, [2, 2]);
        using var c = matmul(a, b);

        Assert.Equal(new float[] { 19, 22, 43, 50 }, c.data<float>().ToArray());
    }

    [Fact]
    public void Softmax_rows_sum_to_one_and_keep_the_order_of_the_logits()
    {
        using var logits = tensor(new float[] { 2.0f, 1.0f, 0.1f }, [1, 3]);
        using var probabilities = nn.functional.softmax(logits, dim: -1);
        var p = probabilities.data<float>().ToArray();

        Assert.Equal(1.0, p.Sum(), 5);
        Assert.Equal(0.659, p[0], 3);
        Assert.True(p[0] > p[1] && p[1] > p[2]);
    }
}
