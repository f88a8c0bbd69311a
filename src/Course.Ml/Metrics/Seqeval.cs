namespace Course.Ml.Metrics;

/// <summary>An entity span: type and inclusive token range in the flattened sequence.</summary>
public readonly record struct Entity(string Type, int Start, int End);

/// <summary>Entity-level scores of one type (HF evaluate's seqeval: precision, recall, f1, number).</summary>
public sealed record EntityTypeScores(string Type, double Precision, double Recall, double F1, int Number);

public sealed record SeqevalReport(double OverallPrecision, double OverallRecall, double OverallF1, double OverallAccuracy,
    IReadOnlyList<EntityTypeScores> PerType);

/// <summary>
/// Entity-level precision/recall/F1 identical to seqeval's default (conlleval-compatible) mode: entities are
/// read with seqeval's chunking rules (an I- without a B- starts an entity; a type change ends one), sentences
/// are joined with "O" between them, and an entity counts only when type, start and end all match.
/// </summary>
public static class Seqeval
{
    public static SeqevalReport Compute(IReadOnlyList<IReadOnlyList<string>> references, IReadOnlyList<IReadOnlyList<string>> predictions)
    {
        if (references.Count != predictions.Count)
        {
            throw new ArgumentException($"{references.Count} reference sentences but {predictions.Count} predicted.");
        }
        for (var s = 0; s < references.Count; s++)
        {
            if (references[s].Count != predictions[s].Count)
            {
                throw new ArgumentException($"sentence {s + 1}: {references[s].Count} reference tags but {predictions[s].Count} predicted.");
            }
        }

        var trueEntities = GetEntities(references).ToHashSet();
        var predEntities = GetEntities(predictions).ToHashSet();
        var types = trueEntities.Concat(predEntities).Select(e => e.Type).Distinct().Order(StringComparer.Ordinal);
        var perType = types.Select(type =>
        {
            var t = trueEntities.Where(e => e.Type == type).ToHashSet();
            var p = predEntities.Where(e => e.Type == type).ToHashSet();
            var (precision, recall, f1) = ClassificationMetrics.Prf(t.Intersect(p).Count(), p.Count, t.Count);
            return new EntityTypeScores(type, precision, recall, f1, t.Count);
        }).ToList();

        var (overallP, overallR, overallF) = ClassificationMetrics.Prf(trueEntities.Intersect(predEntities).Count(), predEntities.Count, trueEntities.Count);
        var tokens = references.Sum(r => r.Count);
        var correct = references.Zip(predictions).Sum(pair => pair.First.Zip(pair.Second).Count(t => t.First == t.Second));
        return new SeqevalReport(overallP, overallR, overallF, tokens == 0 ? 0 : (double)correct / tokens, perType);
    }

    /// <summary>seqeval's <c>get_entities</c> over sentences joined by "O".</summary>
    public static IReadOnlyList<Entity> GetEntities(IEnumerable<IReadOnlyList<string>> sentences)
    {
        var flat = new List<string>();
        foreach (var sentence in sentences)
        {
            flat.AddRange(sentence);
            flat.Add("O");
        }
        flat.Add("O");

        var entities = new List<Entity>();
        var (prevTag, prevType, begin) = ('O', "", 0);
        for (var i = 0; i < flat.Count; i++)
        {
            var chunk = flat[i];
            var tag = chunk.Length > 0 ? chunk[0] : 'O';
            var dash = chunk.IndexOf('-');
            var type = dash >= 0 ? chunk[(dash + 1)..] : chunk.Length > 1 ? chunk[1..] : "";
            type = type.Length == 0 ? "_" : type;
            if (EndOfChunk(prevTag, tag, prevType, type))
            {
                entities.Add(new Entity(prevType, begin, i - 1));
            }
            if (StartOfChunk(prevTag, tag, prevType, type))
            {
                begin = i;
            }
            (prevTag, prevType) = (tag, type);
        }
        return entities;
    }

    private static bool EndOfChunk(char prevTag, char tag, string prevType, string type) =>
        prevTag is 'E' or 'S'
        || (prevTag == 'B' && tag is 'B' or 'S' or 'O')
        || (prevTag == 'I' && tag is 'B' or 'S' or 'O')
        || (prevTag != 'O' && prevTag != '.' && prevType != type);

    private static bool StartOfChunk(char prevTag, char tag, string prevType, string type) =>
        tag is 'B' or 'S'
        || (prevTag is 'E' or 'S' or 'O' && tag is 'E' or 'I')
        || (tag != 'O' && tag != '.' && prevType != type);
}
