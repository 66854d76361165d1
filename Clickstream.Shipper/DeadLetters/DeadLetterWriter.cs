using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Clickstream.Shipper.DeadLetters;

/// <summary>
/// Appends what cannot be shipped to <c>dead-letter.jsonl</c> in the state directory, one JSON object
/// per record: when, why, which file and offset, and the line itself. Written and flushed to disk
/// before the line's position is checkpointed, so nothing disappears silently.
/// </summary>
public sealed class DeadLetterWriter : IDisposable
{
    public const string FileName = "dead-letter.jsonl";

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly ShipperMetrics _metrics;
    private readonly FileStream _file;

    public DeadLetterWriter(IOptions<ShipperOptions> options, TimeProvider time, ShipperMetrics metrics)
    {
        _time = time;
        _metrics = metrics;
        Directory.CreateDirectory(options.Value.StateDirectory);
        FilePath = Path.GetFullPath(Path.Combine(options.Value.StateDirectory, FileName));
        _file = new FileStream(FilePath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
    }

    public string FilePath { get; }

    /// <param name="reasonCode">Short, for the metric tag: <c>invalid_json</c>, <c>too_long</c>, <c>delivery_failed</c>.</param>
    public void Write(string reasonCode, string reason, string file, long offset, long length, ReadOnlySpan<byte> line)
    {
        lock (_gate)
        {
            using (var writer = new Utf8JsonWriter(_file, WriterOptions))
            {
                writer.WriteStartObject();
                writer.WriteString("time", _time.GetUtcNow());
                writer.WriteString("reason", reasonCode);
                writer.WriteString("detail", reason);
                writer.WriteString("file", file);
                writer.WriteNumber("offset", offset);
                writer.WriteNumber("length", length);
                // As text (invalid UTF-8 replaced) so the record is itself valid JSON.
                writer.WriteString("line", Encoding.UTF8.GetString(line));
                writer.WriteEndObject();
            }

            _file.Write("\n"u8);
            _file.Flush(flushToDisk: true);
        }

        _metrics.DeadLettered(reasonCode);
    }

    public void Dispose() => _file.Dispose();
}
