#!/usr/bin/env bash
# History: what the consumer's checkpointed state costs, in one process without Kafka (the consumer's own
# classes, Release build): N events (default 10,000,000) over 30 simulated days, 10 sites, 1,000,000
# visitors, applied through LiveStats (every aggregate and the per-site history) with the lake on. Prints:
#   checkpoint bytes and ms (capture on the apply thread; write with fsync and rename),
#   restart to exact totals from the checkpoint (load) against a replay (re-applying every event: a lower
#   bound of what replaying the topic costs, which also has to read it),
#   lake write throughput (events/s: parts plus publishing every hour) and DuckDB's time to count it,
#   state size of 10 sites x 90 days x 1,000,000 visitors (a second run, fewer events: size is set by the
#   buckets and sketches, not the event count), peak RSS.
# Usage: bench/history.sh [events] [days]
set -euo pipefail
cd "$(dirname "$0")/.."
events=${1:-10000000}
days=${2:-30}
repo=$(pwd)
out=bench/out/history; mkdir -p "$out"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
echo "building (Release)…"
dotnet build Clickstream.Consumer -c Release -v q -nologo >/dev/null

# A file-based app outside the repo (no central package management there) that references the consumer.
cat > "$dir/history.cs" <<CS
#:project $repo/Clickstream.Consumer/Clickstream.Consumer.csproj
#:package Microsoft.Extensions.TimeProvider.Testing@10.11.0
#:package DuckDB.NET.Data.Full@1.5.6.1
#:property Configuration=Release
#:property PublishAot=false
CS
cat >> "$dir/history.cs" <<'CS'
using System.Diagnostics;
using System.Text;
using Clickstream.Consumer.Checkpoints;
using Clickstream.Consumer.Consuming;
using Clickstream.Consumer.Lake;
using Clickstream.Consumer.Stats;
using Clickstream.ServiceDefaults.Kafka;
using DuckDB.NET.Data;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

var (events, days, work, label) = (long.Parse(args[0]), int.Parse(args[1]), args[2], args[3]);
var meters = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
using var Logs = Microsoft.Extensions.Logging.LoggerFactory.Create(b => b.AddSimpleConsole().SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Warning));
var time = new FakeTimeProvider(start);
(StateCheckpointer, LiveStats, EventLake) Build(bool lakeOn)
{
    var stats = new LiveStats(time, meters);
    var lake = new EventLake(Options.Create(new LakeOptions { Directory = lakeOn ? Path.Combine(work, "lake") : null, CloseAfter = TimeSpan.Zero }), time, Logs.CreateLogger<EventLake>());
    if (lakeOn) stats.Sites.Observer = lake;
    var checkpointer = new StateCheckpointer(Options.Create(new CheckpointOptions { Directory = Path.Combine(work, "state"), Keep = 2 }),
        new KafkaConsumerSettings(), stats, new DeduplicationWindow(1_000_000), new CheckpointMetrics(meters), lake, Logs.CreateLogger<StateCheckpointer>());
    return (checkpointer, stats, lake);
}

string[] agents = ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"];
var random = new Random(42);
ClickEvent Event(long i)
{
    var v = random.Next(1_000_000);
    var site = v % 10;
    var line = $$"""{"remote":"203.0.113.{{v % 250}}","time":"{{time.GetUtcNow():yyyy-MM-ddTHH:mm:ss.fffzzz}}","method":"GET","path":"/i?e=pv&aid=site{{site}}&url=https%3A%2F%2Fsite{{site}}.example%2Fp{{i % 200}}&refr=https%3A%2F%2Fwww.google.com%2F","code":"200","referer":"-","agent":"{{agents[v % 2]}}","cookie":"{{v:x32}}"}""";
    return ClickEvent.Parse(Encoding.UTF8.GetBytes(line))!;
}

var (checkpointer, stats, lake) = Build(lakeOn: label == "main");
var step = TimeSpan.FromDays(days).Ticks / events;
var applyClock = Stopwatch.StartNew();
for (long i = 0; i < events; i++)
{
    time.Advance(TimeSpan.FromTicks(step));
    var e = Event(i);
    lake.At((int)(i % 32), i / 32, $"b:0:0:{i}");
    stats.Apply(e);
    checkpointer.Applied((int)(i % 32), i / 32);
    if (i % 10_000 == 0) checkpointer.CaptureIfDue(); // as the apply loop does: every Checkpoints:Interval (5 s)
}
var applySeconds = applyClock.Elapsed.TotalSeconds;

