using Course.Yaml;

namespace Course.Core.Content;

/// <summary>Thrown when content cannot be used at all (e.g. module.yaml missing or malformed).</summary>
public sealed class ContentException(IReadOnlyList<ContentError> errors)
    : Exception(string.Join(Environment.NewLine, errors))
{
    public IReadOnlyList<ContentError> Errors { get; } = errors;
}
