using System.Text;
using System.Text.Json;
using Course.Core.Data;

namespace Course.Web.Features.Certificates;

/// <summary>One requirement of the module's certificate policy and what the student achieved in it.</summary>
public sealed record Achievement(string Requirement, string Result);

/// <summary>
/// What a certificate states and the platform signs. <see cref="Canonical"/> is the one text the signature covers:
/// a fixed prefix naming the format, then these fields as compact UTF-8 JSON in this order, so signing at issue and
/// checking on the verification page compute the same bytes from the row's columns.
/// </summary>
public sealed record CertificateContent(
    string Id,
    string StudentName,
    string ModuleId,
    string ModuleTitle,
    IReadOnlyList<Achievement> Achievements,
    DateOnly IssuedOn,
    string KeyId)
{
    /// <summary>Keeps a signature over a certificate from standing for any other text the platform might ever sign.</summary>
    private static readonly byte[] Format = Encoding.UTF8.GetBytes("course-platform certificate v1\n");

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public byte[] Canonical() => [.. Format, .. JsonSerializer.SerializeToUtf8Bytes(this, Json)];

    /// <summary>The achievements as the row stores them.</summary>
    public static string AchievementsJson(IEnumerable<Achievement> achievements) => JsonSerializer.Serialize(achievements, Json);

    /// <summary>The content a row states; a row whose achievements are not the stored JSON (edited by hand) throws <see cref="JsonException"/>.</summary>
    public static CertificateContent Of(Certificate row) => new(row.Id, row.StudentName, row.ModuleId, row.ModuleTitle,
        JsonSerializer.Deserialize<List<Achievement>>(row.AchievementsJson, Json) ?? throw new JsonException("achievements are null"),
        IssuedOnOf(row.IssuedAt), row.KeyId);

    /// <summary>The date a certificate shows and signs: the UTC day it was issued.</summary>
    public static DateOnly IssuedOnOf(DateTimeOffset issuedAt) => DateOnly.FromDateTime(issuedAt.UtcDateTime);
}

public static class CertificateUrls
{
    /// <summary>The public page that checks a certificate: its id, and its signature, which the page verifies.</summary>
    public static string Verification(string baseUri, string id, string signature) => $"{baseUri.TrimEnd('/')}/certificates/{id}?sig={signature}";

    public static string Pdf(string id) => $"/certificates/{id}/certificate.pdf";
}
