using System.Runtime.CompilerServices;

namespace Course.Ml.Tokenization;

/// <summary>
/// A read-only token → id table probed with spans. WordPiece probes it several times per word, so it
/// uses a cheap non-randomised hash (FNV-1a over UTF-16 code units; the keys are a fixed vocabulary, not
/// attacker-chosen) and open chaining in flat arrays, about twice as fast as a Dictionary's alternate lookup.
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Hash(ReadOnlySpan<char> key)
    {
        var hash = 2166136261u;
        foreach (var c in key)
        {
            hash = (hash ^ c) * 16777619u;
        }
        return hash ^ (hash >> 15);
    }
}
