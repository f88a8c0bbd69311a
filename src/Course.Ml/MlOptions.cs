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

    /// <summary>Local model hub in the Hugging Face folder layout; relative to the repository root.</summary>
    public string HubPath { get; set; } = "data/hub";

    /// <summary>Whether the site builds missing demo models (course/minilm-*) in the background at start.</summary>
    public bool BuildDemoModels { get; set; } = true;
}
