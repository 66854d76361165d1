#!/usr/bin/env bash
# What the embedded Kafka emulator (librdkafka's mock cluster) can do, measured: start time, idle
# memory, kcat produce/consume throughput through the fixed-port relay and straight to the mock
# broker, and the per-partition retention limit. On demand, not a test.
# Usage: bench/emulator.sh [lines]   (default 200000 lines of ~312 bytes)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/pipeline-defaults.sh
lines=${1:-200000}
out=bench/out/emulator; mkdir -p "$out"
command -v kcat >/dev/null || { echo "kcat missing: apt-get install kcat"; exit 1; }

dotnet build Clickstream.KafkaEmulator -c Release -v q -nologo >/dev/null
dll=Clickstream.KafkaEmulator/bin/Release/net10.0/Clickstream.KafkaEmulator.dll
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
http=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')

line=$sample_line
python3 - "$lines" "$line" > "$out/lines.txt" <<'PY'
import sys
n, line = int(sys.argv[1]), sys.argv[2]
for i in range(n):
    print(f"{i:032x}\t{line}")
PY

start_emulator() { # partitions
  local t0; t0=$(date +%s%N)
  dotnet "$dll" --KafkaEmulator:Port="$port" --KafkaEmulator:Partitions="$1" --urls "http://127.0.0.1:$http" >"$out/emulator.log" 2>&1 &
  pid=$!
  until curl -sf "http://127.0.0.1:$http/health" >/dev/null; do sleep 0.02; done
  start_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
}
stop_emulator() { kill "$pid"; wait "$pid" 2>/dev/null || true; }
rate() { python3 -c "print(round($1/($2/1e9)))"; }

start_emulator 64
sleep 1
rss_mb=$(awk '/VmRSS/{print int($2/1024)}' /proc/$pid/status)
first_start_ms=$start_ms
echo "emulator started in ${start_ms} ms (dotnet host included), idle RSS ${rss_mb} MiB, relay on 127.0.0.1:$port"

t0=$(date +%s%N); kcat -b "127.0.0.1:$port" -t "$topic" -P -K $'\t' -z lz4 -l "$out/lines.txt"; t1=$(date +%s%N)
relay_produce=$(rate "$lines" $((t1-t0)))
t0=$(date +%s%N); got=$(kcat -b "127.0.0.1:$port" -t "$topic" -C -o beginning -e -q -f '.\n' | wc -l); t1=$(date +%s%N)
relay_consume=$(rate "$got" $((t1-t0)))
echo "through the relay: produce ${relay_produce} msg/s, consume ${relay_consume} msg/s (${got} of ${lines} read back)"
stop_emulator

# Straight to the mock broker (port 0: no relay), as in-process tests and benchmarks use it.
port=0
dotnet "$dll" --KafkaEmulator:Port=0 --KafkaEmulator:Partitions=64 --urls "http://127.0.0.1:$http" >"$out/emulator.log" 2>&1 &
pid=$!
until curl -sf "http://127.0.0.1:$http/health" >/dev/null; do sleep 0.02; done
direct=$(curl -sf "http://127.0.0.1:$http/bootstrap")
t0=$(date +%s%N); kcat -b "$direct" -t "$topic" -P -K $'\t' -z lz4 -l "$out/lines.txt"; t1=$(date +%s%N)
direct_produce=$(rate "$lines" $((t1-t0)))
t0=$(date +%s%N); got=$(kcat -b "$direct" -t "$topic" -C -o beginning -e -q -f '.\n' | wc -l); t1=$(date +%s%N)
direct_consume=$(rate "$got" $((t1-t0)))
echo "direct to the mock broker: produce ${direct_produce} msg/s, consume ${direct_consume} msg/s"
stop_emulator

# Retention: one partition, uncompressed, well over 5 MiB.
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
start_emulator 1
head -n 40000 "$out/lines.txt" | cut -f2 > "$out/retention.txt"   # ~12 MiB
kcat -b "127.0.0.1:$port" -t "$topic" -P -l "$out/retention.txt"
kept=$(kcat -b "127.0.0.1:$port" -t "$topic" -C -o beginning -e -q -f '%o\n' | tee "$out/offsets.txt" | wc -l)
first=$(head -n1 "$out/offsets.txt")
bytes=$(wc -c < "$out/retention.txt")
echo "retention: wrote 40000 messages (${bytes} bytes) to 1 partition; ${kept} kept, first offset ${first}"
stop_emulator

echo "RESULT bench=emulator lines=${lines} start_ms=${first_start_ms} idle_rss_mb=${rss_mb} relay_produce_mps=${relay_produce} relay_consume_mps=${relay_consume} direct_produce_mps=${direct_produce} direct_consume_mps=${direct_consume} retention_kept=${kept} retention_first_offset=${first}"
