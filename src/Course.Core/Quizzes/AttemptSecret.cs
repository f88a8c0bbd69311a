using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Course.Core.Quizzes;

/// <summary>
/// An attempt's random 256-bit key, from which its order and the option tokens the browser sees are derived (HMAC-SHA256).
/// The code is public, so anything derived from a small seed could be searched for from what the page shows and then
/// unshuffled back to file order, which is an ordering item's key; with a key this size only the server can map a token
/// back. Tokens are stable within the attempt (resuming shows the same ones) and unrelated across attempts.
/// </summary>
public sealed class AttemptSecret
{
    private readonly byte[] _key;

    public AttemptSecret(string hex)
    {
        _key = Convert.FromHexString(hex);
        if (_key.Length < 16)
        {
            throw new ArgumentException("an attempt secret has at least 128 bits", nameof(hex));
        }
    }

    /// <summary>A fresh key, as the hex text the attempt row stores.</summary>
    public static string Create() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    /// <summary>The token that stands for option <paramref name="optionId"/> of item <paramref name="itemNumber"/> in the browser.</summary>
    public string Token(int itemNumber, string optionId) => "o" + Convert.ToHexStringLower(Mac($"option/{itemNumber}/{optionId}"), 0, 8);

    /// <summary>The option id a token stands for, or null when it is none of the item's.</summary>
    public string? OptionId(QuizItem item, string token) => item.Options.FirstOrDefault(o => Token(item.Number, o.Id) == token)?.Id;

    /// <summary>A sort key for shuffling: random-looking, fixed for the attempt and <paramref name="name"/>.</summary>
    public ulong Rank(string name) => BinaryPrimitives.ReadUInt64BigEndian(Mac("rank/" + name));

    private byte[] Mac(string message) => HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(message));
}
