using System.Buffers.Binary;
using System.Text;

namespace Course.Benchmarks;

/// <summary>
/// The little of MessagePack that SignalR's "blazorpack" hub protocol uses, both ways: a message is a
/// MessagePack array framed by its length as a variable-length quantity (7 bits a byte, low first). Values read
/// back as null, bool, long, double, string, byte[], List&lt;object?&gt; or Dictionary&lt;object, object?&gt;.
/// </summary>
internal static class BlazorPack
{
    public static byte[] Frame(params object?[] message)
    {
        var body = new MemoryStream();
        Write(body, message);
        var framed = new MemoryStream();
        for (var length = (uint)body.Length; ; length >>= 7)
        {
            framed.WriteByte((byte)(length > 0x7F ? (length & 0x7F) | 0x80 : length));
            if (length <= 0x7F)
            {
                break;
            }
        }
        body.WriteTo(framed);
        return framed.ToArray();
    }

    private static void Write(Stream s, object? value)
    {
        switch (value)
        {
            case null: s.WriteByte(0xC0); break;
            case bool b: s.WriteByte(b ? (byte)0xC3 : (byte)0xC2); break;
            case int i: Write(s, (long)i); break;
            case long l when l is >= 0 and <= 0x7F: s.WriteByte((byte)l); break;
            case long l:
                s.WriteByte(0xD3);
                Span<byte> eight = stackalloc byte[8];
                BinaryPrimitives.WriteInt64BigEndian(eight, l);
                s.Write(eight);
                break;
            case string text:
                var bytes = Encoding.UTF8.GetBytes(text);
                Header(s, bytes.Length, 0xA0, 31, 0xD9, 0xDA, 0xDB);
                s.Write(bytes);
                break;
            case object?[] items:
                Header(s, items.Length, 0x90, 15, null, 0xDC, 0xDD);
                foreach (var item in items)
                {
                    Write(s, item);
                }
                break;
            case Dictionary<string, object?> map:
                Header(s, map.Count, 0x80, 15, null, 0xDE, 0xDF);
                foreach (var (key, item) in map)
                {
                    Write(s, key);
                    Write(s, item);
                }
                break;
            default: throw new ArgumentException($"blazorpack cannot write a {value.GetType().Name}");
        }
    }

    private static void Header(Stream s, int count, byte fix, int fixMax, byte? eightBit, byte sixteenBit, byte thirtyTwoBit)
    {
        Span<byte> buffer = stackalloc byte[4];
        if (count <= fixMax)
        {
            s.WriteByte((byte)(fix | count));
        }
        else if (eightBit is { } code && count <= byte.MaxValue)
        {
            s.WriteByte(code);
            s.WriteByte((byte)count);
        }
        else if (count <= ushort.MaxValue)
        {
            s.WriteByte(sixteenBit);
            BinaryPrimitives.WriteUInt16BigEndian(buffer, (ushort)count);
            s.Write(buffer[..2]);
        }
        else
        {
            s.WriteByte(thirtyTwoBit);
            BinaryPrimitives.WriteInt32BigEndian(buffer, count);
            s.Write(buffer);
        }
    }

    /// <summary>The messages in one WebSocket message (it may carry several frames).</summary>
    public static IEnumerable<List<object?>> Messages(byte[] data)
    {
        var at = 0;
        while (at < data.Length)
        {
            var length = 0;
            for (var shift = 0; ; shift += 7)
            {
                var b = data[at++];
                length |= (b & 0x7F) << shift;
                if ((b & 0x80) == 0)
                {
                    break;
                }
            }
            var end = at + length;
            yield return (List<object?>)Read(data, ref at)!;
            at = end;
        }
    }

    private static object? Read(byte[] d, ref int at)
    {
        var code = d[at++];
        switch (code)
        {
            case <= 0x7F: return (long)code;
            case >= 0xE0: return (long)(sbyte)code;
            case >= 0xA0 and <= 0xBF: return Str(d, ref at, code & 0x1F);
            case >= 0x90 and <= 0x9F: return Array(d, ref at, code & 0x0F);
            case >= 0x80 and <= 0x8F: return Map(d, ref at, code & 0x0F);
        }
        switch (code)
        {
            case 0xC0: return null;
            case 0xC2: return false;
            case 0xC3: return true;
            case 0xC4: return Bin(d, ref at, d[at++]);
            case 0xC5: return Bin(d, ref at, U16(d, ref at));
            case 0xC6: return Bin(d, ref at, (int)U32(d, ref at));
            case 0xCA: { var v = BinaryPrimitives.ReadSingleBigEndian(d.AsSpan(at)); at += 4; return (double)v; }
            case 0xCB: { var v = BinaryPrimitives.ReadDoubleBigEndian(d.AsSpan(at)); at += 8; return v; }
            case 0xCC: return (long)d[at++];
            case 0xCD: return (long)U16(d, ref at);
            case 0xCE: return (long)U32(d, ref at);
            case 0xCF: { var v = BinaryPrimitives.ReadUInt64BigEndian(d.AsSpan(at)); at += 8; return (long)v; }
            case 0xD0: return (long)(sbyte)d[at++];
            case 0xD1: { var v = BinaryPrimitives.ReadInt16BigEndian(d.AsSpan(at)); at += 2; return (long)v; }
            case 0xD2: { var v = BinaryPrimitives.ReadInt32BigEndian(d.AsSpan(at)); at += 4; return (long)v; }
            case 0xD3: { var v = BinaryPrimitives.ReadInt64BigEndian(d.AsSpan(at)); at += 8; return v; }
            case 0xD9: return Str(d, ref at, d[at++]);
            case 0xDA: return Str(d, ref at, U16(d, ref at));
            case 0xDB: return Str(d, ref at, (int)U32(d, ref at));
            case 0xDC: return Array(d, ref at, U16(d, ref at));
            case 0xDD: return Array(d, ref at, (int)U32(d, ref at));
            case 0xDE: return Map(d, ref at, U16(d, ref at));
            case 0xDF: return Map(d, ref at, (int)U32(d, ref at));
            default: throw new InvalidDataException($"blazorpack: MessagePack type 0x{code:X2} is not used by SignalR");
        }
    }

    private static int U16(byte[] d, ref int at) { var v = BinaryPrimitives.ReadUInt16BigEndian(d.AsSpan(at)); at += 2; return v; }
    private static uint U32(byte[] d, ref int at) { var v = BinaryPrimitives.ReadUInt32BigEndian(d.AsSpan(at)); at += 4; return v; }
    private static string Str(byte[] d, ref int at, int n) { var v = Encoding.UTF8.GetString(d, at, n); at += n; return v; }
    private static byte[] Bin(byte[] d, ref int at, int n) { var v = d.AsSpan(at, n).ToArray(); at += n; return v; }

    private static List<object?> Array(byte[] d, ref int at, int n)
    {
        var items = new List<object?>(n);
        for (var i = 0; i < n; i++)
        {
            items.Add(Read(d, ref at));
        }
        return items;
    }

    private static Dictionary<object, object?> Map(byte[] d, ref int at, int n)
    {
        var map = new Dictionary<object, object?>(n);
        for (var i = 0; i < n; i++)
        {
            var key = Read(d, ref at)!;
            map[key] = Read(d, ref at);
        }
        return map;
    }
}
