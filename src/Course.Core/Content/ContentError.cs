namespace Course.Core.Content;

/// <summary>A problem an author can fix, located as <c>file:line: message</c> (file relative to the content root).</summary>
public sealed record ContentError(string File, int Line, string Message)
{
    public override string ToString() => $"{File}:{Line}: {Message}";
}

/// <summary>Thrown when content cannot be used at all (e.g. module.yaml missing or malformed).</summary>
public sealed class ContentException(IReadOnlyList<ContentError> errors)
    : Exception(string.Join(Environment.NewLine, errors))
{
    public IReadOnlyList<ContentError> Errors { get; } = errors;
}
