#!/usr/bin/env bash
# Consume-and-aggregate throughput: our consumer (the Release app: consume loop, dedup by event-id before parsing,
# every aggregate, spans and metrics on) against `kcat -C -e -o beginning` > /dev/null, reading the same
# pre-produced topic from the embedded emulator (Clickstream.KafkaEmulator on a fixed port) in the same run.
# Usage: bench/consumer.sh [events]   (default 1000000; 128 partitions, lz4, event-id and traceparent headers)
# The events are what the tracker sends: page views (e=pv, eid, aid, url with utm_* or gclid on entries, refr,
# title, screen, language, time zone) of 10 sites and 100,000 visitors over three hours, so the analytics path
# (event model, sessions, per-site aggregates) runs for every event; ~800-byte lines.
#
# Timing: kcat is timed from process start to exit (it assigns partitions directly: no group).
# On a shared machine wall-clock rates follow the neighbours' load, so CPU an event (user + system of the whole
# process, every thread) is measured for both as well: ratio_kcat_cpu = kcat's CPU an event / ours.
# Ours is timed from the first event applied to the last, so process start-up and the consumer-group
# join (about 3 s on the mock cluster) are EXCLUDED from ours_eps; the figure including them is printed too.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/pipeline-defaults.sh
events=${1:-1000000}
port=${BENCH_KAFKA_PORT:-19292}
partitions=128
out=bench/out/consumer; mkdir -p "$out"
command -v kcat >/dev/null || { echo "kcat missing: apt-get install kcat"; exit 1; }
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
now_ns() { date +%s%N; }
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

echo "building (Release)…"
dotnet build Clickstream.KafkaEmulator -c Release -v q -nologo >/dev/null
dotnet build Clickstream.Consumer -c Release -v q -nologo >/dev/null

# The producer: a file-based C# app outside the repo (no central package management there).
producer_dir=$(mktemp -d)
cat > "$producer_dir/produce.cs" <<CS
#:project $PWD/Clickstream.Contracts/Clickstream.Contracts.csproj
CS
cat >> "$producer_dir/produce.cs" <<'CS'
#:package Confluent.Kafka@2.16.0
using System.Diagnostics;
using System.Text;
using Clickstream.Contracts;
using Confluent.Kafka;

var (bootstrap, count, topic, eventIdHeader, traceparentHeader) = (args[0], int.Parse(args[1]), args[2], args[3], args[4]);
var config = new ProducerConfig { BootstrapServers = bootstrap, LingerMs = 20, CompressionType = CompressionType.Lz4,
    BatchSize = 1_000_000, QueueBufferingMaxMessages = 500_000, Acks = Acks.All };
using var producer = new ProducerBuilder<string, string>(config).Build();
string[] agents = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.1; rv:120.0) Gecko/20100101 Firefox/120.0",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36"];
// Where a visit comes from: a campaign link, a search engine, a social network, another site, or nothing (direct).
string[] entries = [
    "?utm_source=newsletter&utm_medium=email&utm_campaign=winter-sale",
    "?utm_source=facebook&utm_medium=cpc&utm_campaign=retargeting&utm_content=carousel",
    "?gclid=Cj0KCQiA",
    "", "", "", ""];
