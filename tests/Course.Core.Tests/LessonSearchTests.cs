using Course.Core.Content;

namespace Course.Core.Tests;

public class LessonSearchTests
{
    private static Lesson Lesson(string title, string text) =>
        new("4.1", title.ToLowerInvariant().Replace(' ', '-'), title, 1, 10, ["x"], "", [], text, "p.md");

    private static readonly Lesson[] Lessons =
    [
        Lesson("Tokenization", "WordPiece splits words into sub-word units. The tokenizer returns input ids."),
        Lesson("The Hub", "Model cards document a model. The tokenizer of a model is on the Hub too."),
        Lesson("Fine-tuning", "The Trainer runs the training loop."),
    ];

    [Fact]
    public void Every_term_must_match_and_title_matches_rank_first()
    {
        var hits = LessonSearch.Search(Lessons, "tokenizer model");

        Assert.Equal(["The Hub"], hits.Select(h => h.Lesson.Title));
        Assert.Equal(["Tokenization", "The Hub"], LessonSearch.Search(Lessons, "token").Select(h => h.Lesson.Title));
    }

    [Fact]
    public void Search_is_case_insensitive_and_shows_a_snippet_around_the_match()
    {
        var hit = Assert.Single(LessonSearch.Search(Lessons, "TRAINER"));

        Assert.Equal("The Trainer runs the training loop.", hit.Snippet);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("a")]
    [InlineData(null)]
    public void Empty_or_one_letter_queries_find_nothing(string? query)
    {
        Assert.Empty(LessonSearch.Search(Lessons, query));
    }
}
