namespace Clickstream.Consumer.Checkpoints;

/// <summary>The few shapes checkpoints write besides primitives.</summary>
internal static class BinaryExtensions
{
    public static void WriteNullable(this BinaryWriter writer, string? value)
    {
        writer.Write(value is not null);
        if (value is not null)
        {
            writer.Write(value);
        }
    }

    public static string? ReadNullableString(this BinaryReader reader) => reader.ReadBoolean() ? reader.ReadString() : null;

    /// <summary>UTC ticks; <see cref="long.MinValue"/> for none.</summary>
    public static void WriteNullable(this BinaryWriter writer, DateTimeOffset? value) => writer.Write(value?.UtcTicks ?? long.MinValue);

    public static DateTimeOffset? ReadNullableTime(this BinaryReader reader) =>
        reader.ReadInt64() is var ticks && ticks == long.MinValue ? null : new DateTimeOffset(ticks, TimeSpan.Zero);

    public static void Write(this BinaryWriter writer, DateTimeOffset value) => writer.Write(value.UtcTicks);

    public static DateTimeOffset ReadTime(this BinaryReader reader) => new(reader.ReadInt64(), TimeSpan.Zero);
}
