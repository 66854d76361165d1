#!/usr/bin/env bash
# The lake alone: can it keep up with the consumer's apply thread? In one process without Kafka (the consumer's
# Release build), N events (default 500,000) of 10 sites spread over 2 hours on 32 partitions are first run
# through LiveStats once to get what the analytics derive (not timed), then handed to EventLake as the apply
# thread does (At + Applied), sealed every B events (default 50,000: a second of a consumer at 50,000
# events/s), written as staging parts, and every hour published. Prints:
#   apply_cpu_ns: the lake's CPU cost on the apply thread per event (At + Applied + Seal), and loop_cpu_ns: the
#   same loop reading the same fields of what was recorded, without the lake (memory the consumer has hot), which
#   apply_cpu_ns includes,
#   write_cpu_eps: events per CPU second through the writer (staging parts, then publishing the hours),
#   lake_cpu_eps: events per CPU second end to end (apply-thread cost plus writer), the figure to set against
#   the consumer's; the same three by wall clock (apply_ns, write_eps, lake_eps), which a shared machine inflates,
#   files and bytes published, DuckDB's count of them, peak RSS.
# Usage: bench/lake.sh [events] [batch]
set -euo pipefail
cd "$(dirname "$0")/.."
events=${1:-500000}
batch=${2:-50000}
repo=$(pwd)
out=bench/out/lake; mkdir -p "$out"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
echo "building (Release)…"
dotnet build Clickstream.Consumer -c Release -v q -nologo >/dev/null

# A file-based app outside the repo (no central package management there) that references the consumer.
cat > "$dir/lake.cs" <<CS
#:project $repo/Clickstream.Consumer/Clickstream.Consumer.csproj
#:package Microsoft.Extensions.TimeProvider.Testing@10.11.0
#:package DuckDB.NET.Data.Full@1.5.6.1
#:property Configuration=Release
#:property PublishAot=false
CS
cat >> "$dir/lake.cs" <<'CS'
using System.Diagnostics;
using System.Text;
using Clickstream.Consumer.Lake;
using Clickstream.Consumer.Stats;
using Clickstream.Consumer.Stats.Sites;
using Clickstream.Contracts;
using Clickstream.Contracts.Analytics;
using DuckDB.NET.Data;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

var (events, batch, work) = (int.Parse(args[0]), int.Parse(args[1]), args[2]);
var meters = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
using var logs = LoggerFactory.Create(b => b.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning));
var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
var time = new FakeTimeProvider(start);

// What the analytics derive, captured once (not timed).
var stats = new LiveStats(time, meters);
var recorded = new Recorder(events);
stats.Sites.Observer = recorded;
string[] agents = ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"];
var random = new Random(42);
var step = TimeSpan.FromHours(2).Ticks / events;
for (var i = 0; i < events; i++)
{
    time.Advance(TimeSpan.FromTicks(step));
    var v = random.Next(1_000_000);
    var site = v % 10;
    var line = new AccessLogEntry($"203.0.113.{v % 250}", null, time.GetUtcNow(), "GET",
        $"/i?e=pv&aid=site{site}&url=https%3A%2F%2Fsite{site}.example%2Fp{i % 200}&refr=https%3A%2F%2Fwww.google.com%2F", 200, 43, null,
        agents[v % 2], $"{v:x32}", null).ToLine();
    stats.Apply(ClickEvent.Parse(Encoding.UTF8.GetBytes(line))!);
}
var ids = Enumerable.Range(0, events).Select(i => $"b:0:0:{i}").ToArray();
// CPU time, not wall time: the machine is shared, and a descheduled process would look slow.
var process = Process.GetCurrentProcess();
TimeSpan Cpu() { process.Refresh(); return process.TotalProcessorTime; }
if (recorded.Count != events) throw new InvalidOperationException($"recorded {recorded.Count} of {events}");

// The harness alone (reading what was recorded, no lake): what apply_cpu_ns includes besides the lake.
GC.Collect();
var loopCpuStart = Cpu();
long checksum = 0;
for (var i = 0; i < events; i++)
{
    // Touches what the lake reads, so the recorded events' cache misses (the consumer's own event is hot) count here too.
    var r = recorded[i];
    var e = r.Event;
    checksum += r.At.Ticks + ids[i].Length + (r.Visitor is { } v ? (long)(v & 1) : 0) + (int)e.Type + e.Site.Length + (e.PagePath?.Length ?? 0)
        + (e.PageTitle?.Length ?? 0) + (e.Source?.Length ?? 0) + (e.Channel?.Length ?? 0) + (e.Campaign?.Length ?? 0) + (e.CustomEventName?.Length ?? 0)
        + (e.UserAgent.Browser?.Length ?? 0) + (e.UserAgent.OperatingSystem?.Length ?? 0) + (e.UserAgent.Device?.Length ?? 0) + (e.IsBot ? 1 : 0)
        + (e.EngagedMs ?? 0) + (r.Line.Code?.Length ?? 0) + (r.Step is { } taken ? (long)(taken.Session & 1) : 0);
}
var loopCpu = Cpu() - loopCpuStart;
GC.KeepAlive(checksum);

