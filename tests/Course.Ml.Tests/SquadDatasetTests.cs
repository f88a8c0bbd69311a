using Course.Ml.Data;

namespace Course.Ml.Tests;

/// <summary>
/// The shipped SQuAD splits (content/datasets/squad and the hidden sample), read as the platform reads them. The
/// exact counts are those of the source, ../shared/data/squad/squad-v1.1-dev-36-articles.json: 36 articles,
/// 8,123 questions, 26,104 reference answers.
/// </summary>
public class SquadDatasetTests
{
    private static readonly string Root = HubCardTests.RepoRoot();

    private static readonly Dictionary<string, Dataset> Splits = new()
    {
        ["train"] = Dataset.FromJsonLines(Path.Combine(Root, "content", "datasets", "squad", "train.jsonl")),
        ["validation"] = Dataset.FromJsonLines(Path.Combine(Root, "content", "datasets", "squad", "validation.jsonl")),
        ["test"] = Dataset.FromJsonLines(Path.Combine(Root, "hidden-sample", "squad", "test.jsonl")),
    };

    private static IEnumerable<Row> AllRows => Splits.Values.SelectMany(s => s);

    private static (string[] Texts, long[] Starts) Answers(Row row)
    {
        var answers = row.Get<Dictionary<string, object?>>("answers");
        return ((string[])answers["text"]!, (long[])answers["answer_start"]!);
    }

    [Fact]
    public void The_splits_are_article_disjoint_and_follow_the_rule_the_card_states()
    {
        var titles = Splits.ToDictionary(s => s.Key, s => s.Value.Column<string>("title").ToHashSet());

        Assert.Equal((26, 5, 5), (titles["train"].Count, titles["validation"].Count, titles["test"].Count));
        Assert.Equal((5863, 1151, 1109), (Splits["train"].Count, Splits["validation"].Count, Splits["test"].Count));
        var all = titles.Values.SelectMany(t => t).ToList();
        Assert.Equal(36, all.Distinct().Count());
        Assert.Equal(all.Count, all.Distinct().Count()); // no article in two splits
        // The card's rule: sorted by title, counted from 1, every 7th from the 4th to validation, from the 7th to test.
        var sorted = all.Order(StringComparer.Ordinal).ToList();
        string SplitOf(string title) => ((sorted.IndexOf(title) + 1) % 7) switch { 4 => "validation", 0 => "test", _ => "train" };
        Assert.All(Splits, s => Assert.All(titles[s.Key], t => Assert.Equal(s.Key, SplitOf(t))));
        Assert.Equal(["Apollo_program", "Economic_inequality", "Immune_system", "Packet_switching", "Teacher"], titles["validation"].Order(StringComparer.Ordinal));
        Assert.Equal(["Computational_complexity_theory", "Genghis_Khan", "Newcastle_upon_Tyne", "Sky_(United_Kingdom)", "Victoria_and_Albert_Museum"],
            titles["test"].Order(StringComparer.Ordinal));
        Assert.Equal(8123, AllRows.Select(r => r.Get<string>("id")).Distinct().Count());
    }

    [Fact]
    public void Every_reference_answer_is_kept_and_sits_at_its_answer_start()
    {
        var answers = AllRows.Select(r => (Row: r, Answers: Answers(r))).ToList();

        Assert.All(answers, a => Assert.Equal(a.Answers.Texts.Length, a.Answers.Starts.Length));
        Assert.Equal(26104, answers.Sum(a => a.Answers.Texts.Length));
        Assert.Equal(4140, answers.Count(a => a.Answers.Texts.Distinct().Count() > 1));
        var misplaced = answers.SelectMany(a => a.Answers.Texts.Zip(a.Answers.Starts, (text, start) => (a.Row, text, start)))
            .Where(x => !string.Equals(x.Row.Get<string>("context").Substring((int)x.start, x.text.Length), x.text, StringComparison.Ordinal))
            .Select(x => $"{x.Row.Get<string>("id")}: '{x.text}' at {x.start}")
            .ToList();
        Assert.Empty(misplaced);
    }

    [Fact]
    public void The_catalog_lists_squad_with_its_licence_and_public_split_sizes()
    {
        var squad = new Hub.DatasetCatalog(Path.Combine(Root, "content", "datasets")).Show("squad");

        Assert.Equal("cc-by-sa-4.0", squad.Card.Value("license"));
        Assert.Equal(["question-answering"], squad.Tasks);
        Assert.Equal(new Dictionary<string, int> { ["train"] = Splits["train"].Count, ["validation"] = Splits["validation"].Count }, squad.Splits);
    }
}
