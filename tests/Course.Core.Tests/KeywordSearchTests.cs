using Course.Core.Search;

namespace Course.Core.Tests;

public class KeywordSearchTests
{
    private static SearchDocument Document(string title, string text, string? preview = null) =>
        new(title.ToLowerInvariant().Replace(' ', '-'), SearchKind.Lesson, title, "/x", text, [text], preview);

    private static readonly SearchDocument[] Documents =
    [
        Document("Tokenization", "WordPiece splits words into sub-word units. The tokenizer returns input ids."),
        Document("The Hub", "Model cards document a model. The tokenizer of a model is on the Hub too."),
        Document("Fine-tuning", "The Trainer runs the training loop."),
    ];

    [Fact]
    public void Every_term_must_match_and_title_matches_rank_first()
    {
        var hits = KeywordSearch.Search(Documents, "tokenizer model");

        Assert.Equal(["The Hub"], hits.Select(h => h.Document.Title));
        Assert.Equal(["Tokenization", "The Hub"], KeywordSearch.Search(Documents, "token").Select(h => h.Document.Title));
    }

    [Fact]
    public void Search_is_case_insensitive_and_shows_a_snippet_around_the_match()
    {
        var hit = Assert.Single(KeywordSearch.Search(Documents, "TRAINER"));

        Assert.Equal("The Trainer runs the training loop.", hit.Snippet);
    }

    [Fact]
    public void A_document_with_a_preview_shows_it_instead_of_the_matched_text()
    {
        var quiz = Document("Quiz 4.2, question 1", "Which mask hides padding? The attention mask is the answer.", "Which mask hides padding?");

        var hit = Assert.Single(KeywordSearch.Search([quiz], "answer"));

        Assert.Equal("Which mask hides padding?", hit.Snippet);
    }

    [Fact]
    public void A_question_mark_or_quote_around_a_word_is_not_part_of_the_term()
    {
        Assert.Equal(["what", "runs", "the", "training", "loop", "from_pretrained"], KeywordSearch.Terms("What runs the training loop? \"from_pretrained\""));
        Assert.Equal(["Fine-tuning"], KeywordSearch.Search(Documents, "trainer?").Select(h => h.Document.Title));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("a")]
    [InlineData(null)]
    public void Empty_or_one_letter_queries_find_nothing(string? query)
    {
        Assert.Empty(KeywordSearch.Search(Documents, query));
    }
}
