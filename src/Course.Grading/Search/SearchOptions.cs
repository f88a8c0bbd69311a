namespace Course.Grading.Search;

/// <summary>The <c>Search</c> section of appsettings.json: the site's search box and <c>./course search-eval</c>.</summary>
public sealed class SearchOptions
{
    public const string Section = "Search";

    /// <summary>
    /// The sentence-embedding model (a hub id) that ranks results by meaning beside the keyword match; empty for
    /// keyword search only. It must pool to one vector per text as all-MiniLM-L6-v2 does (mean pooling, normalised).
    /// </summary>
    public string Model { get; set; } = "sentence-transformers/all-MiniLM-L6-v2";

    /// <summary>Passages embedded per forward pass while the index is built.</summary>
    public int BatchSize { get; set; } = 32;
}
