namespace Course.Core.Quizzes.Gift;

/// <summary>A quiz as GIFT text, with one line per thing Moodle will not get exactly as the course has it.</summary>
/// <param name="Exported">Questions written (items, not counting the introduction's description).</param>
/// <param name="Skipped">Numbers of the items left out; <paramref name="Report"/> says why.</param>
public sealed record GiftExport(string QuizId, string Text, IReadOnlyList<string> Report, int Exported, IReadOnlyList<int> Skipped);
