using System.Collections.Concurrent;
using Course.Core.Assignments;
using Course.Core.Quizzes;
using Course.Yaml;

namespace Course.Core.Content;

/// <summary>One lesson file's outcome: the lesson when it is valid, and its errors.</summary>
public sealed record LessonFile(string SourcePath, Lesson? Lesson, IReadOnlyList<ContentError> Errors);

/// <summary>Everything read from content/ at one moment.</summary>
public sealed record ContentSnapshot(CourseModule Module, IReadOnlyList<LessonFile> Files, IReadOnlyList<ContentError> ModuleErrors)
{
    /// <summary>Which publication of the content this is: <see cref="ContentRepository"/> numbers each reload 1, 2, …; 0 for a snapshot it did not publish.</summary>
    public long Version { get; init; }

    // Keyed by the lesson object, not its id: a lesson is only ever split from the HTML this snapshot holds for it.
    private readonly ConcurrentDictionary<Lesson, IReadOnlyList<LessonSegment>> _segments = new(ReferenceEqualityComparer.Instance);

    /// <summary>
    /// The lesson's HTML split into markup and widgets once per content version, so every circuit showing the lesson
    /// renders the same strings instead of holding its own copies. The cache goes with the snapshot: a reload publishes
    /// a new one with new lesson objects, split afresh.
    /// </summary>
    public IReadOnlyList<LessonSegment> SegmentsOf(Lesson lesson) => _segments.GetOrAdd(lesson, l => LessonSegments.Split(l.Html));

    /// <summary>Valid lessons, topic by topic in module order, then by their <c>order</c>.</summary>
    public IReadOnlyList<Lesson> Lessons { get; } = Files
        .Where(f => f.Lesson is not null)
        .Select(f => f.Lesson!)
        .OrderBy(l => Module.Topics.ToList().FindIndex(t => t.Id == l.TopicId))
        .ThenBy(l => l.Order)
        .ToList();

    /// <summary>Every file under quizzes/, valid or not.</summary>
    public IReadOnlyList<QuizFile> QuizFiles { get; init; } = [];

    /// <summary>Valid quizzes: topic quizzes in module order, then the module quiz.</summary>
    public IReadOnlyList<Quiz> Quizzes => QuizFiles.Where(f => f.Quiz is not null).Select(f => f.Quiz!)
        .OrderBy(q => Module.Topics.ToList().FindIndex(t => t.Id == q.Topic) is var i and >= 0 ? i : int.MaxValue).ToList();

    public Quiz? FindQuiz(string id) => Quizzes.FirstOrDefault(q => q.Id == id);

    /// <summary>The quizzes the gradebook counts: all but practice quizzes.</summary>
    public IReadOnlyList<Quiz> GradedQuizzes => Quizzes.Where(q => !q.Practice).ToList();

    /// <summary>Every folder under assignments/, valid or not.</summary>
    public IReadOnlyList<AssignmentFile> AssignmentFiles { get; init; } = [];

    public IReadOnlyList<Assignment> Assignments => AssignmentFiles.Where(f => f.Assignment is not null).Select(f => f.Assignment!).ToList();

    public Assignment? FindAssignment(string id) => Assignments.FirstOrDefault(a => a.Id == id);

    public IEnumerable<ContentError> Errors => ModuleErrors.Concat(Files.SelectMany(f => f.Errors))
        .Concat(QuizFiles.SelectMany(f => f.Errors)).Concat(AssignmentFiles.SelectMany(f => f.Errors));

    public IEnumerable<Lesson> LessonsOf(string topicId) => Lessons.Where(l => l.TopicId == topicId);

    public Lesson? FindLesson(string topicId, string slug) =>
        Lessons.FirstOrDefault(l => l.TopicId == topicId && l.Slug == slug);

    /// <summary>The file behind a lesson URL, valid or not (instructors see its errors).</summary>
    public LessonFile? FindFile(string topicId, string slug) =>
        Module.FindTopic(topicId) is { } topic
            ? Files.FirstOrDefault(f => f.SourcePath.StartsWith($"topics/{topic.Folder}/", StringComparison.Ordinal)
                                        && LessonUrls.SlugFromFileName(f.SourcePath) == slug)
            : null;

    public (Lesson? Previous, Lesson? Next) Neighbours(Lesson lesson)
    {
        var index = Lessons.ToList().FindIndex(l => l.Id == lesson.Id);
        return (index > 0 ? Lessons[index - 1] : null, index >= 0 && index < Lessons.Count - 1 ? Lessons[index + 1] : null);
    }
}

/// <summary>
/// What loading needs from the host: quiz keys computed by tokenizers, and where hidden test splits live
/// (checked to exist and to lie outside every served folder). Without them those checks are skipped.
/// </summary>
public sealed record ContentLoadOptions(Func<ComputeSpec, double>? ComputeKey = null, string? HiddenDataPath = null, IReadOnlyList<string>? ServedRoots = null)
{
    /// <summary>
    /// Whether a recorded starter calibration must lie below the pass mark; off only for re-measuring it
    /// (<c>./course assignments calibrate</c> on an assignment whose rubric the starter passes).
    /// </summary>
    public bool CheckCalibration { get; init; } = true;

