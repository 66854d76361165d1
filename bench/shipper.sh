#!/usr/bin/env bash
# The shipper against the alternatives, same emulator run, same file: writes N seed-format lines
# (default 1,000,000, ~312 bytes, 100,000 visitors) and measures end to end, from the moment the file
# appears in the watched directory:
#   ours    the shipper (Release build), until its checkpoint (only acknowledged lines) reaches the end
#   rsyslog imfile + omkafka (Debian rsyslog-kafka), until the topic's end offsets grew by N
#   kcat    kcat -P -l (keyed, lz4, acks=all), the raw limit: until it exits (all delivered)
# Topic: 128 partitions so 1M keyed lines fit the emulator's 5 MiB per partition. On demand, not a test.
# Usage: bench/shipper.sh [lines]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/pipeline-defaults.sh
lines=${1:-1000000}
out=$PWD/bench/out/shipper
rm -rf "$out"; mkdir -p "$out"/{ours,ours-state,rsyslog,rsyslog-work}
for tool in kcat rsyslogd python3 curl; do command -v $tool >/dev/null || { echo "$tool missing (apt-get install kcat rsyslog-kafka python3 curl)"; exit 1; }; done
omkafka=$(ls /usr/lib/*/rsyslog/omkafka.so 2>/dev/null | head -n1 || true)
[ -n "$omkafka" ] || { echo "omkafka missing: apt-get install rsyslog-kafka"; exit 1; }

dotnet build Clickstream.KafkaEmulator -c Release -v q -nologo >/dev/null
dotnet build Clickstream.Shipper -c Release -v q -nologo >/dev/null
emulator_dll=$PWD/Clickstream.KafkaEmulator/bin/Release/net10.0/Clickstream.KafkaEmulator.dll
shipper_dll=$PWD/Clickstream.Shipper/bin/Release/net10.0/Clickstream.Shipper.dll
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
port=$(free_port); emulator_http=$(free_port); shipper_http=$(free_port)
partitions=128

python3 - "$lines" "$out" "$sample_line" <<'PY'
import sys
n, out, sample = int(sys.argv[1]), sys.argv[2], sys.argv[3]
# The seed's line from bench/pipeline-defaults.sh, each with a cookie of its own (the message key).
head = sample[:sample.index('"cookie":"') + len('"cookie":"')]
with open(f"{out}/seed.log", "w") as seed, open(f"{out}/keyed.txt", "w") as keyed:
    for i in range(n):
        cookie = f"{(i * 2654435761) % 100000:032x}"
        line = f'{head}{cookie}"}}'
        seed.write(line + "\n")
        keyed.write(f"{cookie}\t{line}\n")
PY
bytes=$(wc -c < "$out/seed.log")
echo "wrote $lines lines, $bytes bytes ($((bytes / lines)) bytes a line)"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

dotnet "$emulator_dll" --KafkaEmulator:Port="$port" --KafkaEmulator:Partitions=$partitions --KafkaEmulator:Topic=$topic \
  --urls "http://127.0.0.1:$emulator_http" >"$out/emulator.log" 2>&1 &
pids+=($!)
until curl -sf "http://127.0.0.1:$emulator_http/health" >/dev/null; do sleep 0.05; done
bootstrap=127.0.0.1:$port
query=(); for p in $(seq 0 $((partitions - 1))); do query+=(-t "$topic:$p:-1"); done
end_offsets() { kcat -b "$bootstrap" -Q "${query[@]}" | awk '{s += $NF} END {print s + 0}'; }
now_ns() { date +%s%N; }
rate() { python3 -c "print(round($1 / ($2 / 1e9)))"; }
cpu_ticks() { awk '{print $14 + $15}' /proc/$1/stat; } # user + system, in clock ticks
tick_hz=$(getconf CLK_TCK)
us_per_line() { python3 -c "print(round($1 * 1e6 / $tick_hz / $lines, 2))"; }
kcat_cpu=n/a; rsyslog_cpu=n/a

# BENCH_ONLY=ours skips the others (for iterating on the shipper; no RESULT line then).
if [ "${BENCH_ONLY:-}" != ours ]; then
# kcat: the raw limit.
t0=$(now_ns)
kcat_cpu=$( { TIMEFORMAT='%U %S'; time kcat -b "$bootstrap" -t $topic -P -K $'\t' -z lz4 -X acks=all -l "$out/keyed.txt"; } 2>&1 \
  | awk -v n="$lines" 'END {printf "%.2f", ($1 + $2) * 1e6 / n}')
t1=$(now_ns)
kcat_lps=$(rate "$lines" $((t1 - t0)))
echo "kcat -P -l: $lines lines in $(( (t1 - t0) / 1000000 )) ms = $kcat_lps lines/s"

# rsyslog imfile + omkafka. run_rsyslog NAME KEYED: keyed by the cookie (a regex on the line, the same work and
# partitioning as ours and kcat) or unkeyed (librdkafka's sticky partitioner: far larger batches).
run_rsyslog() {
  local name=$1 keyed=$2 keyparams=""
  rm -rf "$out/rsyslog" "$out/rsyslog-work"; mkdir -p "$out/rsyslog" "$out/rsyslog-work"
  [ "$keyed" = yes ] && keyparams='key="cookie" dynaKey="on"'
  cat > "$out/$name.conf" <<CONF
global(workDirectory="$out/rsyslog-work" maxMessageSize="64k")
module(load="imfile" mode="inotify")
module(load="$omkafka")
template(name="line" type="string" string="%msg%")
template(name="cookie" type="list") {
  property(name="msg" regex.expression="\"cookie\":\"([^\"]*)\"" regex.type="ERE" regex.submatch="1" regex.nomatchmode="BLANK")
}
ruleset(name="ship" queue.type="LinkedList" queue.size="200000" queue.dequeueBatchSize="4096") {
  action(type="omkafka" broker=["$bootstrap"] topic="$topic" template="line" partitions.auto="on" $keyparams
         confParam=["compression.codec=lz4", "queue.buffering.max.messages=1000000", "linger.ms=5"]
         topicConfParam=["request.required.acks=-1"])
}
input(type="imfile" file="$out/rsyslog/access.log" tag="access" ruleset="ship")
CONF
  rsyslogd -n -f "$out/$name.conf" -i "$out/rsyslog.pid" >"$out/$name.log" 2>&1 &
  local pid=$!
  pids+=($pid)
  sleep 1
  local ticks; ticks=$(cpu_ticks $pid)
  local before; before=$(end_offsets)
  t0=$(now_ns)
  ln "$out/seed.log" "$out/rsyslog/access.log"
  until [ "$(end_offsets)" -ge $((before + lines)) ]; do sleep 0.05; done
  t1=$(now_ns)
  run_cpu=$(us_per_line $(( $(cpu_ticks $pid) - ticks )))
  run_lps=$(rate "$lines" $((t1 - t0)))
  echo "$name imfile+omkafka: $lines lines in $(( (t1 - t0) / 1000000 )) ms = $run_lps lines/s, $run_cpu µs CPU a line"
  kill $pid; wait $pid 2>/dev/null || true; unset 'pids[-1]'
}
run_rsyslog rsyslog-unkeyed no
run_rsyslog rsyslog yes
rsyslog_lps=$run_lps; rsyslog_cpu=$run_cpu
fi

# Ours: acknowledged and checkpointed. run_ours NAME [VAR=value ...]
run_ours() {
  local name=$1; shift
  rm -rf "$out/ours" "$out/ours-state"; mkdir -p "$out/ours" "$out/ours-state"
  ConnectionStrings__kafka=$bootstrap Kafka__Topic=$topic Shipper__Paths__0="$out/ours/*.log" Shipper__StateDirectory="$out/ours-state" \
    Shipper__CheckpointInterval=00:00:00.050 Shipper__PollInterval=00:00:00.010 ASPNETCORE_URLS="http://127.0.0.1:$shipper_http" \
    Logging__LogLevel__Default=Warning \
    env ${SHIPPER_ENV:-} "$@" dotnet "$shipper_dll" >"$out/$name.log" 2>&1 &
  shipper_pid=$!
  pids+=($shipper_pid)
  until curl -sf "http://127.0.0.1:$shipper_http/stats" >/dev/null; do sleep 0.05; done
  sleep 1
  local ticks; ticks=$(cpu_ticks $shipper_pid)
  t0=$(now_ns)
  ln "$out/seed.log" "$out/ours/access.log"
  python3 - "$out/ours-state/checkpoints.json" "$bytes" <<'PY'
import json, sys, time
path, size = sys.argv[1], int(sys.argv[2])
while True:
    try:
        with open(path) as f:
            saved = json.load(f)
        # {"version": 1, "files": [...]}; a bare list before the file had a version.
        if sum(c["offset"] for c in (saved["files"] if isinstance(saved, dict) else saved)) >= size:
            break
    except (OSError, ValueError):
        pass
    time.sleep(0.005)
PY
  t1=$(now_ns)
  run_cpu=$(us_per_line $(( $(cpu_ticks $shipper_pid) - ticks )))
  run_lps=$(rate "$lines" $((t1 - t0)))
  run_rss=$(awk '/VmHWM/ {print int($2 / 1024)}' /proc/$shipper_pid/status)
  echo "$name: $lines lines in $(( (t1 - t0) / 1000000 )) ms = $run_lps lines/s, $run_cpu µs CPU a line, peak RSS $run_rss MiB; /stats $(curl -sf "http://127.0.0.1:$shipper_http/stats")"
  kill $shipper_pid; wait $shipper_pid 2>/dev/null || true; unset 'pids[-1]'
}

# Default settings: every line gets a "ship" span (a root span when the line carries no traceparent).
run_ours ours
ours_lps=$run_lps; ours_cpu=$run_cpu; rss_mb=$run_rss
# For comparison: spans only for lines that carry a trace (seed-format lines carry none).
run_ours ours-untraced-no-span Shipper__TraceUntracedLines=false
echo "CPU per line (user+system, µs): ours=$ours_cpu rsyslog=$rsyslog_cpu kcat=$kcat_cpu; load average $(cut -d' ' -f1-3 /proc/loadavg)"
[ "${BENCH_ONLY:-}" != ours ] || exit 0
ratio_rsyslog=$(python3 -c "print(round($ours_lps / $rsyslog_lps, 2))")
ratio_kcat=$(python3 -c "print(round($ours_lps / $kcat_lps, 2))")
echo "RESULT bench=shipper lines=$lines ours_lps=$ours_lps rsyslog_lps=$rsyslog_lps kcat_lps=$kcat_lps ratio_rsyslog=$ratio_rsyslog ratio_kcat=$ratio_kcat rss_mb=$rss_mb"
