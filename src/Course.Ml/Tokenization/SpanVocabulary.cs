using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Course.Ml.Tokenization;

/// <summary>
/// A read-only token → id table probed with spans. WordPiece probes it several times per word, so it
/// uses a cheap non-randomised hash (see <see cref="Hash"/>; the keys are a fixed vocabulary, not
/// attacker-chosen) and open chaining in flat arrays, faster than a Dictionary's alternate lookup.
/// </summary>
internal sealed class SpanVocabulary
{
    private readonly int[] _buckets;
    private readonly int[] _next;
    private readonly string[] _keys;
    private readonly int[] _values;
    private readonly int _mask;

    public SpanVocabulary(IEnumerable<KeyValuePair<string, int>> entries)
    {
        var list = entries.ToList();
        var size = 1;
        while (size < list.Count * 2)
        {
            size <<= 1;
        }
        _mask = size - 1;
        _buckets = new int[size];
        Array.Fill(_buckets, -1);
        _next = new int[list.Count];
        _keys = new string[list.Count];
        _values = new int[list.Count];
        for (var i = 0; i < list.Count; i++)
        {
            _keys[i] = list[i].Key;
            _values[i] = list[i].Value;
            var bucket = (int)(Hash(list[i].Key) & (uint)_mask);
            _next[i] = _buckets[bucket];
            _buckets[bucket] = i;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGetValue(ReadOnlySpan<char> key, out int value)
    {
        for (var i = _buckets[Hash(key) & (uint)_mask]; i >= 0; i = _next[i])
        {
            if (key.SequenceEqual(_keys[i]))
            {
                value = _values[i];
                return true;
            }
        }
        value = -1;
        return false;
    }

    /// <summary>
    /// Length, first four and last four characters, read eight bytes at a time: every character of a key
    /// up to eight long, which is most WordPiece probes. Longer keys that agree on both ends merely share a
    /// bucket chain (equality is always checked).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Hash(ReadOnlySpan<char> key)
    {
        var hash = (ulong)key.Length * 0x9E3779B97F4A7C15UL;
        if (key.Length >= 4)
        {
            var bytes = MemoryMarshal.AsBytes(key);
            hash = (hash ^ MemoryMarshal.Read<ulong>(bytes)) * 0xFF51AFD7ED558CCDUL;
            hash = (hash ^ MemoryMarshal.Read<ulong>(bytes[^8..])) * 0xC4CEB9FE1A85EC53UL;
        }
        else
        {
            foreach (var c in key)
            {
                hash = (hash ^ c) * 0xFF51AFD7ED558CCDUL;
            }
        }
        return (uint)(hash ^ (hash >> 29));
    }
}
