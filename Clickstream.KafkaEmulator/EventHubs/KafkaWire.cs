using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Clickstream.KafkaEmulator.EventHubs;

/// <summary>
/// The few pieces of the Kafka wire format the listener reads and writes itself: big-endian integers,
/// strings, bytes and arrays in their classic (int16/int32 lengths) and flexible (unsigned varint
/// length + 1, tagged fields) forms.
/// </summary>
internal ref struct WireReader(ReadOnlySpan<byte> buffer, int position = 0)
{
    private readonly ReadOnlySpan<byte> _buffer = buffer;

    public int Position { get; private set; } = position;

    public short Int16()
    {
        var v = BinaryPrimitives.ReadInt16BigEndian(_buffer[Position..]);
        Position += 2;
        return v;
    }

    public int Int32()
    {
        var v = BinaryPrimitives.ReadInt32BigEndian(_buffer[Position..]);
        Position += 4;
        return v;
    }

    public void Skip(int bytes) => Position += bytes;

    public uint UVarint()
    {
        uint value = 0;
        for (var shift = 0; shift < 35; shift += 7)
        {
            var b = _buffer[Position++];
            value |= (uint)(b & 0x7f) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }

        throw new FormatException("varint longer than 5 bytes");
    }

    /// <summary>An array's element count; -1 for a null array.</summary>
    public int ArrayLength(bool flexible) => flexible ? (int)UVarint() - 1 : Int32();

    public string? String(bool flexible)
    {
        var length = flexible ? (int)UVarint() - 1 : Int16();
        if (length < 0)
        {
            return null;
        }

        var s = Encoding.UTF8.GetString(_buffer.Slice(Position, length));
        Position += length;
        return s;
    }

    public void SkipString(bool flexible)
    {
        var length = flexible ? (int)UVarint() - 1 : Int16();
        Position += Math.Max(0, length);
    }

    public ReadOnlySpan<byte> Bytes(bool flexible)
    {
        var length = flexible ? (int)UVarint() - 1 : Int32();
        if (length < 0)
        {
            return [];
        }

        var bytes = _buffer.Slice(Position, length);
        Position += length;
        return bytes;
    }

    public void SkipBytes(bool flexible) => Bytes(flexible);

    public void SkipTags(bool flexible)
    {
        if (!flexible)
        {
            return;
        }

        var count = UVarint();
        for (var i = 0; i < count; i++)
        {
            UVarint();
            Position += (int)UVarint();
        }
    }
}

/// <summary>Builds one response frame: the 4-byte size is filled in by <see cref="ToFrame"/>.</summary>
internal sealed class WireWriter
{
    private readonly ArrayBufferWriter<byte> _buffer = new(256);

    /// <summary>Starts a response: size placeholder, correlation id and, for flexible response headers, no tags.</summary>
    public WireWriter(int correlationId, bool flexibleHeader)
    {
        Int32(0);
        Int32(correlationId);
        Tags(flexibleHeader);
    }

    public WireWriter Int8(sbyte value)
    {
        _buffer.GetSpan(1)[0] = (byte)value;
        _buffer.Advance(1);
        return this;
    }

    public WireWriter Int16(short value)
    {
        BinaryPrimitives.WriteInt16BigEndian(_buffer.GetSpan(2), value);
        _buffer.Advance(2);
        return this;
    }

    public WireWriter Int32(int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(_buffer.GetSpan(4), value);
        _buffer.Advance(4);
        return this;
    }

    public WireWriter Int64(long value)
    {
        BinaryPrimitives.WriteInt64BigEndian(_buffer.GetSpan(8), value);
        _buffer.Advance(8);
        return this;
    }

    public WireWriter UVarint(uint value)
    {
        while (value >= 0x80)
        {
            _buffer.GetSpan(1)[0] = (byte)(value | 0x80);
            _buffer.Advance(1);
            value >>= 7;
        }

        _buffer.GetSpan(1)[0] = (byte)value;
        _buffer.Advance(1);
        return this;
    }

    public WireWriter ArrayLength(int count, bool flexible) => flexible ? UVarint((uint)(count + 1)) : Int32(count);

    public WireWriter String(string? value, bool flexible)
    {
        if (value is null)
        {
            return flexible ? UVarint(0) : Int16(-1);
        }

        var bytes = Encoding.UTF8.GetBytes(value);
        if (flexible)
        {
            UVarint((uint)(bytes.Length + 1));
        }
        else
        {
            Int16((short)bytes.Length);
        }

        return Raw(bytes);
    }

    /// <summary>An empty byte string (SASL's empty server token).</summary>
    public WireWriter EmptyBytes(bool flexible) => flexible ? UVarint(1) : Int32(0);

    public WireWriter Tags(bool flexible) => flexible ? UVarint(0) : this;

    public WireWriter Raw(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(_buffer.GetSpan(bytes.Length));
        _buffer.Advance(bytes.Length);
        return this;
    }

    public byte[] ToFrame()
    {
        var frame = _buffer.WrittenSpan.ToArray();
        BinaryPrimitives.WriteInt32BigEndian(frame, frame.Length - 4);
        return frame;
    }
}
