#!/usr/bin/env bash
# Pixel benchmark: wrk on loopback against nginx (1 worker, the rendered pixel template) and the Kestrel pixel
# (Release), each pinned to the same single core with taskset, both writing their access log, same URL with a
# query string, same connections. Several alternating rounds; medians. Ends with exactly one RESULT line.
#
#   bench/pixel.sh                      # defaults below
#   ROUNDS=5 DURATION=10 CONNECTIONS=64 bench/pixel.sh
#
#   PIXEL_ARGS="--Pixel:InlineScheduling=false" bench/pixel.sh   # extra arguments for the Kestrel pixel
#
# On a shared machine req/s follows whatever else runs on the server's core (nginx's single worker suffers most
# when it is descheduled); cpu_us/req, the server's own CPU time per answered request, is the steadier figure.
# Measured 2026-11-27 on the shared 2-core box (load average 4-12): nginx 14-16 us/req, ours 20-24 us/req
# (cpu-time ratio 0.59-0.78); a bare Kestrel GIF endpoint (no OpenTelemetry, no log) 12-16 us/req; the pixel with
# OTEL_SDK_DISABLED=true ~4-6 us/req less. req/s medians swung from 0.74x to 2.3x nginx between runs.
#
# Needs: .NET SDK, nginx (/usr/sbin/nginx), wrk, taskset. Core layout: the server on SERVER_CPU, wrk on WRK_CPU.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-8}
WARMUP=${WARMUP:-10}
CONNECTIONS=${CONNECTIONS:-64}
SERVER_CPU=${SERVER_CPU:-1}
WRK_CPU=${WRK_CPU:-0}
URL_PATH='/i?param=testing&page=%2Fproducts%2F42&ref=bench'
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

work=$(mktemp -d /tmp/clickstream-bench-pixel.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 100); do curl -fso /dev/null "http://127.0.0.1:$1$URL_PATH" && return 0; sleep 0.1; done; echo "pixel.sh: nothing answers on port $1" >&2; return 1; }

echo "building the Kestrel pixel (Release)..."
dotnet build Clickstream.Pixel -c Release -o "$work/bin" -v q -nologo 2>&1 | grep -E "error|Warn|Elapsed" || true
pixel_dll="$work/bin/Clickstream.Pixel.dll"

nginx_port=$(free_port)
mkdir -p "$work/nginx/logs"
dotnet "$pixel_dll" nginx-config "$work/nginx" "$nginx_port" "$work/nginx/logs/access.log" > "$work/nginx/nginx.conf"
taskset -c "$SERVER_CPU" "$NGINX" -p "$work/nginx" -c "$work/nginx/nginx.conf" -g 'daemon off;' 2>"$work/nginx/error.log" &
nginx_pid=$!
pids+=($nginx_pid)

ours_port=$(free_port)
mkdir -p "$work/kestrel/logs"
ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning \
  taskset -c "$SERVER_CPU" dotnet "$pixel_dll" --urls "http://127.0.0.1:$ours_port" \
  --AccessLog:Directory="$work/kestrel/logs" ${PIXEL_ARGS:-} >"$work/kestrel/out.log" 2>&1 &
ours_pid=$!
pids+=($ours_pid)

wait_port "$nginx_port"
wait_port "$ours_port"

# CPU time (clock ticks) of a process and its children (nginx's worker, .NET's threads are in the process).
cpu_ticks() {
  local total=0 p
  for p in "$1" $(ps -o pid= --ppid "$1"); do
    total=$((total + $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo "$total"
}

# wrk's summary -> "rps p50_ms p99_ms cpu_us_per_request". The CPU time per request is what a shared, busy
# machine distorts least: throughput moves with whatever else runs, the server's own CPU per hit much less.
run_wrk() {
  local before after
  before=$(cpu_ticks "$3")
  taskset -c "$WRK_CPU" wrk -t1 -c"$CONNECTIONS" -d"$2"s --latency "http://127.0.0.1:$1$URL_PATH" > "$work/wrk.txt"
  after=$(cpu_ticks "$3")
  awk -v ticks=$((after - before)) -v hz="$(getconf CLK_TCK)" '
    function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
    /^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) } /^Requests\/sec:/ { rps = $2 }
    / requests in / { n = $1 } /Non-2xx/ { bad = $NF }
    END { if (bad > 0) { print "pixel.sh: non-2xx answers" > "/dev/stderr" }
          printf "%.0f %.3f %.3f %.1f\n", rps, p50, p99, (n > 0 ? ticks / hz * 1e6 / n : 0) }' "$work/wrk.txt"
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "warm-up ${WARMUP}s each..."
run_wrk "$nginx_port" "$WARMUP" "$nginx_pid" >/dev/null
run_wrk "$ours_port" "$WARMUP" "$ours_pid" >/dev/null

: > "$work/nginx.txt"; : > "$work/ours.txt"
for round in $(seq 1 "$ROUNDS"); do
  n=$(run_wrk "$nginx_port" "$DURATION" "$nginx_pid"); echo "$n" >> "$work/nginx.txt"
  o=$(run_wrk "$ours_port" "$DURATION" "$ours_pid"); echo "$o" >> "$work/ours.txt"
  echo "round $round: nginx $n | ours $o   (req/s p50_ms p99_ms cpu_us/req)"
done

col() { awk -v c="$2" '{ print $c }' "$1" | median; }
nginx_rps=$(col "$work/nginx.txt" 1); nginx_p50=$(col "$work/nginx.txt" 2); nginx_p99=$(col "$work/nginx.txt" 3)
ours_rps=$(col "$work/ours.txt" 1); ours_p50=$(col "$work/ours.txt" 2); ours_p99=$(col "$work/ours.txt" 3)
nginx_cpu=$(col "$work/nginx.txt" 4); ours_cpu=$(col "$work/ours.txt" 4)
ratio=$(awk -v a="$ours_rps" -v b="$nginx_rps" 'BEGIN { printf "%.2f", a / b }')

sleep 0.5
echo "log lines: nginx $(wc -l < "$work/nginx/logs/access.log"), ours $(cat "$work"/kestrel/logs/*.log | wc -l)"
echo "median of $ROUNDS x ${DURATION}s, $CONNECTIONS connections, server on cpu $SERVER_CPU, wrk on cpu $WRK_CPU"
echo "load average while measuring: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
printf "%-6s %10s %9s %9s %12s\n" server req/s p50_ms p99_ms cpu_us/req
printf "%-6s %10s %9s %9s %12s\n" nginx "$nginx_rps" "$nginx_p50" "$nginx_p99" "$nginx_cpu"
printf "%-6s %10s %9s %9s %12s\n" ours "$ours_rps" "$ours_p50" "$ours_p99" "$ours_cpu"
echo "cpu-time ratio (nginx cpu/req / ours cpu/req, 1.0 = as cheap as nginx): $(awk -v a="$nginx_cpu" -v b="$ours_cpu" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
echo "RESULT bench=pixel ours_rps=$ours_rps nginx_rps=$nginx_rps ratio_nginx=$ratio ours_p99_ms=$ours_p99 nginx_p99_ms=$nginx_p99"