    /// <summary>Checks what a live widget names (models, tokenizers) exists; returns an error message or null.</summary>
    public Func<Directive, string?>? CheckWidget { get; init; }

    /// <summary>Checks an assignment's starter configuration against the training schema the grader narrows for it.</summary>
    public StarterCheck? CheckStarter { get; init; }

    /// <summary>Unsaved edits to judge as if they were on disk (content-relative path → text).</summary>
    public IReadOnlyDictionary<string, string>? Overrides { get; init; }
}

/// <summary>Errors of a starter configuration (<paramref name="source"/> is its content-relative path).</summary>
public delegate IReadOnlyList<ContentError> StarterCheck(Assignment assignment, string text, string source, string contentRoot);

/// <summary>One quiz file's outcome: the quiz when it is valid, and its errors.</summary>
public sealed record QuizFile(string SourcePath, Quiz? Quiz, IReadOnlyList<ContentError> Errors);

/// <summary>Reads module.yaml, every lesson under content/topics/ and every quiz under content/quizzes/.</summary>
public static class ContentLoader
{
    public const string ModuleFileName = "module.yaml";

    /// <summary>Loads the content folder; throws <see cref="ContentException"/> only when module.yaml itself is unusable.</summary>
    public static ContentSnapshot Load(string contentRoot, ContentLoadOptions? options = null)
    {
        options ??= new ContentLoadOptions();
        var content = new ContentFiles(contentRoot, options.Overrides);
        var module = LoadModule(content);
        var moduleErrors = new List<ContentError>();
        var sources = new List<(Topic Topic, string Path, string Slug)>();
        foreach (var topic in module.Topics)
        {
            var folder = Path.Combine(contentRoot, "topics", topic.Folder);
            if (!Directory.Exists(folder))
            {
                moduleErrors.Add(new ContentError(ModuleFileName, 1, $"topic {topic.Id}: folder topics/{topic.Folder} does not exist"));
                continue;
            }
            sources.AddRange(content.List($"topics/{topic.Folder}", ".md").Select(f => (topic, f, LessonUrls.SlugFromFileName(f))));
        }

        var urls = sources.ToDictionary(s => s.Path, s => LessonUrls.For(s.Topic.Id, s.Slug), StringComparer.Ordinal);
        var files = sources
            .Select(s => ReadLesson(content, s.Path, s.Topic, s.Slug, path => urls.GetValueOrDefault(path), options.CheckWidget))
            .ToList();
        CheckUniqueOrder(files, moduleErrors);
        moduleErrors.AddRange(TopicDurations.Check(module, files.Select(f => f.Lesson).OfType<Lesson>(), content.ReadAllText(ModuleFileName), ModuleFileName));
        string? Resolve(string path) => urls.GetValueOrDefault(path);
        var assignmentFiles = AssignmentLoader.LoadAll(content, options.HiddenDataPath, options.ServedRoots ?? [], Resolve, options.CheckWidget, options.CheckCalibration)
            .Select(f => WithStarterErrors(f, content, options.CheckStarter)).ToList();
        if (module.Certificate is { } certificate)
        {
            var published = assignmentFiles.Select(f => f.Assignment?.Id).OfType<string>().ToList();
            moduleErrors.AddRange(certificate.CheckAssignments(published, content.ReadAllText(ModuleFileName), ModuleFileName));
        }
        return new ContentSnapshot(module, files, moduleErrors)
        {
            QuizFiles = LoadQuizzes(content, module, options.ComputeKey, Resolve),
            AssignmentFiles = assignmentFiles,
        };
    }

    /// <summary>A starter that fails its assignment's rules is reported at its own lines; the assignment stays published.</summary>
    private static AssignmentFile WithStarterErrors(AssignmentFile file, ContentFiles content, StarterCheck? check)
    {
        if (check is null || file.Assignment is not { } assignment)
        {
            return file;
        }
        var source = Path.GetRelativePath(content.Root, assignment.StarterPath).Replace('\\', '/');
        var errors = check(assignment, content.ReadAllText(source), source, content.Root);
        return errors.Count == 0 ? file : file with { Errors = [.. file.Errors, .. errors] };
    }

    private static List<QuizFile> LoadQuizzes(ContentFiles content, CourseModule module, Func<ComputeSpec, double>? computeKey, Func<string, string?> resolveLesson)
    {
        var files = content.List("quizzes", ".md").Select(source =>
        {
            var (quiz, errors) = QuizParser.Parse(content.ReadAllText(source), source, computeKey, resolveLesson);
            if (quiz is not null && quiz.Topic != "module" && module.FindTopic(quiz.Topic) is null)
            {
                return new QuizFile(source, null, [new ContentError(source, 2, $"topic '{quiz.Topic}' is not in module.yaml (topics: {string.Join(", ", module.Topics.Select(t => t.Id))}, or \"module\")")]);
            }
            return new QuizFile(source, quiz, errors);
        }).ToList();
        // A duplicated id would mix two quizzes' attempts: the later file is refused.
        var seen = new HashSet<string>();
        return files.Select(f => f.Quiz is { } quiz && !seen.Add(quiz.Id)
            ? new QuizFile(f.SourcePath, null, [new ContentError(f.SourcePath, 2, $"quiz id '{quiz.Id}' is already used by another quiz")])
            : f).ToList();
    }

