using System.Security.Cryptography;
using System.Text;
using Course.Core.Assignments;
using Course.Core.Configuration;
using Course.Core.Content;
using Course.Core.Data;
using Course.Ml.Data;
using Course.Ml.Training;
using Microsoft.EntityFrameworkCore;
using Course.Yaml;

namespace Course.Grading;

/// <summary>What an accepted hidden split holds, beside the public splits it must not repeat.</summary>
/// <param name="Labels">The hidden split's label distribution (classes, entity types, or answerable questions).</param>
/// <param name="PublicLabels">The same for each public split of the dataset, to compare.</param>
public sealed record HiddenSplitReport(string Assignment, int Rows, string Sha256, string StoredAt,
    IReadOnlyDictionary<string, int> Labels, IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> PublicLabels);

/// <summary>
/// An instructor's real hidden test split (<c>./course assignments hidden</c>, or the upload on the assignment page):
/// every row checked against the assignment's task and labels and against the public splits (a row that repeats a
/// public one, case and punctuation ignored, would be scored on data students trained on), each problem at its
/// line; nothing is stored unless every row passes. Then written atomically and owner-only where
/// <see cref="HiddenSplits"/> looks first, its SHA-256 in the audit trail, so the next grading run uses it.
/// </summary>
public sealed class HiddenSplitUpload(HiddenSplits splits, string datasetsFolder, IReadOnlyList<string> servedRoots,
    IDbContextFactory<CourseDbContext> databases, TimeProvider clock)
{
    /// <summary>The largest upload read: a test split of some ten thousand rows, with room to spare.</summary>
    public const long MaxBytes = 16 * 1024 * 1024;

    public async Task<(HiddenSplitReport? Report, IReadOnlyList<ContentError> Errors)> UploadAsync(Assignment assignment, string text, string fileName,
        string actorUserId, CancellationToken cancellationToken = default)
    {
        var (rows, publicSplits, errors) = Check(assignment, text, fileName);
        if (errors.Count > 0)
        {
            return (null, errors);
        }
        var target = splits.UploadedPath(assignment);
        if (servedRoots.FirstOrDefault(root => HiddenSplits.IsInside(target, root)) is { } served)
        {
            throw new InvalidOperationException($"Hidden splits would be stored in {served}, which students can reach; move Data:Path outside it.");
        }
        var folder = OwnerOnly.CreateFolder(Path.GetDirectoryName(target)!);
        // Written beside its final name, then renamed over it: a grading run reads the old file or the new one, never half of one.
        var temporary = Path.Combine(folder, $".test.jsonl.{Guid.NewGuid():N}.tmp");
        try
        {
            await OwnerOnly.WriteAllTextAsync(temporary, text, cancellationToken);
            File.Move(temporary, target, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
        await using (var db = await databases.CreateDbContextAsync(cancellationToken))
        {
            db.AuditEntries.Add(new AuditEntry
            {
                At = clock.GetUtcNow(), ActorUserId = actorUserId, Action = "assignment.hidden-split",
                Details = $"{assignment.Id}: hidden split from {Path.GetFileName(fileName)}, {rows!.Count} rows, sha256 {sha256}",
            });
            await db.SaveChangesAsync(cancellationToken);
        }
        return (new HiddenSplitReport(assignment.Id, rows!.Count, sha256, target, DatasetReport.Labels(rows),
            publicSplits!.ToDictionary(s => s.Key, s => DatasetReport.Labels(s.Value))), errors);
    }

    /// <summary>Every row's problems at its line (blank lines skipped), or the rows and the public splits.</summary>
    public (Dataset? Rows, IReadOnlyDictionary<string, Dataset>? PublicSplits, IReadOnlyList<ContentError> Errors) Check(Assignment assignment, string text, string fileName)
    {
        var folder = Path.Combine(datasetsFolder, assignment.Rules.Dataset!);
        var publicSplits = new[] { "train", "validation", "test" }.Where(s => File.Exists(Path.Combine(folder, $"{s}.jsonl")))
            .ToDictionary(s => s, s => Dataset.FromJsonLines(Path.Combine(folder, $"{s}.jsonl")));
        var task = assignment.Rules.Task!;
        var labels = FineTuning.LabelNames(new TrainingConfig { Task = task }, publicSplits["train"], publicSplits["validation"]);
        var known = new Dictionary<string, (string Split, int Row)>();
        foreach (var (split, data) in publicSplits)
        {
            for (var i = 0; i < data.Count; i++)
            {
                known.TryAdd(DatasetReport.DuplicateKey(data[i]), (split, i + 1));
            }
        }

        var errors = new List<ContentError>();
        var rows = new List<Row>();
        var lines = text.Replace("\r\n", "\n").Split('\n');
        for (var number = 1; number <= lines.Length; number++)
        {
            if (string.IsNullOrWhiteSpace(lines[number - 1]))
            {
                continue;
            }
            Row row;
            try
            {
                row = Dataset.ParseJsonLine(lines[number - 1]);
            }
            catch (InvalidDataException ex)
            {
                errors.Add(new ContentError(fileName, number, ex.Message));
                continue;
            }
            var problem = task switch
            {
                "text-classification" => ClassificationProblem(row, labels!),
                "token-classification" => TokenClassificationProblem(row, labels!),
                "question-answering" => QuestionAnsweringProblem(row),
                _ => $"hidden splits of {task} assignments cannot be checked",
            };
            if (problem is null && known.TryGetValue(DatasetReport.DuplicateKey(row), out var duplicate))
            {
                problem = $"repeats row {duplicate.Row} of the public {duplicate.Split} split (case and punctuation ignored): students train on it";
            }
            if (problem is not null)
            {
                errors.Add(new ContentError(fileName, number, problem));
            }
            rows.Add(row);
        }
        if (errors.Count == 0 && rows.Count == 0)
        {
            errors.Add(new ContentError(fileName, 1, "the file has no rows: one JSON object per line"));
        }
        return errors.Count > 0 ? (null, null, errors) : (new Dataset(rows), publicSplits, errors);
    }

    private static string? ClassificationProblem(Row row, IReadOnlyList<string> labels)
    {
        if (row.GetValueOrDefault("text") is not string { Length: > 0 } text || string.IsNullOrWhiteSpace(text))
        {
            return "\"text\" must be a non-empty string";
        }
        var label = row.GetValueOrDefault("label") is { } value ? Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) : null;
        return label is not null && labels.Contains(label) ? null
            : $"\"label\" must be one of the assignment's labels ({string.Join(", ", labels)}), not {(label is null ? "missing" : $"'{label}'")}";
    }

    /// <summary>Tokens with as many tags, each tag one the public splits use, in IOB2 (an I- tag continues its own type).</summary>
    private static string? TokenClassificationProblem(Row row, IReadOnlyList<string> tags)
    {
        if (row.GetValueOrDefault("tokens") is not string[] { Length: > 0 } tokens)
        {
            return "\"tokens\" must be a non-empty list of strings";
        }
        if (row.GetValueOrDefault("ner_tags") is not string[] nerTags || nerTags.Length != tokens.Length)
        {
            return $"\"ner_tags\" must be a list of strings, one per token ({tokens.Length})";
        }
        for (var i = 0; i < nerTags.Length; i++)
        {
            if (!tags.Contains(nerTags[i]))
            {
                return $"ner_tags[{i}] '{nerTags[i]}' is not one of the dataset's tags ({string.Join(", ", tags)})";
            }
            var previous = i == 0 ? "O" : nerTags[i - 1];
            if (nerTags[i].StartsWith("I-", StringComparison.Ordinal) && previous != "B-" + nerTags[i][2..] && previous != nerTags[i])
            {
                return $"ner_tags[{i}] '{nerTags[i]}' does not continue an entity: in IOB2 it follows B-{nerTags[i][2..]} or {nerTags[i]}";
            }
        }
        return null;
    }

    /// <summary>SQuAD form: id, question, context and answers whose texts sit at their answer_start.</summary>
    private static string? QuestionAnsweringProblem(Row row)
    {
        foreach (var field in new[] { "id", "question", "context" })
        {
            if (row.GetValueOrDefault(field) is not string { Length: > 0 })
            {
                return $"\"{field}\" must be a non-empty string";
            }
        }
        var context = (string)row["context"]!;
        if (row.GetValueOrDefault("answers") is not Dictionary<string, object?> answers
            || answers.GetValueOrDefault("text") is not string[] { Length: > 0 } texts || answers.GetValueOrDefault("answer_start") is not long[] starts
            || starts.Length != texts.Length)
        {
            return "\"answers\" must hold \"text\" (a list of answers) and \"answer_start\" (one position per answer)";
        }
        for (var i = 0; i < texts.Length; i++)
        {
            if (starts[i] < 0 || starts[i] + texts[i].Length > context.Length || string.CompareOrdinal(context, (int)starts[i], texts[i], 0, texts[i].Length) != 0)
            {
                return $"answer '{texts[i]}' is not at answer_start {starts[i]} of the context";
            }
        }
        return null;
    }
}
