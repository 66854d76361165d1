#!/usr/bin/env bash
# History: what the consumer's checkpointed state costs, in one process without Kafka (the consumer's own
# classes, Release build, events synthesized straight into the applier with a fake clock):
#   main run: N events (default 10,000,000) over 30 simulated days, 10 sites, 1,000,000 visitors, applied
#     through LiveStats (every aggregate and the per-site history) with each event's id in the redelivery
#     window, checkpoints captured every Checkpoints:Interval as the apply loop does. Prints the last
#     checkpoint's bytes, capture ms (apply thread) and write ms (buffered file, one fsync, rename);
#     restart to exact totals (load the checkpoint, then compare every site's totals and 30-day range with
#     the figures before the restart) against a replay of the same events through fresh aggregates;
#     the lake (the first LAKE events, default all: staging parts per checkpoint, then every hour published)
#     in events/s, and DuckDB's time to count it; peak RSS.
#   size run: 10 sites x 1,000,000 visitors at 33,333 events a simulated day for 180 days: the checkpoint
#     bytes and RSS at 90 days and again at 180 days (state is set by the buckets and sketches kept, not by
#     the event count, so RSS stays flat as history grows).
# Usage: bench/history.sh [events] [days] [lake-events]
set -euo pipefail
cd "$(dirname "$0")/.."
events=${1:-10000000}
days=${2:-30}
lake_events=${3:-$events}
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
#:property ServerGarbageCollection=false
CS
cat >> "$dir/history.cs" <<'CS'
using System.Diagnostics;
using System.Text;
using Clickstream.Consumer.Checkpoints;
using Clickstream.Consumer.Consuming;
using Clickstream.Consumer.Lake;
using Clickstream.Consumer.Stats;
using Clickstream.Consumer.Stats.History;
using Clickstream.Consumer.Stats.Sites;
using Clickstream.Contracts.Analytics;
using Clickstream.ServiceDefaults.Kafka;
using DuckDB.NET.Data;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

var (mode, events, days, work, lakeEvents) = (args[0], long.Parse(args[1]), int.Parse(args[2]), args[3], long.Parse(args[4]));
var meters = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
using var logs = LoggerFactory.Create(b => b.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning));
var time = new FakeTimeProvider(start);
var step = TimeSpan.FromDays(days).Ticks / events;
var sites = Enumerable.Range(0, 10).Select(s => $"site{s}").ToArray();

(StateCheckpointer Checkpointer, LiveStats Stats, EventLake Lake, DeduplicationWindow Seen) Build(string state, string? lakeDirectory)
{
    var stats = new LiveStats(time, meters);
    var lake = new EventLake(Options.Create(new LakeOptions { Directory = lakeDirectory, CloseAfter = TimeSpan.Zero }), time, logs.CreateLogger<EventLake>());
    var seen = new DeduplicationWindow(1_000_000);
    var checkpointer = new StateCheckpointer(Options.Create(new CheckpointOptions { Directory = Path.Combine(work, state), Keep = 2 }),
        new KafkaConsumerSettings(), stats, seen, new CheckpointMetrics(meters), lake, logs.CreateLogger<StateCheckpointer>());
    return (checkpointer, stats, lake, seen);
}

string[] agents = ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15"];
string[] referrers = ["https%3A%2F%2Fwww.google.com%2F", "https%3A%2F%2Fwww.bing.com%2F", "https%3A%2F%2Ft.co%2Fx", "", "https%3A%2F%2Fnews.ycombinator.com%2F"];
var pool = new StringPool();
// Pages: a long tail (Zipf-like: 1,000 per site, low numbers far more often), so the top tables are not trivial.
ClickEvent Event(Random random, long i)
{
    var v = random.Next(1_000_000);
    var site = v % 10;
    var page = (int)Math.Min(999, Math.Floor(Math.Pow(random.NextDouble(), 3) * 1000));
    var campaign = i % 7 == 0 ? $"%3Futm_campaign%3Dc{i % 300}" : "";
    var line = $$"""{"remote":"203.0.113.{{v % 250}}","time":"{{time.GetUtcNow():yyyy-MM-ddTHH:mm:ss.fffzzz}}","method":"GET","path":"/i?e=pv&aid=site{{site}}&url=https%3A%2F%2Fsite{{site}}.example%2Fp{{page}}{{campaign}}&refr={{referrers[v % 5]}}","code":"200","referer":"-","agent":"{{agents[v % 3]}}","cookie":"{{v:x32}}"}""";
    return ClickEvent.Parse(Encoding.UTF8.GetBytes(line), pool)!;
}

string Rss(string field) => File.ReadLines("/proc/self/status").First(l => l.StartsWith(field + ":"))[(field.Length + 1)..].Trim().Replace(" ", "");
long RssAfterCollect() { GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect(); return long.Parse(Rss("VmRSS").TrimEnd('k', 'B')); }

