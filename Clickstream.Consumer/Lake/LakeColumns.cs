using Clickstream.Contracts.Analytics;
using Parquet;
using Parquet.Schema;
using Parquet.Serialization;

namespace Clickstream.Consumer.Lake;

/// <summary>
/// Lake rows held as columns, one array per column of <see cref="LakeEvent"/>'s schema: the apply thread adds an
/// event with a few array stores (strings by reference, no object per event), and a row group is written and read
/// column by column with Parquet.Net's column API rather than its reflection-based serializer.
/// </summary>
internal sealed class LakeColumns
{
    /// <summary>The lake's schema, as <see cref="LakeEvent"/> declares it (also what its serializer reads back).</summary>
    public static readonly ParquetSchema Schema = typeof(LakeEvent).GetParquetSchema(forWriting: true);

    private static readonly DataField[] Fields = Schema.GetDataFields();

    // The string columns, in schema order; every other column has an array of its own below.
    private static readonly string[] StringColumns =
        ["site", "event_type", "page_path", "page_title", "source", "channel", "campaign", "custom_event", "browser", "os", "device", "status", "event_id"];

    private static readonly int[] StringIndex = [.. Fields.Select(f => Array.IndexOf(StringColumns, f.Name))];

    private DateTime[] _time;

    // Nulls are stored: Parquet.Net's string API is annotated non-null but writes and reads them.
    private readonly string[][] _strings;
    private bool[] _isBot;
    private long?[] _visitor;
    private long?[] _session;
    private bool[] _newSession;
    private long?[] _engaged;
    private int[] _partition;
    private long[] _offset;

    public LakeColumns(int capacity = 1024)
    {
        var expected = new[] { "event_time", "is_bot", "visitor", "session", "new_session", "engaged_ms", "partition", "offset" }.Concat(StringColumns);
        if (!expected.Order(StringComparer.Ordinal).SequenceEqual(Fields.Select(f => f.Name).Order(StringComparer.Ordinal)))
        {
            throw new InvalidOperationException("LakeColumns does not hold every column of LakeEvent.");
        }

        _time = new DateTime[capacity];
        _strings = [.. StringColumns.Select(_ => new string[capacity])];
        (_isBot, _visitor, _session, _newSession) = (new bool[capacity], new long?[capacity], new long?[capacity], new bool[capacity]);
        (_engaged, _partition, _offset) = (new long?[capacity], new int[capacity], new long[capacity]);
    }

    public int Count { get; private set; }

    /// <summary>Apply thread: one event.</summary>
    public void Add(DateTime time, AnalyticsEvent e, long? visitor, SessionStep? step, string? status, int partition, long offset, string? eventId)
    {
        if (Count == _time.Length)
        {
            Grow(Count + 1);
        }

        var i = Count++;
        _time[i] = time;
        Set(0, i, e.Site);
        Set(1, i, e.Type.ToString());
        Set(2, i, e.PagePath);
        Set(3, i, e.PageTitle);
        Set(4, i, e.Source);
        Set(5, i, e.Channel);
        Set(6, i, e.Campaign);
        Set(7, i, e.CustomEventName);
        Set(8, i, e.UserAgent.Browser);
        Set(9, i, e.UserAgent.OperatingSystem);
        Set(10, i, e.UserAgent.Device);
        Set(11, i, status);
        Set(12, i, eventId);
        _isBot[i] = e.IsBot;
        _visitor[i] = visitor;
        _session[i] = step is { } s ? unchecked((long)s.Session) : null;
        _newSession[i] = step?.NewSession ?? false;
        _engaged[i] = e.EngagedMs;
        _partition[i] = partition;
        _offset[i] = offset;
    }

    /// <summary>Appends every row of <paramref name="other"/>.</summary>
    public void Add(LakeColumns other)
    {
        Grow(Count + other.Count);
        var (at, n) = (Count, other.Count);
        Array.Copy(other._time, 0, _time, at, n);
        for (var c = 0; c < _strings.Length; c++)
        {
            Array.Copy(other._strings[c], 0, _strings[c], at, n);
        }

        Array.Copy(other._isBot, 0, _isBot, at, n);
        Array.Copy(other._visitor, 0, _visitor, at, n);
        Array.Copy(other._session, 0, _session, at, n);
        Array.Copy(other._newSession, 0, _newSession, at, n);
        Array.Copy(other._engaged, 0, _engaged, at, n);
        Array.Copy(other._partition, 0, _partition, at, n);
        Array.Copy(other._offset, 0, _offset, at, n);
        Count += n;
    }

    /// <summary>Empties the columns (keeping their arrays for the next rows); strings are let go.</summary>
    public void Clear()
    {
        foreach (var column in _strings)
        {
            Array.Clear(column, 0, Count);
        }

        Count = 0;
    }

