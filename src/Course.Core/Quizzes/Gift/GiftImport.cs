namespace Course.Core.Quizzes.Gift;

/// <summary>
/// GIFT turned into quiz Markdown (not yet validated: run it through <see cref="QuizParser.Parse"/>), with one report
/// line per question skipped or changed on the way.
/// </summary>
public sealed record GiftImport(string Markdown, IReadOnlyList<string> Report, int Imported, int Skipped);