// The figures a restart must reproduce exactly: totals, and per site (and all sites) the last 30 days.
string Figures(LiveStats stats)
{
    var now = time.GetUtcNow();
    var range = DateRange.Resolve("30d", null, null, TimeZoneInfo.Utc, now, out _)!;
    var today = DateRange.Resolve("today", null, null, TimeZoneInfo.Utc, now, out _)!;
    var text = new StringBuilder($"total={stats.TotalEvents}");
    foreach (var site in sites.Append(null))
    {
        var snapshot = stats.Sites.Snapshot(site)!;
        var month = stats.Sites.Range(site, range)!.Figures;
        var day = stats.Sites.Range(site, today)!.Figures;
        text.Append($" {site ?? "all"}:{snapshot.Pageviews}/{snapshot.Visitors}/{snapshot.Sessions}/{month.Pageviews}/{month.Visitors}/{month.Sessions}/{month.BounceRate:F6}/{string.Join(',', month.TopPages.Take(3))}/{day.Pageviews}/{day.Visitors}");
    }

    return text.ToString();
}

if (mode == "main")
{
    var (checkpointer, stats, lake, seen) = Build("state", Path.Combine(work, "lake"));
    var lakeObserver = new Forward(lake);
    stats.Sites.Observer = lakeObserver;
    var random = new Random(42);
    var applyClock = Stopwatch.StartNew();
    double lakeMs = 0, captureMaxMs = 0;
    long sequence = 1_000_000_000; // the lake's own part sequence, apart from the checkpointer's
    var id = new byte[32];
    for (long i = 0; i < events; i++)
    {
        time.Advance(TimeSpan.FromTicks(step));
        var e = Event(random, i);
        if (i < lakeEvents)
        {
            lake.At((int)(i % 32), i / 32, $"b:0:0:{i}");
        }
        else if (i == lakeEvents)
        {
            stats.Sites.Observer = null;
        }

        // As the consume loop does: the event id into the redelivery window, apply, note the offset.
        seen.TryAdd(id.AsSpan(0, Encoding.ASCII.GetBytes($"b:0:0:{i}", id)));
        stats.Apply(e);
        checkpointer.Applied((int)(i % 32), i / 32);
        if (i % 10_000 == 0)
        {
            checkpointer.CaptureIfDue(); // every Checkpoints:Interval (5 s), as the apply loop does
            captureMaxMs = Math.Max(captureMaxMs, checkpointer.Status().LastCaptureMs);
        }

        if (i < lakeEvents && (i + 1) % 250_000 == 0 || i + 1 == Math.Min(lakeEvents, events))
        {
            // The lake's parts, as a checkpoint writes them (timed apart from applying).
            var lakeClock = Stopwatch.StartNew();
            lake.WriteParts(++sequence, lake.Seal());
            lakeMs += lakeClock.Elapsed.TotalMilliseconds;
        }
    }

    var applySeconds = applyClock.Elapsed.TotalSeconds;
    checkpointer.Final();
    var status = checkpointer.Status();
    var rssAfterApply = RssAfterCollect();
    // Would compression pay? The newest checkpoint through Brotli at its fastest level, timed.
    var newest = Directory.GetFiles(Path.Combine(work, "state"), "*.ckpt").Order().Last();
    var raw = File.ReadAllBytes(newest);
    var compressClock = Stopwatch.StartNew();
    using var compressed = new MemoryStream();
    using (var brotli = new System.IO.Compression.BrotliStream(compressed, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
    {
        brotli.Write(raw);
    }

    var (compressedBytes, compressMs) = (compressed.Length, compressClock.Elapsed.TotalMilliseconds);
    raw = [];
    var publishClock = Stopwatch.StartNew();
    lake.PublishDue(sequence + 1);
    lakeMs += publishClock.Elapsed.TotalMilliseconds;
    var lakeCount = Math.Min(lakeEvents, events);

    var duckClock = Stopwatch.StartNew();
    using var connection = new DuckDBConnection("Data Source=:memory:");
    connection.Open();
    using var command = connection.CreateCommand();
    command.CommandText = $"SELECT count(*) FROM read_parquet('{Path.Combine(work, "lake")}/site=*/date=*/hour=*/*.parquet', hive_partitioning = true)";
    var duckCount = Convert.ToInt64(command.ExecuteScalar());
    var duckMs = duckClock.Elapsed.TotalMilliseconds;

    var expected = Figures(stats);
    (checkpointer, stats, lake, seen) = (null!, null!, null!, null!);
    RssAfterCollect();

    // Restart: the newest checkpoint into fresh aggregates, until the figures are exactly those before.
    var (restoring, restored, _, _) = Build("state", null);
    var restoreClock = Stopwatch.StartNew();
    restoring.Restore();
    var restoreMs = restoreClock.Elapsed.TotalMilliseconds;
    var afterRestore = Figures(restored);
    if (afterRestore != expected)
    {
        throw new InvalidOperationException($"restore differs:\n{expected}\n{afterRestore}");
    }

    (restoring, restored) = (null!, null!);
    RssAfterCollect();

    // Replay: the same events again (same seed and clock) through fresh aggregates, as re-reading the topic would.
    time = new FakeTimeProvider(start);
    random = new Random(42);
    var (_, replay, _, replaySeen) = Build("replay", null);
    var replayClock = Stopwatch.StartNew();
    for (long i = 0; i < events; i++)
    {
        time.Advance(TimeSpan.FromTicks(step));
        var e = Event(random, i);
        replaySeen.TryAdd(id.AsSpan(0, Encoding.ASCII.GetBytes($"b:0:0:{i}", id)));
        replay.Apply(e);
    }

    var replayMs = replayClock.Elapsed.TotalMilliseconds;
    if (Figures(replay) != expected)
    {
        throw new InvalidOperationException("replay and restore disagree");
    }

    Console.WriteLine($"main events={events} days={days} apply_eps={events / applySeconds:F0} checkpoint_bytes={status.LastBytes} capture_ms={status.LastCaptureMs:F0} capture_max_ms={captureMaxMs:F0} write_ms={status.LastWriteMs:F0} checkpoints={status.Written} brotli_bytes={compressedBytes} brotli_ms={compressMs:F0} restore_ms={restoreMs:F0} replay_ms={replayMs:F0} lake_events={lakeCount} lake_eps={lakeCount / Math.Max(lakeMs / 1000, 0.001):F0} duckdb_count={duckCount} duckdb_ms={duckMs:F0} rss_after_apply={rssAfterApply}kB peak_rss={Rss("VmHWM")}");
    Console.WriteLine(expected.Length > 400 ? expected[..400] + "…" : expected);
}
else
{
    // 180 days at the same daily rate, measured at 90 and at 180 days.
    var (checkpointer, stats, _, seen) = Build("state", null);
    var random = new Random(7);
    var id = new byte[32];
    var line = new StringBuilder("size");
    for (long i = 0; i < events; i++)
    {
        time.Advance(TimeSpan.FromTicks(step));
        var e = Event(random, i);
        seen.TryAdd(id.AsSpan(0, Encoding.ASCII.GetBytes($"b:0:0:{i}", id)));
        stats.Apply(e);
        checkpointer.Applied((int)(i % 32), i / 32);
        if (i % 10_000 == 0)
        {
            checkpointer.CaptureIfDue();
        }

        if (i + 1 == events / 2 || i + 1 == events)
        {
            checkpointer.Final();
            var status = checkpointer.Status();
            var label = i + 1 == events ? days : days / 2;
            var rss = RssAfterCollect();
            line.Append($" state_{label}d_bytes={status.LastBytes} capture_{label}d_ms={status.LastCaptureMs:F0} write_{label}d_ms={status.LastWriteMs:F0} rss_{label}d={rss}kB peak_rss_{label}d={Rss("VmHWM")} buckets_{label}d={sites.Sum(s => stats.Sites.HistoryOf(s)!.BucketCount)}");
        }
    }

    Console.WriteLine(line);
}

sealed class Forward(EventLake lake) : IAppliedEventObserver
{
    public void Applied(ClickEvent line, AnalyticsEvent e, ulong? visitor, SessionStep? step, DateTimeOffset at) => lake.Applied(line, e, visitor, step, at);
}
CS
run() { rm -rf "$dir/work"; mkdir -p "$dir/work"; dotnet run --file "$dir/history.cs" -- "$1" "$2" "$3" "$dir/work" "${4:-0}"; }
run main "$events" "$days" "$lake_events" | tee "$out/main.txt"
main=$(grep '^main ' "$out/main.txt")
# 10 sites x 1,000,000 visitors: 33,333 events a simulated day reach nearly every visitor of the pool within 90 days.
size_days=${SIZE_DAYS:-180}
run size "$((size_days * 33333))" "$size_days" | tee "$out/size.txt"
size=$(grep '^size ' "$out/size.txt")
get() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
half=$((size_days / 2))
echo "RESULT bench=history events=$events days=$days checkpoint_bytes=$(get "$main" checkpoint_bytes) checkpoint_capture_ms=$(get "$main" capture_ms) checkpoint_write_ms=$(get "$main" write_ms) checkpoint_brotli_bytes=$(get "$main" brotli_bytes) checkpoint_brotli_ms=$(get "$main" brotli_ms) restart_restore_ms=$(get "$main" restore_ms) restart_replay_ms=$(get "$main" replay_ms) apply_eps=$(get "$main" apply_eps) lake_events=$(get "$main" lake_events) lake_eps=$(get "$main" lake_eps) duckdb_ms=$(get "$main" duckdb_ms) duckdb_count=$(get "$main" duckdb_count) peak_rss=$(get "$main" peak_rss) state_${half}d_bytes=$(get "$size" state_${half}d_bytes) rss_${half}d=$(get "$size" rss_${half}d) state_${size_days}d_bytes=$(get "$size" state_${size_days}d_bytes) rss_${size_days}d=$(get "$size" rss_${size_days}d) peak_rss_size=$(get "$size" peak_rss_${size_days}d)" | tee "$out/result.txt"