string[] referrers = ["https://www.google.com/", "https://www.bing.com/", "https://t.co/x", "https://news.ycombinator.com/", "https://blog.partner.example/post", "", ""];
const int visitors = 100_000, sites = 10;
long errors = 0;
var clock = Stopwatch.StartNew();
// 1,000,000 events over three hours (10 ms apart) in visitor order drawn at random: gaps between a visitor's
// events range from seconds to hours, so visitors come back in new sessions (30 minutes without an event).
var span = TimeSpan.FromHours(3);
var start = DateTimeOffset.UtcNow - span;
var step = span.Ticks / Math.Max(count, 1);
var random = new Random(42);
var last = new string?[visitors]; // each visitor's previous page (null: not seen yet)
for (var i = 0; i < count; i++)
{
    var v = random.Next(visitors);
    var site = v % sites;
    var cookie = ((ulong)v * 0x9E3779B97F4A7C15UL).ToString("x16").PadLeft(32, '0');
    var host = $"www.site{site}.example";
    var page = $"https://{host}/{(i % 3 == 0 ? "products" : "blog")}/{i % 50}";
    string url, refr;
    if (last[v] is { } previous && random.Next(4) != 0)
    {
        url = page; refr = previous; // a click inside the site
    }
    else
    {
        url = page + entries[random.Next(entries.Length)]; refr = referrers[random.Next(referrers.Length)];
    }
    last[v] = page;
    var at = start.AddTicks(step * i);
    var query = $"e=pv&eid={Guid.NewGuid()}&aid=site{site}&p=web&tv=cs-1&url={Uri.EscapeDataString(url)}&refr={Uri.EscapeDataString(refr)}"
        + $"&page={Uri.EscapeDataString($"Page {i % 50} – Site {site}")}&dtm={at.ToUnixTimeMilliseconds()}&stm={at.ToUnixTimeMilliseconds()}"
        + $"&res=1920x1080&vp=1280x720&lang=en-GB&tz={Uri.EscapeDataString("Europe/London")}";
    var line = new AccessLogEntry($"172.21.{v % 250}.{v % 199}", null, at, "GET", $"/i?{query}", 200, 43, $"https://{host}/",
        agents[v % agents.Length], cookie, null).ToLine();
    var message = new Message<string, string> { Key = cookie, Value = line, Headers = [
        new Header(eventIdHeader, EventIds.For("2049:131", 0, (long)i * 700)),
        new Header(traceparentHeader, Encoding.ASCII.GetBytes($"00-{i + 1:x32}-{i + 1:x16}-01"))] };
    while (true)
    {
        try { producer.Produce(topic, message, r => { if (r.Error.IsError) Interlocked.Increment(ref errors); }); break; }
        catch (ProduceException<string, string> e) when (e.Error.Code == ErrorCode.Local_QueueFull) { producer.Poll(TimeSpan.FromMilliseconds(10)); }
    }
}
producer.Flush(TimeSpan.FromMinutes(5));
Console.WriteLine($"produced {count} events in {clock.Elapsed.TotalSeconds:F1} s, delivery errors {errors}");
return errors == 0 ? 0 : 1;
CS
dotnet build -c Release "$producer_dir/produce.cs" -v q -nologo >/dev/null

http=$(free_port)
dotnet Clickstream.KafkaEmulator/bin/Release/net10.0/Clickstream.KafkaEmulator.dll --KafkaEmulator:Port="$port" \
  --KafkaEmulator:Partitions="$partitions" --urls "http://127.0.0.1:$http" >"$out/emulator.log" 2>&1 &
pids+=($!)
until curl -sf "http://127.0.0.1:$http/health" >/dev/null; do sleep 0.05; done
echo "emulator on 127.0.0.1:$port, $partitions partitions"

dotnet run -c Release --no-build "$producer_dir/produce.cs" -- "127.0.0.1:$port" "$events" "$topic" "$event_id_header" "$traceparent_header"

# kcat: read everything to /dev/null; verify the count in a separate, untimed pass.
t0=$(now_ns)
TIMEFORMAT='%U %S'
kcat_cpu=$( { time kcat -b "127.0.0.1:$port" -t "$topic" -C -e -o beginning -q > /dev/null 2>&1; } 2>&1 )
t1=$(now_ns)
kcat_cpu_us=$(echo "$kcat_cpu" | awk -v n="$events" '{printf "%.2f", ($1+$2)*1e6/n}')
kcat_eps=$(python3 -c "print(round($events/(($t1-$t0)/1e9)))")
kept=$(kcat -b "127.0.0.1:$port" -t "$topic" -C -e -o beginning -q -f '.\n' | wc -l)
echo "kcat: $events events in $(( (t1-t0)/1000000 )) ms = $kcat_eps events/s, $kcat_cpu_us µs CPU an event ($kept on the topic)"
[ "$kept" -eq "$events" ] || { echo "the emulator kept $kept of $events (5 MiB per partition): fewer events or more partitions"; exit 1; }

