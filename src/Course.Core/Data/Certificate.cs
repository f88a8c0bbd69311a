namespace Course.Core.Data;

/// <summary>
/// A certificate issued to a student for a module (table <c>Certificates</c>): the row is the truth, one per student
/// and module, written once with what was signed (the achievements as JSON, the date, the key's id) and the signature.
/// The verification page recomputes the signed text from these columns, so an edited column no longer verifies.
/// </summary>
public sealed class Certificate
{
    /// <summary>128 random bits in hex: the certificate's public name in its verification URL, unguessable.</summary>
    public required string Id { get; set; }

    public required string UserId { get; set; }
    public required string ModuleId { get; set; }
    public required string ModuleTitle { get; set; }

    /// <summary>The name printed on the certificate (the student's display name, else their e-mail address) as it was at issue.</summary>
    public required string StudentName { get; set; }

    /// <summary>What the student achieved, as signed: a JSON list of requirement and result.</summary>
    public required string AchievementsJson { get; set; }

    /// <summary>When it was issued; the certificate shows and signs the UTC date.</summary>
    public DateTimeOffset IssuedAt { get; set; }

    /// <summary>The <see cref="CertificateSigningKey"/> that signed it.</summary>
    public required string KeyId { get; set; }

    /// <summary>The signature over the certificate's canonical text, base64url.</summary>
    public required string Signature { get; set; }

    public const int IdLength = 32;
    public const int ModuleIdMaxLength = 100;
    public const int KeyIdMaxLength = 40;
}

/// <summary>
/// A key that signs certificates (table <c>CertificateSigningKeys</c>): the newest key neither retired nor revoked
/// signs; instructors rotate (the old key is retired and still verifies what it signed) or revoke (what it signed no
/// longer verifies). The private key is encrypted with the site's data-protection key ring, itself in the database.
/// </summary>
public sealed class CertificateSigningKey
{
    /// <summary>The algorithm and the start of the public key's SHA-256, e.g. <c>p256-3f9a…</c>.</summary>
    public required string Id { get; set; }

    /// <summary>The public key as SubjectPublicKeyInfo (DER).</summary>
    public required byte[] PublicKey { get; set; }

    /// <summary>The PKCS#8 private key, protected by ASP.NET Core data protection.</summary>
    public required byte[] ProtectedPrivateKey { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>The instructor who rotated it in; null for the key made when the first certificate was issued.</summary>
    public string? CreatedByUserId { get; set; }

    /// <summary>Rotated out: signs nothing new, verifies what it signed.</summary>
    public DateTimeOffset? RetiredAt { get; set; }

    /// <summary>Revoked: what it signed no longer verifies.</summary>
    public DateTimeOffset? RevokedAt { get; set; }
}