    /// <summary>Per partition, the first and last offset of the rows, added to <paramref name="offsets"/>.</summary>
    public void AddOffsets(SortedDictionary<int, long[]> offsets)
    {
        for (var i = 0; i < Count; i++)
        {
            if (offsets.TryGetValue(_partition[i], out var range))
            {
                range[0] = Math.Min(range[0], _offset[i]);
                range[1] = Math.Max(range[1], _offset[i]);
            }
            else
            {
                offsets[_partition[i]] = [_offset[i], _offset[i]];
            }
        }
    }

    /// <summary>The rows as one row group of <paramref name="writer"/>.</summary>
    public async Task WriteRowGroupAsync(ParquetWriter writer)
    {
        using var group = writer.CreateRowGroup();
        foreach (var (field, index) in Fields.Select((f, i) => (f, i)))
        {
            var n = Count;
            switch (field.Name)
            {
                case "event_time": await group.WriteAsync(field, new ReadOnlyMemory<DateTime>(_time, 0, n)); break;
                case "is_bot": await group.WriteAsync(field, new ReadOnlyMemory<bool>(_isBot, 0, n)); break;
                case "visitor": await group.WriteAsync(field, new ReadOnlyMemory<long?>(_visitor, 0, n)); break;
                case "session": await group.WriteAsync(field, new ReadOnlyMemory<long?>(_session, 0, n)); break;
                case "new_session": await group.WriteAsync(field, new ReadOnlyMemory<bool>(_newSession, 0, n)); break;
                case "engaged_ms": await group.WriteAsync(field, new ReadOnlyMemory<long?>(_engaged, 0, n)); break;
                case "partition": await group.WriteAsync(field, new ReadOnlyMemory<int>(_partition, 0, n)); break;
                case "offset": await group.WriteAsync(field, new ReadOnlyMemory<long>(_offset, 0, n)); break;
                default: await group.WriteAsync(field, new ArraySegment<string>(_strings[StringIndex[index]], 0, n)); break;
            }
        }
    }

    /// <summary>Appends the rows of one row group of a lake file.</summary>
    public async Task AddRowGroupAsync(ParquetRowGroupReader group)
    {
        var (at, n) = (Count, checked((int)group.RowCount));
        Grow(at + n);
        foreach (var (field, index) in Fields.Select((f, i) => (f, i)))
        {
            switch (field.Name)
            {
                case "event_time": await group.ReadAsync(field, _time.AsMemory(at, n)); break;
                case "is_bot": await group.ReadAsync(field, _isBot.AsMemory(at, n)); break;
                case "visitor": await group.ReadAsync(field, _visitor.AsMemory(at, n)); break;
                case "session": await group.ReadAsync(field, _session.AsMemory(at, n)); break;
                case "new_session": await group.ReadAsync(field, _newSession.AsMemory(at, n)); break;
                case "engaged_ms": await group.ReadAsync(field, _engaged.AsMemory(at, n)); break;
                case "partition": await group.ReadAsync(field, _partition.AsMemory(at, n)); break;
                case "offset": await group.ReadAsync(field, _offset.AsMemory(at, n)); break;
                default: await group.ReadAsync(field, _strings[StringIndex[index]].AsMemory(at, n)!); break;
            }
        }

        Count = at + n;
    }

    /// <summary>The rows as a whole Parquet file (one row group), with <paramref name="metadata"/> in its footer.</summary>
    public void WriteFile(Stream stream, Dictionary<string, string>? metadata = null) => WriteFileAsync(stream, metadata).GetAwaiter().GetResult();

    private async Task WriteFileAsync(Stream stream, Dictionary<string, string>? metadata)
    {
        await using var writer = await ParquetWriter.CreateAsync(Schema, stream);
        if (metadata is not null)
        {
            writer.CustomMetadata = metadata;
        }

        await WriteRowGroupAsync(writer);
    }

    private void Set(int column, int row, string? value) => _strings[column][row] = value!;

    private void Grow(int needed)
    {
        if (needed <= _time.Length)
        {
            return;
        }

        var capacity = Math.Max(needed, _time.Length * 2);
        Array.Resize(ref _time, capacity);
        for (var c = 0; c < _strings.Length; c++)
        {
            Array.Resize(ref _strings[c], capacity);
        }

        Array.Resize(ref _isBot, capacity);
        Array.Resize(ref _visitor, capacity);
        Array.Resize(ref _session, capacity);
        Array.Resize(ref _newSession, capacity);
        Array.Resize(ref _engaged, capacity);
        Array.Resize(ref _partition, capacity);
        Array.Resize(ref _offset, capacity);
    }
}
