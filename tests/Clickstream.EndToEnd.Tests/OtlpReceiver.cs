using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Clickstream.EndToEnd.Tests;

/// <summary>
/// What the Aspire dashboard would show, without the dashboard: an OTLP/HTTP (protobuf) endpoint that keeps
/// every span the services export and counts their metric exports (one a second under the AppHost, so a
/// count of them is a clock each service keeps). It decodes only the few protobuf fields it needs.
/// </summary>
internal sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedSpan> _spans = new();
    private readonly ConcurrentDictionary<string, int> _metricExports = new();

    private OtlpReceiver(WebApplication app) => _app = app;

    public sealed record ReceivedSpan(string Service, string TraceId, string SpanId, string ParentSpanId, string Name, string? UrlPath)
    {
        public override string ToString() => $"{Service}: {Name} {UrlPath} (trace {TraceId}, parent {(ParentSpanId.Length == 0 ? "none" : ParentSpanId)})";
    }

    public Uri Endpoint { get; private set; } = null!;

    public IReadOnlyList<ReceivedSpan> Spans => [.. _spans];

    public int MetricExports(string service) => _metricExports.GetValueOrDefault(service);

    /// <summary>Forgets the spans received so far (a test's own requests before what it observes).</summary>
    public void ClearSpans() => _spans.Clear();

    public static async Task<OtlpReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        // Port 0: the kernel picks a free port and keeps it bound, so no other test can take it meanwhile.
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var receiver = new OtlpReceiver(app);
        app.MapPost("/v1/traces", receiver.TracesAsync);
        app.MapPost("/v1/metrics", receiver.MetricsAsync);
        app.MapPost("/v1/logs", () => Results.Bytes([], "application/x-protobuf"));
        await app.StartAsync();
        // After start the server's addresses hold the port it bound.
        receiver.Endpoint = new Uri(app.Urls.Single());
        return receiver;
    }

    private async Task<IResult> TracesAsync(HttpRequest request)
    {
        var body = await ReadAsync(request);
        // ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
        foreach (var resourceSpans in Fields(body, 1))
        {
            var service = ServiceName(resourceSpans);
            // ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
            foreach (var scopeSpans in Fields(resourceSpans, 2))
            {
                // ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; }
                foreach (var span in Fields(scopeSpans, 2))
                {
                    _spans.Enqueue(Span(service, span));
                }
            }
        }

        return Results.Bytes([], "application/x-protobuf");
    }

    private async Task<IResult> MetricsAsync(HttpRequest request)
    {
        var body = await ReadAsync(request);
        // ExportMetricsServiceRequest { repeated ResourceMetrics resource_metrics = 1; }, resource first like spans.
        foreach (var service in Fields(body, 1).Select(ServiceName).Distinct())
        {
            _metricExports.AddOrUpdate(service, 1, (_, n) => n + 1);
        }

        return Results.Bytes([], "application/x-protobuf");
    }

    private static async Task<byte[]> ReadAsync(HttpRequest request)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    // Span { bytes trace_id = 1; bytes span_id = 2; bytes parent_span_id = 4; string name = 5; repeated KeyValue attributes = 9; }
    private static ReceivedSpan Span(string service, byte[] span) => new(
        service,
        Convert.ToHexStringLower(Fields(span, 1).FirstOrDefault() ?? []),
        Convert.ToHexStringLower(Fields(span, 2).FirstOrDefault() ?? []),
        Convert.ToHexStringLower(Fields(span, 4).FirstOrDefault() ?? []),
        Encoding.UTF8.GetString(Fields(span, 5).FirstOrDefault() ?? []),
        StringAttribute(span, 9, "url.path"));

    // Resource { repeated KeyValue attributes = 1; } at field 1 of ResourceSpans and ResourceMetrics.
    private static string ServiceName(byte[] resourceSignal) =>
        Fields(resourceSignal, 1).Select(resource => StringAttribute(resource, 1, "service.name")).FirstOrDefault(n => n is not null) ?? "?";

    // KeyValue { string key = 1; AnyValue value = 2; }, AnyValue { string string_value = 1; … }
    private static string? StringAttribute(byte[] message, int field, string key) =>
        Fields(message, field)
            .Where(kv => Fields(kv, 1).FirstOrDefault() is { } k && Encoding.UTF8.GetString(k) == key)
            .Select(kv => Fields(kv, 2).FirstOrDefault() is { } value && Fields(value, 1).FirstOrDefault() is { } text
                ? Encoding.UTF8.GetString(text)
                : null)
            .FirstOrDefault();

    /// <summary>The length-delimited values of one field number in a protobuf message; other fields are skipped.</summary>
    private static List<byte[]> Fields(byte[] message, int number)
    {
        var found = new List<byte[]>();
        var position = 0;
        while (position < message.Length)
        {
            var tag = Varint(message, ref position);
            var wireType = (int)(tag & 7);
            switch (wireType)
            {
                case 0:
                    Varint(message, ref position);
                    break;
                case 1:
                    position += 8;
                    break;
                case 2:
                    var length = (int)Varint(message, ref position);
                    if ((int)(tag >> 3) == number)
                    {
                        found.Add(message[position..(position + length)]);
                    }

                    position += length;
                    break;
                case 5:
                    position += 4;
                    break;
                default:
                    throw new InvalidDataException($"protobuf wire type {wireType} at byte {position}");
            }
        }

        return found;
    }

    private static ulong Varint(byte[] message, ref int position)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = message[position++];
            value |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
