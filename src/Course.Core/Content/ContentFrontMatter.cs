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

    public sealed class TopicFile
    {
        public string? Id { get; set; }
        public string? Title { get; set; }
        public string? Folder { get; set; }
        public string? Duration { get; set; }
        public List<string>? Objectives { get; set; }
    }
}
