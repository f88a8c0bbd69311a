namespace Course.Yaml;

/// <summary>A problem an author can fix, located as <c>file:line: message</c> (file relative to the content root).</summary>
public sealed record ContentError(string File, int Line, string Message)
{
    public override string ToString() => $"{File}:{Line}: {Message}";
}
