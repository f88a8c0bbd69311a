using TorchSharp;

namespace Course.Ml.Tests;

/// <summary>
/// Live tensors created by the calling thread. <c>Tensor.TotalCount</c> counts the whole process, and a
/// finaliser releasing another test's tensors changes it at any moment; TorchSharp keeps this count per thread.
/// </summary>
internal static class LiveTensors
{
    public static long OnThisThread => DisposeScopeManager.Statistics.ThreadTotalLiveCount;
}
