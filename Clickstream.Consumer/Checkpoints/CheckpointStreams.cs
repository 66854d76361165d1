using System.Text;

namespace Clickstream.Consumer.Checkpoints;

/// <summary>
/// Writes a checkpoint's payload: a <see cref="BinaryWriter"/> plus a table of the keys written so far (page paths,
/// sources, campaigns), so a key that thousands of buckets share is written once and then referred to by its number:
/// the top tables of a 90-day history are mostly the same few hundred strings.
/// </summary>
public sealed class CheckpointWriter(Stream output) : BinaryWriter(output, Encoding.UTF8, leaveOpen: true)
{
    private readonly Dictionary<string, int> _keys = new(StringComparer.Ordinal);

    /// <summary>0 and the string the first time, else the key's number + 1 (a 7-bit varint).</summary>
    public void WriteKey(string key)
    {
        if (_keys.TryGetValue(key, out var number))
        {
            Write7BitEncodedInt(number + 1);
            return;
        }

        _keys[key] = _keys.Count;
        Write7BitEncodedInt(0);
        Write(key);
    }
}

/// <summary>Reads what <see cref="CheckpointWriter"/> wrote; <see cref="Version"/> is the payload's layout, for readers of older ones.</summary>
public sealed class CheckpointReader(Stream input, int version) : BinaryReader(input, Encoding.UTF8, leaveOpen: true)
{
    private readonly List<string> _keys = [];

    public int Version => version;

    /// <summary>A key, one string instance per distinct key however many buckets hold it.</summary>
    public string ReadKey()
    {
        var number = Read7BitEncodedInt();
        if (number == 0)
        {
            var key = ReadString();
            _keys.Add(key);
            return key;
        }

        if (number > _keys.Count)
        {
            throw new InvalidDataException($"Key {number - 1} referred to before it was written.");
        }

        return _keys[number - 1];
    }
}