# Ours: the consumer app with a fresh group; poll its totalEvents.
cport=$(free_port)
# The process's CPU (user + system, all threads: consume, apply, GC, librdkafka) in clock ticks.
cpu_ticks() { awk '{print $14+$15}' /proc/${pids[1]}/stat; }
total() { curl -sf "http://127.0.0.1:$cport/api/stats" 2>/dev/null | grep -o '"totalEvents":[0-9]*' | cut -d: -f2 || true; }
t_start=$(now_ns)
ASPNETCORE_ENVIRONMENT=Production dotnet Clickstream.Consumer/bin/Release/net10.0/Clickstream.Consumer.dll \
  --urls "http://127.0.0.1:$cport" --ConnectionStrings:kafka="127.0.0.1:$port" \
  --Kafka:Consumer:Config:group.id="bench-$(date +%s)" --Reconciliation:PixelUrl=http://127.0.0.1:9 \
  --Reconciliation:ShipperUrl=http://127.0.0.1:9 --Logging:LogLevel:Default=Warning >"$out/consumer.log" 2>&1 &
pids+=($!)
first=""; first_count=0; n=0
deadline=$(( $(date +%s) + 300 ))
while :; do
  n=$(total); n=${n:-0}
  if [ -z "$first" ] && [ "$n" -gt 0 ]; then first=$(now_ns); first_count=$n; first_cpu=$(cpu_ticks); fi
  [ "$n" -ge "$events" ] && break
  [ "$(date +%s)" -lt "$deadline" ] || { echo "ours: only $n of $events after 300 s"; exit 1; }
  sleep 0.1
done
t_end=$(now_ns)
end_cpu=$(cpu_ticks)
ours_cpu_us=$(python3 -c "print(f'{($end_cpu-$first_cpu)/$(getconf CLK_TCK)*1e6/($events-$first_count):.2f}')")
ratio_cpu=$(python3 -c "print(f'{$kcat_cpu_us/$ours_cpu_us:.2f}')")
curl -sf "http://127.0.0.1:$cport/api/stats" > "$out/stats.json"
ours_eps=$(python3 -c "print(round(($events-$first_count)/(($t_end-$first)/1e9)))")
ours_all_eps=$(python3 -c "print(round($events/(($t_end-$t_start)/1e9)))")
ratio=$(python3 -c "print(f'{$ours_eps/$kcat_eps:.2f}')")
rss=$(awk '/VmRSS/{print int($2/1024)}' /proc/${pids[1]}/status)
peak_rss=$(awk '/VmHWM/{print int($2/1024)}' /proc/${pids[1]}/status)
curl -sf "http://127.0.0.1:$cport/api/sites" > "$out/sites.json"
# CPU seconds of our two loop threads: the process's own cost, whatever else the machine is running.
threads=$(for t in /proc/${pids[1]}/task/*; do
  name=$(cat "$t/comm"); case "$name" in clickstream-*) awk -v n="$name" '{printf "%s=%.2fs ", n, ($14+$15)/100}' "$t/stat";; esac
done)
echo "ours: $events events, $ours_eps events/s from first to last event (start-up and group join excluded);" \
  "$ours_all_eps events/s including them ($(( (t_end-t_start)/1000000 )) ms from process start); $ours_cpu_us µs CPU an event; RSS ${rss} MiB (peak ${peak_rss} MiB)"
python3 - "$out/stats.json" "$out/sites.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
sites = json.load(open(sys.argv[2]))
print(f"  totalEvents={s['totalEvents']} duplicates={s['duplicatesDropped']} malformed={s['malformedSkipped']} "
      f"uniqueVisitors={s['uniqueVisitors']} exact={s['uniqueVisitorsExact']} last30min={s['last30Minutes']['hits']}")
print(f"  all sites: pageviews={s['pageviews']} visitors={s['visitors']} sessions={s['sessions']} bounceRate={s['bounceRate']:.3f} "
      f"sources={[(r['key'], r['count']) for r in s['topSources'][:4]]} campaigns={[(r['key'], r['count']) for r in s['topCampaigns']]}")
print(f"  {len(sites)} sites: " + ", ".join(f"{x['site']}={x['pageviews']}" for x in sites))
PY
echo "  CPU of our threads for the whole run: ${threads}(consume thread parses, apply thread applies); load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
echo "ratio ours/kcat = $ratio by throughput, $ratio_cpu by CPU an event (goal >= 0.35, RSS < 400 MiB at 1,000,000 events)"
echo "RESULT bench=consumer events=$events ours_eps=$ours_eps kcat_eps=$kcat_eps ratio_kcat=$ratio ours_cpu_us=$ours_cpu_us kcat_cpu_us=$kcat_cpu_us ratio_kcat_cpu=$ratio_cpu rss_mib=$rss peak_rss_mib=$peak_rss"
