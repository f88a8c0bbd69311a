namespace Course.Core.Quizzes.Gift;

/// <summary>GIFT that cannot be read at all (an unclosed brace, an unclosed title); the message starts with the line.</summary>
public sealed class GiftSyntaxException(int line, string message) : FormatException($"line {line}: {message}")
{
    public int Line { get; } = line;
}
