namespace Course.Core.Search;

public enum SearchKind { Lesson, Quiz, Dataset }

/// <summary>
/// Something the site's search finds: a lesson, a quiz question or a dataset card. <see cref="Text"/> is what keywords
/// match; <see cref="Passages"/> are the pieces embedded for meaning-based search (a lesson's paragraphs, grouped),
/// each short enough for the model's 256-token window. <see cref="Preview"/>, when set, is shown instead of a snippet
/// of the text: a quiz question's explanation is searched but never shown before an attempt.
/// </summary>
public sealed record SearchDocument(string Id, SearchKind Kind, string Title, string Url, string Text, IReadOnlyList<string> Passages, string? Preview = null);
