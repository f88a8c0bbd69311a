using Course.Core.Content;
using Course.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Course.Yaml;

namespace Course.Grading.Tests;

/// <summary>A token-classification hidden split checked row by row (the CLI and page tests cover text classification).</summary>
public class HiddenSplitUploadTests
{
    private static IReadOnlyList<ContentError> Check(string file)
    {
        using var folder = new AssignmentFolder(AssignmentFolder.Rules.Replace("task: text-classification", "task: token-classification"));
        folder.Write("content/datasets/reviews/train.jsonl", """
            {"tokens": ["Ada", "Lovelace", "met", "Babbage"], "ner_tags": ["B-PER", "I-PER", "O", "B-PER"]}
            {"tokens": ["She", "lived", "in", "London"], "ner_tags": ["O", "O", "O", "B-LOC"]}
            """);
        folder.Write("content/datasets/reviews/validation.jsonl", """
            {"tokens": ["Paris", "is", "big"], "ner_tags": ["B-LOC", "O", "O"]}
            """);
        var assignment = folder.Load().Assignment!;
        var databases = new PooledDbContextFactory<CourseDbContext>(new DbContextOptionsBuilder<CourseDbContext>().UseSqlite("Data Source=:memory:").Options);
        var upload = new HiddenSplitUpload(new HiddenSplits(Path.Combine(folder.Root, "data", "hidden"), folder.Hidden, folder.Root),
            Path.Combine(folder.Content, "datasets"), [folder.Content], databases, TimeProvider.System);
        return upload.Check(assignment, file, "ner-test.jsonl").Errors;
    }

    [Fact]
    public void Tags_outside_the_datasets_scheme_broken_iob2_mismatched_lengths_and_public_rows_are_refused_at_their_lines()
    {
        var errors = Check("""
            {"tokens": ["Grace", "Hopper", "in", "Arlington"], "ner_tags": ["B-PER", "I-PER", "O", "B-LOC"]}
            {"tokens": ["Grace", "sailed"], "ner_tags": ["B-ORG", "O"]}
            {"tokens": ["with", "Alan", "Kay"], "ner_tags": ["O", "I-PER", "I-PER"]}
            {"tokens": ["Alan", "Turing"], "ner_tags": ["B-PER"]}

            {"tokens": ["PARIS", "is", "big", "!"], "ner_tags": ["B-LOC", "O", "O", "O"]}
            {"tokens": ["Ada", "Lovelace"], "ner_tags": ["B-PER", "I-LOC"]}
            """);

        Assert.Equal([
            new ContentError("ner-test.jsonl", 2, "ner_tags[0] 'B-ORG' is not one of the dataset's tags (O, B-LOC, B-PER, I-PER)"),
            new ContentError("ner-test.jsonl", 3, "ner_tags[1] 'I-PER' does not continue an entity: in IOB2 it follows B-PER or I-PER"),
            new ContentError("ner-test.jsonl", 4, "\"ner_tags\" must be a list of strings, one per token (2)"),
            new ContentError("ner-test.jsonl", 6, "repeats row 1 of the public validation split (case and punctuation ignored): students train on it"),
            new ContentError("ner-test.jsonl", 7, "ner_tags[1] 'I-LOC' is not one of the dataset's tags (O, B-LOC, B-PER, I-PER)"),
        ], errors);
    }

    [Fact]
    public void An_empty_file_is_refused()
    {
        Assert.Equal([new ContentError("ner-test.jsonl", 1, "the file has no rows: one JSON object per line")], Check("\n\n"));
    }
}
