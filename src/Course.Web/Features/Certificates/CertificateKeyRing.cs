using System.Security.Cryptography;
using Course.Core.Data;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;

namespace Course.Web.Features.Certificates;

/// <summary>
/// The keys that sign certificates: ECDSA P-256 (built into .NET, nothing to install), kept in the database so every
/// web node signs and verifies alike, each private key encrypted with the site's data-protection key ring. The newest
/// key neither retired nor revoked signs; the first is made when the first certificate is issued. Rotating retires
/// the signing key, which still verifies what it signed; revoking a key makes what it signed invalid.
/// </summary>
public sealed class CertificateKeyRing(IDbContextFactory<CourseDbContext> databases, IDataProtectionProvider protection, TimeProvider clock)
{
    private readonly IDataProtector protector = protection.CreateProtector("Course.Certificates.SigningKeys.v1");

    /// <summary>The key that signs now, made when there is none (two nodes making one at once make two valid keys; the newer signs).</summary>
    public async Task<CertificateSigningKey> ActiveAsync(CourseDbContext db, CancellationToken cancellationToken = default)
    {
        if (await Active(db).FirstOrDefaultAsync(cancellationToken) is { } active)
        {
            return active;
        }
        var key = Create(createdBy: null);
        db.CertificateSigningKeys.Add(key);
        await db.SaveChangesAsync(cancellationToken);
        return key;
    }

    /// <summary>Every key, newest first.</summary>
    public async Task<IReadOnlyList<CertificateSigningKey>> ListAsync()
    {
        await using var db = await databases.CreateDbContextAsync();
        return (await db.CertificateSigningKeys.AsNoTracking().ToListAsync()).OrderByDescending(k => k.CreatedAt).ToList();
    }

    /// <summary>How many certificates each key signed, by key id.</summary>
    public async Task<IReadOnlyDictionary<string, int>> SignedCountsAsync()
    {
        await using var db = await databases.CreateDbContextAsync();
        return await db.Certificates.GroupBy(c => c.KeyId).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count);
    }

    /// <summary>Retires the signing key(s) and makes a new one that signs from now on; written to the audit trail.</summary>
    public async Task<CertificateSigningKey> RotateAsync(string actorId)
    {
        await using var db = await databases.CreateDbContextAsync();
        var now = clock.GetUtcNow();
        var retired = await Active(db).ToListAsync();
        retired.ForEach(k => k.RetiredAt = now);
        var key = Create(actorId);
        db.CertificateSigningKeys.Add(key);
        db.AuditEntries.Add(new AuditEntry
        {
            At = now, ActorUserId = actorId, Action = "certificate.key-rotate",
            Details = $"{key.Id} signs certificates; retired (still verifying): {(retired.Count == 0 ? "none" : string.Join(", ", retired.Select(k => k.Id)))}",
        });
        await db.SaveChangesAsync();
        return key;
    }

    /// <summary>
    /// Revokes a key: the certificates it signed no longer verify, and a new key signs the next one; their students
    /// can have them signed again (<see cref="CertificateService.IssueAsync"/>).
    /// </summary>
    public async Task RevokeAsync(string actorId, string keyId)
    {
        await using var db = await databases.CreateDbContextAsync();
        var key = await db.CertificateSigningKeys.SingleOrDefaultAsync(k => k.Id == keyId)
            ?? throw new ArgumentException($"There is no signing key '{keyId}'.");
        if (key.RevokedAt is not null)
        {
            throw new ArgumentException($"{keyId} was revoked already.");
        }
        var now = clock.GetUtcNow();
        (key.RevokedAt, key.RetiredAt) = (now, key.RetiredAt ?? now);
        var signed = await db.Certificates.CountAsync(c => c.KeyId == keyId);
        db.AuditEntries.Add(new AuditEntry
        {
            At = now, ActorUserId = actorId, Action = "certificate.key-revoke",
            Details = $"{keyId}: {signed} certificate(s) no longer verify",
        });
        await db.SaveChangesAsync();
    }

    /// <summary>Signs <paramref name="data"/> with <paramref name="key"/>'s private key (IEEE P1363: r ‖ s, 64 bytes).</summary>
    public byte[] Sign(CertificateSigningKey key, byte[] data)
    {
        using var ecdsa = ECDsa.Create();
        ecdsa.ImportPkcs8PrivateKey(protector.Unprotect(key.ProtectedPrivateKey), out _);
        return ecdsa.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }

    /// <summary>Whether <paramref name="signature"/> is <paramref name="key"/>'s over <paramref name="data"/>; a revoked key verifies nothing.</summary>
    public static bool Verify(CertificateSigningKey key, byte[] data, byte[] signature) => key.RevokedAt is null && Matches(key, data, signature);

    /// <summary>Whether the signature is the key's over the data, revoked or not: a revoked key's certificate is re-signed only when it is unaltered.</summary>
    public static bool Matches(CertificateSigningKey key, byte[] data, byte[] signature)
    {
        using var ecdsa = ECDsa.Create();
        ecdsa.ImportSubjectPublicKeyInfo(key.PublicKey, out _);
        return ecdsa.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }

    private static IQueryable<CertificateSigningKey> Active(CourseDbContext db) =>
        db.CertificateSigningKeys.Where(k => k.RetiredAt == null && k.RevokedAt == null).OrderByDescending(k => k.CreatedAt);

    private CertificateSigningKey Create(string? createdBy)
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var publicKey = ecdsa.ExportSubjectPublicKeyInfo();
        return new CertificateSigningKey
        {
            Id = "p256-" + Convert.ToHexStringLower(SHA256.HashData(publicKey))[..16],
            PublicKey = publicKey,
            ProtectedPrivateKey = protector.Protect(ecdsa.ExportPkcs8PrivateKey()),
            CreatedAt = clock.GetUtcNow(),
            CreatedByUserId = createdBy,
        };
    }
}
