namespace Course.Ml;

/// <summary>The <c>Ml</c> section of appsettings.json.</summary>
public sealed class MlOptions
{
    public const string Section = "Ml";

    /// <summary>
    /// Where models, batches and optimizer state live: <c>auto</c> (the first GPU when this build of TorchSharp has
    /// CUDA, else the CPU), <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>; checked by <see cref="TorchDevices.Resolve"/>.
    /// </summary>
    public string Device { get; set; } = "auto";

    /// <summary>Local model hub in the Hugging Face folder layout; relative to the repository root (default <c>hub/</c> in <c>Storage:SharedPath</c> when that is set).</summary>
    public string HubPath { get; set; } = "data/hub";

    /// <summary>
    /// Whether the site queues the builds of missing demo models (course/minilm-*) at start and starts a local worker
    /// on the <c>demos</c> queue to build them. False, the default: a web node in a cluster leaves both to the nodes
    /// told to (any <c>./course worker</c> whose <c>Grading:Queues</c> lists <c>demos</c> builds what was queued); the
    /// repository's appsettings.json says true for <c>./course run</c> on one machine.
    /// </summary>
    public bool BuildDemoModels { get; set; }

    /// <summary>
    /// Whether oneMKL (libtorch's fp32 GEMMs) chooses its kernels by the CPU's features rather than its vendor, so an
    /// AMD CPU with AVX-512 gets the AVX-512 kernels an Intel one would (<see cref="MklCpuDispatch"/>). True, the
    /// default; false keeps oneMKL's own choice (AVX2 on AMD), for comparison or if a host misbehaves with it.
    /// </summary>
    public bool MklKernelsByCpuFeatures { get; set; } = true;
}
