namespace Course.Core.Assignments;

/// <summary>
/// How an evaluation report's length is counted, by the form's live counter and by the service that refuses a long
/// report alike: runs of non-blank characters holding a letter or digit, so Markdown's own marks (<c>-</c>,
/// <c>##</c>, <c>|</c>) are not words while <c>F1</c>, <c>0.83</c> and <c>class_weights</c> are.
/// </summary>
public static class ReportWords
{
    public static int Count(string? text)
    {
        var words = 0;
        var counted = false;
        foreach (var c in text ?? "")
        {
            if (char.IsWhiteSpace(c))
            {
                counted = false;
                continue;
            }
            if (!counted && char.IsLetterOrDigit(c))
            {
                words++;
                counted = true;
            }
        }
        return words;
    }
}
