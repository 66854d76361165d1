#!/usr/bin/env bash
# History: what the consumer's checkpointed state costs, in one process per part without Kafka (the consumer's own
# classes, Release build, events synthesized straight into the applier with a fake clock). Three processes run at
# once (the same load for each, and the run fits a busy 2-core box):
#   main: N events (default 10,000,000) over 30 simulated days, 10 sites, 1,000,000 visitors, applied through
#     LiveStats (every aggregate and the per-site history) with each event's id in the redelivery window and
#     checkpoints captured every Checkpoints:Interval as the apply loop does. Prints the last checkpoint's bytes,
#     capture ms (apply thread) and write ms (one write, one fsync, rename); Brotli's size and time on it; restart
#     to exact totals (load the checkpoint into fresh aggregates, then every site's and all sites' totals, 30-day
#     and today figures must equal those before); the lake over the first LAKE events (default 1,000,000: staging
#     parts every 250,000 events, then every hour published) in events/s, and DuckDB's time to count it; peak RSS.
#   replay: the same events through fresh aggregates, as re-reading the topic would; its figures must equal main's.
#   size: 10 sites x 1,000,000 visitors at 33,333 events a simulated day for SIZE_DAYS (default 120) days: the
#     checkpoint bytes and RSS at 90 days and at the end (the state is set by the buckets and sketches kept, not by
#     the event count or the history's length, so RSS stays flat as history grows).
# Usage: bench/history.sh [events] [days] [lake-events]
set -euo pipefail
cd "$(dirname "$0")/.."
events=${1:-10000000}
days=${2:-30}
lake_events=${3:-1000000}
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
using Clickstream.Contracts;
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
    var line = new AccessLogEntry($"203.0.113.{v % 250}", null, time.GetUtcNow(), "GET",
        $"/i?e=pv&aid=site{site}&url=https%3A%2F%2Fsite{site}.example%2Fp{page}{campaign}&refr={referrers[v % 5]}", 200, 43, null,
        agents[v % 3], $"{v:x32}", null).ToLine();
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

    Console.WriteLine($"main events={events} days={days} apply_eps={events / applySeconds:F0} checkpoint_bytes={status.LastBytes} capture_ms={status.LastCaptureMs:F0} capture_max_ms={captureMaxMs:F0} write_ms={status.LastWriteMs:F0} checkpoints={status.Written} brotli_bytes={compressedBytes} brotli_ms={compressMs:F0} restore_ms={restoreMs:F0} figures={Hash(expected)} lake_events={lakeCount} lake_eps={lakeCount / Math.Max(lakeMs / 1000, 0.001):F0} duckdb_count={duckCount} duckdb_ms={duckMs:F0} rss_after_apply={rssAfterApply}kB peak_rss={Rss("VmHWM")}");
    Console.WriteLine(expected.Length > 400 ? expected[..400] + "…" : expected);
}
else if (mode == "replay")
{
    // The same events (same seed and clock) through fresh aggregates, as re-reading the topic would.
    var (_, replay, _, replaySeen) = Build("replay", null);
    var random = new Random(42);
    var id = new byte[32];
    var replayClock = Stopwatch.StartNew();
    for (long i = 0; i < events; i++)
    {
        time.Advance(TimeSpan.FromTicks(step));
        var e = Event(random, i);
        replaySeen.TryAdd(id.AsSpan(0, Encoding.ASCII.GetBytes($"b:0:0:{i}", id)));
        replay.Apply(e);
    }

    var replayMs = replayClock.Elapsed.TotalMilliseconds;
    var figures = Figures(replay);
    Console.WriteLine($"replay events={events} replay_ms={replayMs:F0} figures={Hash(figures)} peak_rss={Rss("VmHWM")}");
    Console.WriteLine(figures.Length > 400 ? figures[..400] + "…" : figures);
}
else
{
    // SIZE_DAYS days at the same daily rate, measured at 90 days and at the end.
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

        if (i + 1 == events * 90 / days || i + 1 == events)
        {
            checkpointer.Final();
            var status = checkpointer.Status();
            var label = i + 1 == events ? days : 90;
            var rss = RssAfterCollect();
            line.Append($" state_{label}d_bytes={status.LastBytes} capture_{label}d_ms={status.LastCaptureMs:F0} write_{label}d_ms={status.LastWriteMs:F0} rss_{label}d={rss}kB peak_rss_{label}d={Rss("VmHWM")} buckets_{label}d={sites.Sum(s => stats.Sites.HistoryOf(s)!.BucketCount)}");
        }
    }

    Console.WriteLine(line);
}

static string Hash(string text) => Convert.ToHexString(System.IO.Hashing.XxHash64.Hash(Encoding.UTF8.GetBytes(text)));

sealed class Forward(EventLake lake) : IAppliedEventObserver
{
    public void Applied(ClickEvent line, AnalyticsEvent e, ulong? visitor, SessionStep? step, DateTimeOffset at) => lake.Applied(line, e, visitor, step, at);
}
CS
# Built once, then run three times at once.
app=$(dotnet build "$dir/history.cs" -nologo | sed -n 's/^ *history.cs -> //p' | tail -1)
[ -f "$app" ] || { echo "the benchmark app did not build"; exit 1; }
run() { rm -rf "$dir/$1"; mkdir -p "$dir/$1"; dotnet "$app" "$1" "$2" "$3" "$dir/$1" "${4:-0}"; }
size_days=${SIZE_DAYS:-120}
# Each keeps its lines in bench/out/history.
run main "$events" "$days" "$lake_events" > "$out/main.txt" 2>&1 & main_pid=$!
run replay "$events" "$days" > "$out/replay.txt" 2>&1 & replay_pid=$!
run size "$((size_days * 33333))" "$size_days" > "$out/size.txt" 2>&1 & size_pid=$!
wait $main_pid $replay_pid $size_pid || { tail -n 20 "$out"/*.txt; exit 1; }
cat "$out/main.txt" "$out/replay.txt" "$out/size.txt"
main=$(grep '^main ' "$out/main.txt"); replay=$(grep '^replay ' "$out/replay.txt"); size=$(grep '^size ' "$out/size.txt")
get() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
# Restart exact: the restored figures equal those before the restart (checked in main) and the replay's.
exact=no; [ "$(get "$main" figures)" = "$(get "$replay" figures)" ] && exact=yes
echo "RESULT bench=history events=$events days=$days checkpoint_bytes=$(get "$main" checkpoint_bytes) checkpoint_capture_ms=$(get "$main" capture_ms) checkpoint_write_ms=$(get "$main" write_ms) checkpoint_brotli_bytes=$(get "$main" brotli_bytes) checkpoint_brotli_ms=$(get "$main" brotli_ms) restart_restore_ms=$(get "$main" restore_ms) restart_replay_ms=$(get "$replay" replay_ms) restart_exact=$exact apply_eps=$(get "$main" apply_eps) lake_events=$(get "$main" lake_events) lake_eps=$(get "$main" lake_eps) duckdb_ms=$(get "$main" duckdb_ms) duckdb_count=$(get "$main" duckdb_count) peak_rss=$(get "$main" peak_rss) replay_peak_rss=$(get "$replay" peak_rss) state_90d_bytes=$(get "$size" state_90d_bytes) rss_90d=$(get "$size" rss_90d) state_${size_days}d_bytes=$(get "$size" state_${size_days}d_bytes) rss_${size_days}d=$(get "$size" rss_${size_days}d) peak_rss_size=$(get "$size" peak_rss_${size_days}d)" | tee "$out/result.txt"
