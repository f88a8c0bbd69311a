using Course.Core.Content;
using Course.Grading.Submissions;
using Course.Ml.Hub;
using Course.Ml.Pipelines;

namespace Course.Grading.Content;

/// <summary>
/// Every check content gets, in one place, so `./course content validate`, the site's loader and the authoring
/// editor judge a file alike: quiz keys recomputed by the tokenizers, widgets naming existing models and
/// tokenizers, hidden splits present and unreachable, and each starter passing its assignment's own rules.
/// </summary>
public static class ContentChecks
{
    /// <param name="servedRoots">Folders the site serves files from (the hidden split must lie outside them).</param>
    public static ContentLoadOptions Create(ModelHub hub, string hiddenDataPath, IReadOnlyList<string> servedRoots) =>
        new(new TokenizerQuizKeys(hub).Compute, hiddenDataPath, servedRoots)
        {
            CheckWidget = new WidgetReferences(hub).Check,
            CheckStarter = (assignment, text, source, contentRoot) =>
            [
                .. SubmissionRules.CheckAllowedKeys(assignment, File.ReadAllText(Path.Combine(contentRoot, assignment.SourcePath))),
                .. SubmissionRules.Check(assignment, text, source, Path.Combine(contentRoot, "datasets"), Path.GetDirectoryName(assignment.StarterPath)!).Errors,
            ],
        };
}
