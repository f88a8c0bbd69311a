using System.Globalization;
using Course.Yaml;

namespace Course.Core.Content;

/// <summary>
/// What a student must achieve for the module's certificate (module.yaml's <c>certificate:</c> block): a share of
/// the lessons completed, a lowest grade on every graded quiz, and the assignments to pass (each by its own
/// <c>pass_points</c>). A module without the block issues no certificates.
/// </summary>
/// <param name="LessonsPercent">Percent of the module's lessons completed, 0–100 (100: every lesson).</param>
/// <param name="QuizGrade">Lowest grade, in percent, on every graded (non-practice) quiz, 0–100; 0 asks for no quiz.</param>
/// <param name="Assignments">The ids of the assignments to pass; null for every published assignment.</param>
public sealed record CertificatePolicy(int LessonsPercent, double QuizGrade, IReadOnlyList<string>? Assignments)
{
    public const string Key = "certificate";

    /// <summary>
    /// The policy of module.yaml's block, or null without one; a value out of range, or <c>assignments</c> that is
    /// neither <c>all</c> nor a list of ids, is an error at its line.
    /// </summary>
    public static CertificatePolicy? From(ModuleFile.CertificateFile? file, YamlText yaml, List<ContentError> errors)
    {
        if (file is null)
        {
            return null;
        }
        int LineOf(string key) => yaml.Entry(Key, key) is { } entry ? yaml.LineOf(entry.Key) : yaml.Entry(Key) is { } block ? yaml.LineOf(block.Key) : 1;
        var before = errors.Count;
        if (file.Lessons is not (>= 0 and <= 100))
        {
            errors.Add(new(yaml.File, LineOf("lessons"), $"certificate: 'lessons' is the percent of the module's lessons a student completes, a whole number 0–100 (100: every lesson), not {Written(file.Lessons)}"));
        }
        if (file.QuizGrade is not (>= 0 and <= 100))
        {
            errors.Add(new(yaml.File, LineOf("quiz_grade"), $"certificate: 'quiz_grade' is the lowest grade in percent on every graded quiz, 0–100 (0: no quiz required), not {Written(file.QuizGrade)}"));
        }
        IReadOnlyList<string>? assignments = file.Assignments switch
        {
            "all" => null,
            List<object> ids when ids.All(id => id is string s && !string.IsNullOrWhiteSpace(s)) => ids.Cast<string>().Select(s => s.Trim()).ToList(),
            _ => Refuse(),
        };
        IReadOnlyList<string>? Refuse()
        {
            errors.Add(new(yaml.File, LineOf("assignments"), "certificate: 'assignments' is 'all' (every published assignment) or a list of assignment ids, e.g. [sentiment, ner]; write [] for none"));
            return [];
        }
        foreach (var duplicate in (assignments ?? []).GroupBy(id => id).Where(g => g.Count() > 1))
        {
            errors.Add(new(yaml.File, LineOf("assignments"), $"certificate: assignment '{duplicate.Key}' is listed twice"));
        }
        return errors.Count == before ? new CertificatePolicy(file.Lessons!.Value, file.QuizGrade!.Value, assignments) : null;
    }

    /// <summary>Listed assignments that are not published (a typo, or a brief that does not validate), at the <c>assignments:</c> line.</summary>
    public IEnumerable<ContentError> CheckAssignments(IReadOnlyCollection<string> published, string moduleYaml, string moduleFile)
    {
        var missing = (Assignments ?? []).Where(id => !published.Contains(id)).ToList();
        if (missing.Count == 0)
        {
            yield break;
        }
        var yaml = YamlText.Parse(moduleYaml, moduleFile);
        var line = yaml.Entry(Key, "assignments") is { } entry ? yaml.LineOf(entry.Key) : 1;
        foreach (var id in missing)
        {
            yield return new ContentError(moduleFile, line,
                $"certificate: assignment '{id}' is not a published assignment (published: {(published.Count == 0 ? "none" : string.Join(", ", published.Order()))}); no one could earn the certificate");
        }
    }

    private static string Written(object? value) => value switch
    {
        null => "missing",
        IFormattable number => number.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString()!,
    };
}
