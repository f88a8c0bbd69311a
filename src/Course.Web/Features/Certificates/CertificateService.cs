using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;
using Course.Core.Content;
using Course.Core.Data;
using Course.Grading.Queue;
using Microsoft.EntityFrameworkCore;

namespace Course.Web.Features.Certificates;

/// <summary>Why a certificate cannot be issued, in words the student's page shows.</summary>
public sealed class CertificateRefusedException(string message) : Exception(message);

/// <summary>Where a student stands: the policy's requirements with their results, and the certificate once issued.</summary>
public sealed record CertificateStanding(CertificatePolicy? Policy, IReadOnlyList<CertificateRequirement> Requirements, Certificate? Issued)
{
    /// <summary>The issued certificate's key was revoked: its link shows it as not valid until it is signed again.</summary>
    public bool KeyRevoked { get; init; }

    public bool Met => Policy is not null && Requirements.All(r => r.Met);
}

/// <summary>What the verification page found: the content when the signature holds, else why the certificate is not valid.</summary>
public sealed record CertificateVerification(CertificateContent? Content, string? Problem, CertificateSigningKey? Key)
{
    public bool Valid => Problem is null;
}

/// <summary>
/// Certificates of completion: the policy of module.yaml checked against a student's record, issuing (once per student
/// and module: the row is the truth and a second call returns it), the PDF, and verification, which recomputes the
/// signed text from the row and checks the signature the URL carries against the key the row names.
/// </summary>
public sealed class CertificateService(IDbContextFactory<CourseDbContext> databases, ContentRepository content, CertificateKeyRing keys, TimeProvider clock)
{
    public async Task<CertificateStanding> StandingAsync(string userId, CancellationToken cancellationToken = default)
    {
        var snapshot = content.Current;
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var issued = await IssuedAsync(db, userId, snapshot.Module.Id, cancellationToken);
        var standing = snapshot.Module.Certificate is { } policy
            ? new CertificateStanding(policy, CertificateRequirements.Of(policy, snapshot, await RecordAsync(db, userId, snapshot, cancellationToken), clock.GetUtcNow()), issued)
            : new CertificateStanding(null, [], issued);
        return standing with { KeyRevoked = issued is not null && await RevokedAsync(db, issued, cancellationToken) };
    }

