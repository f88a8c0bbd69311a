namespace Course.Core.Configuration;

/// <summary>The <c>Content</c> section: where the module's Markdown lives.</summary>
public sealed class ContentOptions
{
    public const string Section = "Content";

    /// <summary>Folder holding module.yaml and topics/; relative to the repository root (default <c>content/</c> in <c>Storage:SharedPath</c> when that is set).</summary>
    public string Path { get; set; } = "content";

    /// <summary>Reload content when its files change (hot reload), without restarting the site.</summary>
    public bool Watch { get; set; } = true;
}

/// <summary>The <c>Data</c> section: runtime state that is never committed.</summary>
public sealed class DataOptions
{
    public const string Section = "Data";

    /// <summary>Root of this node's runtime data (database, hub, checkpoints, logs, backups; the hub, checkpoints and uploaded hidden splits go to <c>Storage:SharedPath</c> when that is set).</summary>
    public string Path { get; set; } = "data";
}

public enum RegistrationMode
{
    /// <summary>Anyone can create a student account.</summary>
    Open,

    /// <summary>Only holders of an instructor-issued invitation link can register.</summary>
    InviteOnly,
}

/// <summary>The <c>Accounts</c> section: who may register and how sign-in failures are handled.</summary>
public sealed class AccountOptions
{
    public const string Section = "Accounts";

    public RegistrationMode Registration { get; set; } = RegistrationMode.Open;

    /// <summary>Failed sign-ins in a row before the account is locked.</summary>
    public int MaxFailedAccessAttempts { get; set; } = 5;

    public int LockoutMinutes { get; set; } = 15;

    /// <summary>E-mail of the instructor account created on first start (its password is generated).</summary>
    public string InitialInstructorEmail { get; set; } = "instructor@course.local";

    /// <summary>How long password-reset and invitation links stay valid; a day, so a leaked link is not good for long.</summary>
    public int LinkLifetimeHours { get; set; } = 24;
}
