namespace Course.Ml.Data;

/// <summary>JSON Lines files (one JSON value per line, blank lines ignored), read with their 1-based line numbers for errors.</summary>
public static class JsonLines
{
    public static IEnumerable<(int Number, string Text)> Read(string path)
    {
        var number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            if (!string.IsNullOrWhiteSpace(line))
            {
                yield return (number, line);
            }
        }
    }
}
