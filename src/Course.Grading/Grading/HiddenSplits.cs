using Course.Core.Assignments;
using Course.Core.Configuration;

namespace Course.Grading;

/// <summary>The hidden test split a grading run uses: the file, whether an instructor uploaded it, and whether it is only the practice sample.</summary>
public sealed record HiddenSplit(string Path, bool Uploaded, bool Practice);

/// <summary>
/// Where hidden test splits come from: an instructor's upload (<c>hidden/&lt;assignment&gt;/test.jsonl</c> in the
/// <c>Data:Path</c> folder) first, else the assignment's <c>hidden_split</c> under <c>Grading:HiddenDataPath</c>.
/// When that file lies inside the repository it is the sample shipped with the code, so the grading is practice:
/// a fresh clone grades end to end, and instructors are told their students' private scores mean nothing yet.
/// </summary>
/// <param name="uploadRoot">The folder uploads go to (never served, owner-only).</param>
/// <param name="sampleRoot">Grading:HiddenDataPath, resolved.</param>
/// <param name="repositoryRoot">The repository (or COURSE_ROOT) a sample ships in.</param>
/// <param name="uploads">False to read the samples only, whatever was uploaded (calibrating a rubric against the starter).</param>
public sealed class HiddenSplits(string uploadRoot, string sampleRoot, string repositoryRoot, bool uploads = true)
{
    public const string PracticeNotice = "practice grading: the hidden split is the public sample shipped with the code";

    /// <summary>Under <c>Data:Path</c>: runtime data, never committed and never served.</summary>
    public const string UploadFolder = "hidden";

    public string UploadRoot { get; } = Path.GetFullPath(uploadRoot);

    /// <summary>Uploads in <c>hidden/</c> of <c>Storage:SharedPath</c> when that is set (every node's workers grade against them), else of <c>Data:Path</c>.</summary>
    public static HiddenSplits Create(CourseEnvironment environment, StorageOptions storage, string dataPath, string hiddenDataPath) =>
        new(environment.Resolve(storage.SharedFolder(StorageOptions.HiddenFolder) ?? Path.Combine(dataPath, UploadFolder)), environment.Resolve(hiddenDataPath), environment.Root);

    public string UploadedPath(Assignment assignment) => Path.Combine(UploadRoot, assignment.Id, "test.jsonl");

    public HiddenSplits SampleOnly() => new(UploadRoot, sampleRoot, repositoryRoot, uploads: false);

    public HiddenSplit Resolve(Assignment assignment)
    {
        var uploaded = UploadedPath(assignment);
        if (uploads && File.Exists(uploaded))
        {
            return new HiddenSplit(uploaded, Uploaded: true, Practice: false);
        }
        var sample = Path.GetFullPath(Path.Combine(sampleRoot, assignment.Rules.HiddenSplit!));
        return new HiddenSplit(sample, Uploaded: false, Practice: IsInside(sample, repositoryRoot));
    }

    public static bool IsInside(string path, string folder) =>
        Path.GetFullPath(path).StartsWith(Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal);
}