    /// <summary>
    /// Issues the student's certificate when the policy is met, or returns the one issued before (signed again with the
    /// active key when its key was revoked); refuses with what is missing.
    /// </summary>
    public async Task<Certificate> IssueAsync(string userId, CancellationToken cancellationToken = default)
    {
        var snapshot = content.Current;
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        if (await IssuedAsync(db, userId, snapshot.Module.Id, cancellationToken) is { } existing)
        {
            return await RevokedAsync(db, existing, cancellationToken) ? await SignAgainAsync(db, existing, cancellationToken) : existing;
        }
        if (snapshot.Module.Certificate is not { } policy)
        {
            throw new CertificateRefusedException($"{snapshot.Module.Title} issues no certificate.");
        }
        var now = clock.GetUtcNow();
        var requirements = CertificateRequirements.Of(policy, snapshot, await RecordAsync(db, userId, snapshot, cancellationToken), now);
        if (requirements.Where(r => !r.Met).ToList() is { Count: > 0 } missing)
        {
            throw new CertificateRefusedException("Not every requirement is met yet: " + string.Join("; ", missing.Select(r => $"{r.What}: {r.Result}")) + ".");
        }
        var user = await db.Users.AsNoTracking().SingleAsync(u => u.Id == userId, cancellationToken);
        var key = await keys.ActiveAsync(db, cancellationToken);
        var achievements = requirements.Select(r => new Achievement(r.What, r.Result)).ToList();
        // Whole seconds: what is stored reads back exactly on either database.
        var issuedAt = DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds());
        var certificate = new CertificateContent(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(Certificate.IdLength / 2)),
            string.IsNullOrWhiteSpace(user.DisplayName) ? user.Email ?? userId : user.DisplayName.Trim(),
            snapshot.Module.Id, snapshot.Module.Title, achievements, CertificateContent.IssuedOnOf(issuedAt), key.Id);
        var row = new Certificate
        {
            Id = certificate.Id, UserId = userId, ModuleId = certificate.ModuleId, ModuleTitle = certificate.ModuleTitle,
            StudentName = certificate.StudentName, AchievementsJson = CertificateContent.AchievementsJson(achievements), IssuedAt = issuedAt,
            KeyId = key.Id, Signature = Base64Url.EncodeToString(keys.Sign(key, certificate.Canonical())),
        };
        db.Certificates.Add(row);
        db.AuditEntries.Add(new AuditEntry { At = now, ActorUserId = userId, Action = "certificate.issue", SubjectUserId = userId, Details = $"{row.ModuleId}: {row.Id} ({row.KeyId})" });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return row;
        }
        catch (DbUpdateException)
        {
            // Another tab or node issued it first: the unique index kept that row, which is the certificate.
            await using var again = await databases.CreateDbContextAsync(cancellationToken);
            return await IssuedAsync(again, userId, snapshot.Module.Id, cancellationToken) ?? throw new InvalidOperationException("The certificate could not be stored.");
        }
    }

    /// <summary>Checks the certificate <paramref name="id"/> against the signature its URL carries (base64url).</summary>
    public async Task<CertificateVerification> VerifyAsync(string id, string? signature, CancellationToken cancellationToken = default)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        if (await db.Certificates.AsNoTracking().SingleOrDefaultAsync(c => c.Id == id, cancellationToken) is not { } row)
        {
            return new(null, "No certificate has this id.", null);
        }
        if (string.IsNullOrWhiteSpace(signature))
        {
            return new(null, "The link carries no signature: use the verification link printed on the certificate.", null);
        }
        byte[] signatureBytes;
        CertificateContent certificate;
        try
        {
            signatureBytes = Base64Url.DecodeFromChars(signature);
            certificate = CertificateContent.Of(row);
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            return new(null, "The signature does not match the certificate: it was altered.", null);
        }
        var key = await db.CertificateSigningKeys.AsNoTracking().SingleOrDefaultAsync(k => k.Id == row.KeyId, cancellationToken);
        return key switch
        {
            null => new(null, "It names a signing key the platform does not have.", null),
            { RevokedAt: { } revoked } => new(null, $"The key that signed it ({key.Id}) was revoked on {revoked.UtcDateTime:yyyy-MM-dd}.", key),
            _ when !CertificateKeyRing.Verify(key, certificate.Canonical(), signatureBytes) =>
                new(null, "The signature does not match the certificate: it was altered.", key),
            _ => new(certificate, null, key),
        };
    }

    /// <summary>The certificate <paramref name="id"/> as a PDF whose verification link starts at <paramref name="baseUri"/>; null for an unknown id.</summary>
    public async Task<byte[]?> PdfAsync(string id, string baseUri, CancellationToken cancellationToken = default)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        return await db.Certificates.AsNoTracking().SingleOrDefaultAsync(c => c.Id == id, cancellationToken) is { } row
            ? CertificatePdf.Write(CertificateContent.Of(row), CertificateUrls.Verification(baseUri, row.Id, row.Signature))
            : null;
    }

    /// <summary>
    /// The same certificate (id, content, date) under the active key, when the revoked key's signature still matches
    /// the row: a row altered since it was signed is not made valid by signing it again.
    /// </summary>
    private async Task<Certificate> SignAgainAsync(CourseDbContext db, Certificate existing, CancellationToken cancellationToken)
    {
        var revoked = await db.CertificateSigningKeys.AsNoTracking().SingleAsync(k => k.Id == existing.KeyId, cancellationToken);
        var signed = CertificateContent.Of(existing);
        if (!CertificateKeyRing.Matches(revoked, signed.Canonical(), Base64Url.DecodeFromChars(existing.Signature)))
        {
            throw new InvalidOperationException($"Certificate {existing.Id} no longer matches its signature; it is not signed again.");
        }
        var key = await keys.ActiveAsync(db, cancellationToken);
        var signature = Base64Url.EncodeToString(keys.Sign(key, (signed with { KeyId = key.Id }).Canonical()));
        // Conditional on the revoked key: two tabs signing again at once store one of the two signatures.
        await db.Certificates.Where(c => c.Id == existing.Id && c.KeyId == existing.KeyId)
            .ExecuteUpdateAsync(u => u.SetProperty(c => c.KeyId, key.Id).SetProperty(c => c.Signature, signature), cancellationToken);
        db.AuditEntries.Add(new AuditEntry
        {
            At = clock.GetUtcNow(), ActorUserId = existing.UserId, Action = "certificate.sign-again", SubjectUserId = existing.UserId,
            Details = $"{existing.ModuleId}: {existing.Id} ({existing.KeyId} revoked → {key.Id})",
        });
        await db.SaveChangesAsync(cancellationToken);
        return await db.Certificates.AsNoTracking().SingleAsync(c => c.Id == existing.Id, cancellationToken);
    }

    private static Task<bool> RevokedAsync(CourseDbContext db, Certificate certificate, CancellationToken cancellationToken) =>
        db.CertificateSigningKeys.AnyAsync(k => k.Id == certificate.KeyId && k.RevokedAt != null, cancellationToken);

    private static Task<Certificate?> IssuedAsync(CourseDbContext db, string userId, string moduleId, CancellationToken cancellationToken) =>
        db.Certificates.AsNoTracking().SingleOrDefaultAsync(c => c.UserId == userId && c.ModuleId == moduleId, cancellationToken);

    private static async Task<StudentRecord> RecordAsync(CourseDbContext db, string userId, ContentSnapshot snapshot, CancellationToken cancellationToken)
    {
        var completed = await db.LessonCompletions.Where(c => c.UserId == userId).Select(c => c.LessonId).ToListAsync(cancellationToken);
        var attempts = await db.QuizAttempts.AsNoTracking().Where(a => a.UserId == userId).ToListAsync(cancellationToken);
        var submissions = await db.Submissions.AsNoTracking().Where(s => s.UserId == userId).ToListAsync(cancellationToken);
        var due = new Dictionary<string, DateTimeOffset>();
        foreach (var assignment in snapshot.Assignments)
        {
            due[assignment.Id] = await SubmissionQueue.DueForAsync(db, userId, assignment, cancellationToken);
        }
        return new StudentRecord(completed.ToHashSet(StringComparer.Ordinal), attempts, submissions, due);
    }
}
