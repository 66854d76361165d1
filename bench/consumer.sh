#!/usr/bin/env bash
# Consume-and-aggregate throughput: our consumer (the Release app: consume loop, dedup by event-id,
# every aggregate, spans and metrics on) against `kcat -C -e -o beginning` > /dev/null, reading the same
# pre-produced topic from the embedded emulator (Clickstream.KafkaEmulator on a fixed port) in the same run.
# Usage: bench/consumer.sh [events]   (default 1000000; 64 partitions, lz4, ~330-byte lines with
# event-id and traceparent headers, 50,000 visitors)
#
# Timing: kcat is timed from process start to exit (it assigns partitions directly: no group).
# Ours is timed from the first event applied to the last, so process start-up and the consumer-group
# join (about 3 s on the mock cluster) are EXCLUDED from ours_eps; the figure including them is printed too.
set -euo pipefail
cd "$(dirname "$0")/.."
events=${1:-1000000}
port=${BENCH_KAFKA_PORT:-19292}
partitions=64
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
cat > "$producer_dir/produce.cs" <<'CS'
#:package Confluent.Kafka@2.16.0
using System.Diagnostics;
using System.Text;
using Confluent.Kafka;

var (bootstrap, count) = (args[0], int.Parse(args[1]));
var config = new ProducerConfig { BootstrapServers = bootstrap, LingerMs = 20, CompressionType = CompressionType.Lz4,
    BatchSize = 1_000_000, QueueBufferingMaxMessages = 500_000, Acks = Acks.All };
using var producer = new ProducerBuilder<string, string>(config).Build();
string[] agents = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.1; rv:120.0) Gecko/20100101 Firefox/120.0",
    "curl/7.58.0"];
long errors = 0;
var clock = Stopwatch.StartNew();
var start = DateTimeOffset.UtcNow.AddMinutes(-20);
for (var i = 0; i < count; i++)
{
    var cookie = (i % 50_000).ToString("x32");
    var time = start.AddMilliseconds(i).ToString("yyyy-MM-ddTHH:mm:ss.fffzzz");
    var line = $$"""{"remote":"172.21.{{i % 250}}.{{i % 199}}","host":"-","user":"-","time":"{{time}}","method":"GET","path":"/i?param=p{{i % 20}}","code":"200","size":"43","referer":"https://www.site{{i % 7}}.example/page","agent":"{{agents[i % agents.Length]}}","cookie":"{{cookie}}","traceparent":"-"}""";
    var message = new Message<string, string> { Key = cookie, Value = line, Headers = [
        new Header("event-id", Encoding.ASCII.GetBytes($"2049:131:0:{(long)i * 330}")),
        new Header("traceparent", Encoding.ASCII.GetBytes($"00-{i + 1:x32}-{i + 1:x16}-01"))] };
    while (true)
    {
        try { producer.Produce("clickstream", message, r => { if (r.Error.IsError) Interlocked.Increment(ref errors); }); break; }
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

dotnet run -c Release --no-build "$producer_dir/produce.cs" -- "127.0.0.1:$port" "$events"

# kcat: read everything to /dev/null; verify the count in a separate, untimed pass.
t0=$(now_ns)
kcat -b "127.0.0.1:$port" -t clickstream -C -e -o beginning -q > /dev/null
t1=$(now_ns)
kcat_eps=$(python3 -c "print(round($events/(($t1-$t0)/1e9)))")
kept=$(kcat -b "127.0.0.1:$port" -t clickstream -C -e -o beginning -q -f '.\n' | wc -l)
echo "kcat: $events events in $(( (t1-t0)/1000000 )) ms = $kcat_eps events/s ($kept on the topic)"
[ "$kept" -eq "$events" ] || { echo "the emulator kept $kept of $events (5 MiB per partition): fewer events or more partitions"; exit 1; }

# Ours: the consumer app with a fresh group; poll its totalEvents.
cport=$(free_port)
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
  if [ -z "$first" ] && [ "$n" -gt 0 ]; then first=$(now_ns); first_count=$n; fi
  [ "$n" -ge "$events" ] && break
  [ "$(date +%s)" -lt "$deadline" ] || { echo "ours: only $n of $events after 300 s"; exit 1; }
  sleep 0.1
done
t_end=$(now_ns)
curl -sf "http://127.0.0.1:$cport/api/stats" > "$out/stats.json"
ours_eps=$(python3 -c "print(round(($events-$first_count)/(($t_end-$first)/1e9)))")
ours_all_eps=$(python3 -c "print(round($events/(($t_end-$t_start)/1e9)))")
ratio=$(python3 -c "print(f'{$ours_eps/$kcat_eps:.2f}')")
rss=$(awk '/VmRSS/{print int($2/1024)}' /proc/${pids[1]}/status)
# CPU seconds of our two loop threads: the process's own cost, whatever else the machine is running.
threads=$(for t in /proc/${pids[1]}/task/*; do
  name=$(cat "$t/comm"); case "$name" in clickstream-*) awk -v n="$name" '{printf "%s=%.2fs ", n, ($14+$15)/100}' "$t/stat";; esac
done)
echo "ours: $events events, $ours_eps events/s from first to last event (start-up and group join excluded);" \
  "$ours_all_eps events/s including them ($(( (t_end-t_start)/1000000 )) ms from process start); RSS ${rss} MiB"
python3 - "$out/stats.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print(f"  totalEvents={s['totalEvents']} duplicates={s['duplicatesDropped']} malformed={s['malformedSkipped']} "
      f"uniqueVisitors={s['uniqueVisitors']} exact={s['uniqueVisitorsExact']} last30min={s['last30Minutes']['hits']}")
PY
echo "  CPU of our threads for the whole run: ${threads}(consume thread parses, apply thread applies); load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
echo "ratio ours/kcat = $ratio (goal >= 0.5)"
echo "RESULT bench=consumer events=$events ours_eps=$ours_eps kcat_eps=$kcat_eps ratio_kcat=$ratio"