    /// <summary>Parses and validates one lesson file.</summary>
    private static LessonFile ReadLesson(ContentFiles content, string sourcePath, Topic topic, string slug, Func<string, string?> resolveLesson,
        Func<Directive, string?>? checkWidget)
    {
        string markdown;
        try
        {
            markdown = content.ReadAllText(sourcePath);
        }
        catch (IOException ex)
        {
            return new LessonFile(sourcePath, null, [new ContentError(sourcePath, 1, $"cannot read: {ex.Message}")]);
        }

        var rendered = LessonMarkdown.Render(markdown, sourcePath, resolveLesson, checkWidget);
        var errors = new List<ContentError>(rendered.Errors);
        if (rendered.FrontMatter is null)
        {
            errors.Insert(0, new ContentError(sourcePath, 1, "missing front matter: start the file with '---', title, topic, order, duration, objectives, '---'"));
            return new LessonFile(sourcePath, null, errors);
        }

        var front = YamlReader.Read<LessonFrontMatter>(rendered.FrontMatter, sourcePath, rendered.FrontMatterLine, errors);
        if (front is null)
        {
            return new LessonFile(sourcePath, null, errors);
        }

        var line = rendered.FrontMatterLine;
        if (string.IsNullOrWhiteSpace(front.Title)) errors.Add(new(sourcePath, line, "front matter needs 'title'"));
        if (front.Topic != topic.Id) errors.Add(new(sourcePath, line, $"'topic' is '{front.Topic}' but the file is in topic {topic.Id}'s folder"));
        if (front.Order is not > 0) errors.Add(new(sourcePath, line, "front matter needs 'order', a whole number ≥ 1"));
        if (front.Duration is not (> 0 and <= 600)) errors.Add(new(sourcePath, line, "front matter needs 'duration' in minutes, 1–600"));
        if (front.Objectives is not { Count: > 0 } || front.Objectives.Any(string.IsNullOrWhiteSpace))
        {
            errors.Add(new(sourcePath, line, "front matter needs 'objectives', a list of one or more sentences"));
        }
        if (errors.Count > 0)
        {
            return new LessonFile(sourcePath, null, errors);
        }

        var lesson = new Lesson(topic.Id, slug, front.Title!.Trim(), front.Order!.Value, front.Duration!.Value,
            front.Objectives!, rendered.Html, rendered.Toc, rendered.PlainText, sourcePath);
        return new LessonFile(sourcePath, lesson, []);
    }

    private static CourseModule LoadModule(ContentFiles content)
    {
        if (!content.Exists(ModuleFileName))
        {
            throw new ContentException([new ContentError(ModuleFileName, 1, $"not found in {content.Root}")]);
        }
        var errors = new List<ContentError>();
        var text = content.ReadAllText(ModuleFileName);
        var file = YamlReader.Read<ModuleFile>(text, ModuleFileName, 1, errors);
        CertificatePolicy? certificate = null;
        if (file is not null)
        {
            certificate = CertificatePolicy.From(file.Certificate, YamlText.Parse(text, ModuleFileName), errors);
            if (string.IsNullOrWhiteSpace(file.Title)) errors.Add(new(ModuleFileName, 1, "needs 'title'"));
            if (file.Topics is not { Count: > 0 }) errors.Add(new(ModuleFileName, 1, "needs 'topics', a list"));
            foreach (var t in file.Topics ?? [])
            {
                if (string.IsNullOrWhiteSpace(t.Id) || string.IsNullOrWhiteSpace(t.Title) || string.IsNullOrWhiteSpace(t.Folder))
                {
                    errors.Add(new(ModuleFileName, 1, $"topic '{t.Id}': needs 'id', 'title' and 'folder'"));
                }
            }
            foreach (var duplicate in (file.Topics ?? []).GroupBy(t => t.Id).Where(g => g.Count() > 1))
            {
                errors.Add(new(ModuleFileName, 1, $"topic id '{duplicate.Key}' is used twice"));
            }
        }
        if (errors.Count > 0)
        {
            throw new ContentException(errors);
        }
        return new CourseModule(file!.Id ?? "module", file.Title!, file.Week, file.Goal ?? "",
            file.Topics!.Select(t => new Topic(t.Id!, t.Title!, t.Folder!, t.Duration ?? "", t.Objectives ?? [])).ToList())
        {
            Certificate = certificate,
        };
    }

    private static void CheckUniqueOrder(List<LessonFile> files, List<ContentError> errors)
    {
        var clashes = files.Where(f => f.Lesson is not null)
            .GroupBy(f => (f.Lesson!.TopicId, f.Lesson.Order))
            .Where(g => g.Count() > 1);
        foreach (var clash in clashes)
        {
            errors.Add(new ContentError(clash.Last().SourcePath, 1,
                $"order {clash.Key.Order} is also used by {string.Join(", ", clash.SkipLast(1).Select(f => f.SourcePath))}"));
        }
    }
}