GC.Collect();
var lake = new EventLake(Options.Create(new LakeOptions { Directory = Path.Combine(work, "lake"), CloseAfter = TimeSpan.Zero }), time, logs.CreateLogger<EventLake>());
var applyCpu = TimeSpan.Zero;
var writeCpu = TimeSpan.Zero;
var applyTicks = 0L;
var writeTicks = 0L;
long sequence = 0;
for (var from = 0; from < events; from += batch)
{
    var applyStart = Stopwatch.GetTimestamp();
    var applyCpuStart = Cpu();
    for (var i = from; i < Math.Min(events, from + batch); i++)
    {
        var r = recorded[i];
        lake.At(i % 32, i / 32, ids[i]);
        lake.Applied(r.Line, r.Event, r.Visitor, r.Step, r.At);
    }
    var sealedEvents = lake.Seal();
    applyTicks += Stopwatch.GetTimestamp() - applyStart;
    applyCpu += Cpu() - applyCpuStart;

    // The writer thread: this checkpoint's parts, then whatever hours are due (those of earlier checkpoints).
    var writeStart = Stopwatch.GetTimestamp();
    var writeCpuStart = Cpu();
    lake.WriteParts(++sequence, sealedEvents);
    lake.PublishDue(sequence);
    writeTicks += Stopwatch.GetTimestamp() - writeStart;
    writeCpu += Cpu() - writeCpuStart;
}
{
    // The clock past both hours and one more checkpoint: every part is published.
    var writeStart = Stopwatch.GetTimestamp();
    var writeCpuStart = Cpu();
    time.Advance(TimeSpan.FromHours(2));
    lake.PublishDue(++sequence);
    writeTicks += Stopwatch.GetTimestamp() - writeStart;
    writeCpu += Cpu() - writeCpuStart;
}
var applySeconds = applyTicks / (double)Stopwatch.Frequency;
var writeSeconds = writeTicks / (double)Stopwatch.Frequency;

var published = Directory.GetFiles(Path.Combine(work, "lake"), "*.parquet", SearchOption.AllDirectories).Where(f => !f.Contains("_staging")).ToList();
var duckClock = Stopwatch.StartNew();
using var connection = new DuckDBConnection("Data Source=:memory:");
connection.Open();
using var command = connection.CreateCommand();
command.CommandText = $"SELECT count(*), count(DISTINCT event_id) FROM read_parquet('{Path.Combine(work, "lake")}/site=*/date=*/hour=*/*.parquet', hive_partitioning = true)";
using var reader = command.ExecuteReader();
reader.Read();
var (duckCount, duckDistinct) = (reader.GetInt64(0), reader.GetInt64(1));
var rss = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:"))[6..].Trim();
Console.WriteLine($"events={events} batch={batch} loop_cpu_ns={loopCpu.TotalSeconds * 1e9 / events:F0} apply_cpu_ns={applyCpu.TotalSeconds * 1e9 / events:F0} write_cpu_eps={events / writeCpu.TotalSeconds:F0} lake_cpu_eps={events / (applyCpu + writeCpu).TotalSeconds:F0} apply_ns={applySeconds * 1e9 / events:F0} write_eps={events / writeSeconds:F0} lake_eps={events / (applySeconds + writeSeconds):F0} files={published.Count} bytes={published.Sum(f => new FileInfo(f).Length)} duckdb_count={duckCount} duckdb_distinct={duckDistinct} duckdb_ms={duckClock.Elapsed.TotalMilliseconds:F0} peak_rss={rss.Replace(" ", "")}");

sealed class Recorder(int capacity) : IAppliedEventObserver
{
    private readonly List<(ClickEvent Line, AnalyticsEvent Event, ulong? Visitor, SessionStep? Step, DateTimeOffset At)> _events = new(capacity);
    public int Count => _events.Count;
    public (ClickEvent Line, AnalyticsEvent Event, ulong? Visitor, SessionStep? Step, DateTimeOffset At) this[int i] => _events[i];
    public void Applied(ClickEvent line, AnalyticsEvent e, ulong? visitor, SessionStep? step, DateTimeOffset at) => _events.Add((line, e, visitor, step, at));
}
CS
rm -rf "$dir/work"; mkdir -p "$dir/work"
result=$(dotnet run --file "$dir/lake.cs" -- "$events" "$batch" "$dir/work" | tee /dev/stderr | tail -1)
echo "RESULT bench=lake $result" | tee "$out/result.txt"
