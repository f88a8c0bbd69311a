using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Course.Ml.Models;

/// <summary>
/// PyTorch's version counter (<c>tensor._version</c>), which TorchSharp does not expose: every in-place write
/// through libtorch (<c>copy_</c>, <c>add_</c>, <c>load_state_dict</c>, an optimizer's in-place step) bumps it,
/// and a tensor shares it with its views and <c>detach()</c>es. Caches of derived weights compare it instead of
/// being invalidated by hand. Code that writes a tensor's memory directly (spans over <c>data&lt;T&gt;()</c>)
/// bypasses libtorch and must call <see cref="Bump"/>, as PyTorch's own out-of-place kernels do.
/// </summary>
public static class TensorVersion
{
    // TorchSharp's tensor handle is a pointer to an at::Tensor, which is what these C++ functions take by
    // reference; the symbols are libtorch's public API (TensorBase::_version, torch::autograd::impl::bump_version).
    [DllImport("libtorch_cpu", EntryPoint = "_ZNK2at10TensorBase8_versionEv")]
    private static extern long VersionOf(IntPtr tensor);

    [DllImport("libtorch_cpu", EntryPoint = "_ZN5torch8autograd4impl12bump_versionERKN2at6TensorE")]
    private static extern void BumpVersion(IntPtr tensor);

    /// <summary><c>tensor._version</c>.</summary>
    public static long Of(Tensor tensor)
    {
        var version = VersionOf(tensor.Handle);
        GC.KeepAlive(tensor);
        return version;
    }

    /// <summary>Marks <paramref name="tensor"/> as written (<c>torch.autograd.graph.increment_version</c>).</summary>
    public static void Bump(Tensor tensor)
    {
        BumpVersion(tensor.Handle);
        GC.KeepAlive(tensor);
    }
}
