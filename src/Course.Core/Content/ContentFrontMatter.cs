namespace Course.Core.Content;

/// <summary>Front matter of a lesson file.</summary>
public sealed class LessonFrontMatter
{
    public string? Title { get; set; }
    public string? Topic { get; set; }
    public int? Order { get; set; }

    /// <summary>Minutes.</summary>
    public int? Duration { get; set; }

    public List<string>? Objectives { get; set; }
}

/// <summary>Shape of content/module.yaml.</summary>
public sealed class ModuleFile
{
    public string? Id { get; set; }
    public string? Title { get; set; }
    public int Week { get; set; }
    public string? Goal { get; set; }
    public List<TopicFile>? Topics { get; set; }
    public CertificateFile? Certificate { get; set; }

    public sealed class TopicFile
    {
        public string? Id { get; set; }
        public string? Title { get; set; }
        public string? Folder { get; set; }
        public string? Duration { get; set; }
        public List<string>? Objectives { get; set; }
    }

    /// <summary>The <c>certificate:</c> block (<see cref="CertificatePolicy"/>); <see cref="Assignments"/> is <c>all</c> or a list of ids.</summary>
    public sealed class CertificateFile
    {
        public int? Lessons { get; set; }
        public double? QuizGrade { get; set; }
        public object? Assignments { get; set; }
    }
}
