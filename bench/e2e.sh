#!/usr/bin/env bash
# The whole pipeline under load: starts the AppHost on embedded defaults (fresh data directory, free
# ports), drives the pixel with wrk at fixed rates and at the maximum, and prints for each rate the hits
# answered 200, the hits the consumer counted (must be equal), freshness (hit -> counted) p50/p99 from
# the consumer, and CPU and RSS of each service. On demand, not a test.
# Usage: bench/e2e.sh [kestrel|nginx]     (or PIXEL=nginx); RATES="1000 5000 20000 max" SECONDS_PER_RATE=30
set -euo pipefail
cd "$(dirname "$0")/.."
pixel_server=${1:-${PIXEL:-kestrel}}
rates=${RATES:-1000 5000 20000 max}
duration=${SECONDS_PER_RATE:-30}
out=bench/out/e2e-$pixel_server; rm -rf "$out"; mkdir -p "$out/data"
for tool in wrk curl python3; do command -v $tool >/dev/null || { echo "$tool missing: apt-get install $tool"; exit 1; }; done

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
pixel_port=$(free_port); consumer_port=$(free_port); kafka_port=$(free_port)
pixel="http://127.0.0.1:$pixel_port"; consumer="http://127.0.0.1:$consumer_port"

dotnet build Clickstream.AppHost -c Release -v q -nologo >"$out/build.log" 2>&1 || { tail -20 "$out/build.log"; exit 1; }
ASPIRE_ALLOW_UNSECURED_TRANSPORT=true dotnet run -c Release --no-build --project Clickstream.AppHost --launch-profile http -- \
  --Clickstream:DataDirectory="$PWD/$out/data" --Clickstream:Ports:Pixel="$pixel_port" \
  --Clickstream:Ports:Consumer="$consumer_port" --Clickstream:Ports:Kafka="$kafka_port" \
  --Pixel:Server="$pixel_server" >"$out/apphost.log" 2>&1 &
apphost=$!
cleanup() { kill -TERM "$apphost" 2>/dev/null || true; wait "$apphost" 2>/dev/null || true; }
trap cleanup EXIT

echo "starting the pipeline (pixel=$pixel_server) ..."
for _ in $(seq 1 240); do
  curl -sf "$consumer/health" >/dev/null 2>&1 && curl -sf "$pixel/health" >/dev/null 2>&1 && break
  kill -0 "$apphost" 2>/dev/null || { tail -20 "$out/apphost.log"; exit 1; }
  sleep 0.5
done
curl -sf -o /dev/null "$pixel/i?param=warmup"

stats() { curl -sf "$consumer/api/stats"; }
# Hits the pixel answered, by its own count: the Kestrel pixel's /stats; nginx has none, so the lines in
# its access log (nginx does not rotate here; read once the consumer has caught up, so the buffer is out).
served() {
  if [ "$pixel_server" = nginx ]; then cat "$out"/data/logs/*.log 2>/dev/null | wc -l; return; fi
  curl -sf "$pixel/stats" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["hitsServed"])' 2>/dev/null || echo na
}
total() { stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["totalEvents"])'; }
# Freshness as the consumer measures it (hit time in the log line -> applied; its last 4,096 events
# within a minute), read right after each rate's run has drained.
freshness() { stats | python3 -c '
import json,sys
s=json.load(sys.stdin)
fmt=lambda v: "na" if v is None else round(v)
print(fmt(s.get("freshnessP50Ms")), fmt(s.get("freshnessP99Ms")))'; }

# The service processes DCP started: name -> pid (nginx: its master).
declare -A pids
find_pids() {
  for svc in Pixel Shipper Consumer KafkaEmulator; do
    local pid; pid=$(pgrep -f "Clickstream\.$svc(\.dll)?( |$)" | while read -r p; do
      grep -q "dotnet.*run" "/proc/$p/cmdline" 2>/dev/null || echo "$p"; done | head -1 || true)
    [ -n "$pid" ] && pids[$svc]=$pid
  done
  if [ "$pixel_server" = nginx ]; then pids[Pixel]=$(pgrep -f "nginx: master.*$out" | head -1 || pgrep -o nginx); fi
}
cpu_ticks() { # pid (nginx: master + workers)
  local total=0
  for p in $1 $(pgrep -P "$1" 2>/dev/null); do
    [ -r "/proc/$p/stat" ] && total=$((total + $(awk '{print $14+$15}' "/proc/$p/stat")))
  done
  echo $total
}
rss_mb() { local kb=0; for p in $1 $(pgrep -P "$1" 2>/dev/null); do kb=$((kb + $(awk '/VmRSS/{print $2}' /proc/$p/status 2>/dev/null || echo 0))); done; echo $((kb / 1024)); }

# The warm-up hit is counted before the first rate starts.
for _ in $(seq 1 60); do [ "$(total)" -ge 1 ] && break; sleep 0.5; done

find_pids
echo "services: $(for k in "${!pids[@]}"; do printf '%s=%s ' "$k" "${pids[$k]}"; done)"
hz=$(getconf CLK_TCK)

for rate in $rates; do
  before=$(total); served_before=$(served)
  declare -A t0; for k in "${!pids[@]}"; do t0[$k]=$(cpu_ticks "${pids[$k]}"); done
  if [ "$rate" = max ]; then conns=64; export WRK_DELAY_MS=0; else
    # Each connection waits 10 ms between requests, ~90/s with the answer's own time: enough connections for the
    # rate. Without wrk2 this paces only roughly; achieved_rps says what ran.
    export WRK_DELAY_MS=10; conns=$(( (rate + 89) / 90 )); fi
  wrk -t2 -c"$conns" -d"${duration}s" -s bench/paced.lua "$pixel/i?param=bench&rate=$rate" >"$out/wrk-$rate.txt" 2>&1
  requests=$(awk '/requests in/{print $1}' "$out/wrk-$rate.txt")
  bad=$(awk '/Non-2xx/{print $NF}' "$out/wrk-$rate.txt"); bad=${bad:-0}
  sent=$((requests - bad))
  # wrk does not count requests still in flight when it stops, the pixel does: its count is the truth.
  sleep 0.5; served_after=$(served)   # after nginx's 50 ms log buffer and the last answers
  if [ "$served_before" != na ] && [ "$served_after" != na ]; then sent=$((served_after - served_before)); fi
  achieved=$(python3 -c "print(round($requests/$duration))")
  # Wait (bounded) for the consumer to count every hit answered 200.
  for _ in $(seq 1 120); do [ $(( $(total) - before )) -ge "$sent" ] && break; sleep 0.5; done
  sleep 2
  counted=$(( $(total) - before ))
  read -r p50 p99 < <(freshness)
  usage=""
  for k in Pixel Shipper Consumer KafkaEmulator; do
    [ -n "${pids[$k]:-}" ] || continue
    t1=$(cpu_ticks "${pids[$k]}")
    cpu=$(python3 -c "print(round(100*($t1-${t0[$k]})/$hz/$duration))")
    usage="$usage ${k,,}_cpu_pct=$cpu ${k,,}_rss_mb=$(rss_mb "${pids[$k]}")"
  done
  echo "rate=$rate achieved_rps=$achieved wrk_2xx=$((requests - bad)) connections=$conns non2xx=$bad$usage" | tee -a "$out/summary.txt"
  echo "RESULT bench=e2e pixel=$pixel_server rate=$rate sent=$sent counted=$counted lost=$((sent - counted)) p50_ms=$p50 p99_ms=$p99" | tee -a "$out/summary.txt"
done