// The lake's parts are written with the final checkpoint; every hour is then due (CloseAfter 0, clock past it).
var lakeClock = Stopwatch.StartNew();
checkpointer.Final();
var finalMs = lakeClock.Elapsed.TotalMilliseconds;
var status = checkpointer.Status();
time.Advance(TimeSpan.FromHours(2));
checkpointer.Final(); // nothing new: no checkpoint
if (lake.Enabled)
{
    // One more (unchanged) checkpoint succeeds the parts, then every hour is published.
    stats.DuplicateDropped();
    checkpointer.Applied(0, events);
    checkpointer.Final();
}
var lakeSeconds = lakeClock.Elapsed.TotalSeconds - status.LastWriteMs / 1000.0;

double duckMs = 0; long duckCount = 0;
if (lake.Enabled)
{
    var duckClock = Stopwatch.StartNew();
    using var connection = new DuckDBConnection("Data Source=:memory:");
    connection.Open();
    using var command = connection.CreateCommand();
    command.CommandText = $"SELECT count(*) FROM read_parquet('{Path.Combine(work, "lake")}/site=*/date=*/hour=*/*.parquet', hive_partitioning = true)";
    duckCount = Convert.ToInt64(command.ExecuteScalar());
    duckMs = duckClock.Elapsed.TotalMilliseconds;
}

// Restart: load the checkpoint into fresh aggregates, against re-applying every event.
var (restoring, restored, _) = Build(lakeOn: false);
var restoreClock = Stopwatch.StartNew();
restoring.Restore();
var restoreMs = restoreClock.Elapsed.TotalMilliseconds;
double replayMs = 0;
if (label == "main")
{
    // The same events again (same seed and clock), parsed and applied as a replay of the topic would.
    time = new FakeTimeProvider(start);
    random = new Random(42);
    var replay = new LiveStats(time, meters);
    var replayClock = Stopwatch.StartNew();
    for (long i = 0; i < events; i++)
    {
        time.Advance(TimeSpan.FromTicks(step));
        replay.Apply(Event(i));
    }
    replayMs = replayClock.Elapsed.TotalMilliseconds;
    if (replay.TotalEvents != restored.TotalEvents) throw new InvalidOperationException("replay and restore disagree");
}

var rss = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:"))[6..].Trim();
Console.WriteLine($"{label} events={events} days={days} apply_eps={events / applySeconds:F0} checkpoint_bytes={status.LastBytes} capture_ms={status.LastCaptureMs:F0} write_ms={status.LastWriteMs:F0} restore_ms={restoreMs:F0} replay_ms={replayMs:F0} lake_eps={(lake.Enabled ? events / Math.Max(lakeSeconds, 0.001) : 0):F0} lake_events={lake.Published} duckdb_count={duckCount} duckdb_ms={duckMs:F0} total={restored.TotalEvents} peak_rss={rss.Replace(" ", "")}");
CS
run() { rm -rf "$dir/work"; mkdir -p "$dir/work"; dotnet run --file "$dir/history.cs" -- "$@" "$dir/work" "$label"; }
label=main; main=$(run "$events" "$days" | tee /dev/stderr | tail -1)
# 10 sites x 90 days x 1,000,000 visitors: 3,000,000 events reach every visitor of the pool over 90 days.
label=size90d; size=$(run 3000000 90 | tee /dev/stderr | tail -1)
get() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
echo "RESULT bench=history events=$events days=$days checkpoint_bytes=$(get "$main" checkpoint_bytes) checkpoint_capture_ms=$(get "$main" capture_ms) checkpoint_write_ms=$(get "$main" write_ms) restart_restore_ms=$(get "$main" restore_ms) restart_replay_ms=$(get "$main" replay_ms) lake_eps=$(get "$main" lake_eps) duckdb_ms=$(get "$main" duckdb_ms) duckdb_count=$(get "$main" duckdb_count) peak_rss=$(get "$main" peak_rss) state_90d_bytes=$(get "$size" checkpoint_bytes) peak_rss_90d=$(get "$size" peak_rss)" | tee "$out/result.txt"
