using Course.Core.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Course.Core.Content;

/// <summary>
/// The content students see. A file that stops validating never replaces the last good version of that
/// lesson: students keep reading the old one while instructors see the errors with file and line.
/// </summary>
public sealed class ContentRepository
{
    private readonly string _contentRoot;
    private readonly ILogger<ContentRepository> _logger;
    private readonly Lock _gate = new();
    private ContentSnapshot _current;

    private readonly ContentLoadOptions _loadOptions;

    /// <param name="loadOptions">The checks the host can make (quiz keys, widgets, hidden splits, starters); none when absent.</param>
    public ContentRepository(CourseEnvironment environment, IOptions<ContentOptions> options, ILogger<ContentRepository> logger,
        ContentLoadOptions? loadOptions = null)
    {
        _contentRoot = environment.Resolve(options.Value.Path);
        _logger = logger;
        _loadOptions = loadOptions ?? new ContentLoadOptions();
        _current = new ContentSnapshot(new CourseModule("module", "Course content unavailable", 0, "", []), [], []);
        Reload();
    }

    public string ContentRoot => _contentRoot;

    /// <summary>The checks this host makes when loading (quiz keys, widgets, hidden splits, starters).</summary>
    public ContentLoadOptions LoadOptions => _loadOptions;

    public ContentSnapshot Current => _current;

    /// <summary>Raised after <see cref="Reload"/> has published a new snapshot.</summary>
    public event Action? Changed;

    /// <summary>
    /// The module as it would load with <paramref name="edits"/> saved (content-relative path → text), with
    /// every check the live content gets; nothing is published.
    /// </summary>
    public ContentSnapshot LoadWith(IReadOnlyDictionary<string, string> edits) =>
        ContentLoader.Load(_contentRoot, _loadOptions with { Overrides = edits });

    public void Reload()
    {
        lock (_gate)
        {
            ContentSnapshot loaded;
            try
            {
                loaded = ContentLoader.Load(_contentRoot, _loadOptions);
            }
            catch (ContentException ex)
            {
                // module.yaml is unusable: keep everything students had, surface the errors.
                _logger.LogError("Content not reloaded: {Errors}", ex.Message);
                _current = _current with { ModuleErrors = ex.Errors, Version = _current.Version + 1 };
                Changed?.Invoke();
                return;
            }

            var previous = _current.Files.Where(f => f.Lesson is not null).ToDictionary(f => f.SourcePath);
            var merged = loaded.Files
                .Select(f => f.Lesson is null && previous.TryGetValue(f.SourcePath, out var good)
                    ? f with { Lesson = good.Lesson }
                    : f)
                .ToList();
            var previousQuizzes = _current.QuizFiles.Where(f => f.Quiz is not null).ToDictionary(f => f.SourcePath);
            var quizzes = loaded.QuizFiles
                .Select(f => f.Quiz is null && previousQuizzes.TryGetValue(f.SourcePath, out var good) ? f with { Quiz = good.Quiz } : f)
                .ToList();
            _current = new ContentSnapshot(loaded.Module, merged, loaded.ModuleErrors)
            {
                QuizFiles = quizzes, AssignmentFiles = loaded.AssignmentFiles, Version = _current.Version + 1,
            };
            foreach (var error in _current.Errors)
            {
                _logger.LogWarning("Content error {Error}", error.ToString());
            }
        }
        Changed?.Invoke();
    }
}
