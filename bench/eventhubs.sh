#!/usr/bin/env bash
# What the emulator's Event Hubs-style listener costs: kcat produces and consumes the same lines through the
# plain port (127.0.0.1, the relay in front of the mock broker), through the listener's TLS + SASL PLAIN port
# (as Event Hubs' Kafka endpoint: SASL_SSL, $ConnectionString, the generated CA) and through its SASL_PLAINTEXT
# port (the Event Hubs emulator's convention), in one run, each on a fresh emulator, alternated twice; best of
# two per path. The ratios are listener / plain lines/s (1.0 = free) and the emulator's CPU for the same work
# (listener / plain: what TLS + SASL + frame inspection cost it). On demand, not a test.
# Usage: bench/eventhubs.sh [lines]   (default 200000 lines of ~312 bytes)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/pipeline-defaults.sh
lines=${1:-200000}
out=bench/out/eventhubs; mkdir -p "$out"
command -v kcat >/dev/null || { echo "kcat missing: apt-get install kcat"; exit 1; }

dotnet build Clickstream.KafkaEmulator -c Release -v q -nologo >/dev/null
dll=Clickstream.KafkaEmulator/bin/Release/net10.0/Clickstream.KafkaEmulator.dll
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
port=$(free_port); eh=$(free_port); dev=$(free_port); http=$(free_port)
tls="$out/tls"

line=$sample_line
python3 - "$lines" "$line" > "$out/lines.txt" <<'PY'
import sys
n, line = int(sys.argv[1]), sys.argv[2]
for i in range(n):
    print(f"{i:032x}\t{line}")
PY

# The development rule with Send and Listen (public, like the Event Hubs emulator's SAS_KEY_VALUE).
connection="Endpoint=sb://localhost:$eh/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE;EntityPath=$topic"
development="Endpoint=sb://localhost:$dev;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;EntityPath=$topic"

start_emulator() {
  dotnet "$dll" --KafkaEmulator:Port="$port" --KafkaEmulator:Partitions=64 --KafkaEmulator:EventHubs:Enabled=true \
    --KafkaEmulator:EventHubs:Port="$eh" --KafkaEmulator:EventHubs:DevelopmentEmulatorPort="$dev" \
    --KafkaEmulator:EventHubs:CertificateDirectory="$PWD/$tls" --urls "http://127.0.0.1:$http" >"$out/emulator.log" 2>&1 &
  pid=$!
  until curl -sf "http://127.0.0.1:$http/health" >/dev/null; do sleep 0.05; done
}
stop_emulator() { kill "$pid"; wait "$pid" 2>/dev/null || true; }
rate() { python3 -c "print(round($1/($2/1e9)))"; }
cpu_ms() { awk '{print ($14+$15)*10}' "/proc/$pid/stat"; }   # the emulator's user+sys CPU (100 Hz ticks)

# path name -> kcat connection arguments (the password goes separately and is never printed)
args_for() {
  case $1 in
    plain) echo "-b 127.0.0.1:$port" ;;
    sasl_ssl) echo "-b localhost:$eh -X security.protocol=SASL_SSL -X sasl.mechanisms=PLAIN -X sasl.username=\$ConnectionString -X ssl.ca.location=$tls/ca.crt" ;;
    sasl_plaintext) echo "-b localhost:$dev -X security.protocol=SASL_PLAINTEXT -X sasl.mechanisms=PLAIN -X sasl.username=\$ConnectionString" ;;
  esac
}
declare -A best_produce best_consume cpu_total
run() { # path
  local path=$1 t0 t1 got p c c0 c1
  start_emulator
  local pw=()
  case $path in sasl_ssl) pw=(-X "sasl.password=$connection") ;; sasl_plaintext) pw=(-X "sasl.password=$development") ;; esac
  c0=$(cpu_ms)
  t0=$(date +%s%N); kcat $(args_for "$path") "${pw[@]}" -t "$topic" -P -K $'\t' -l "$out/lines.txt"; t1=$(date +%s%N)
  p=$(rate "$lines" $((t1-t0)))
  t0=$(date +%s%N); got=$(kcat $(args_for "$path") "${pw[@]}" -t "$topic" -C -o beginning -e -q -f '.\n' | wc -l); t1=$(date +%s%N)
  c=$(rate "$got" $((t1-t0)))
  c1=$(cpu_ms)
  stop_emulator
  cpu_total[$path]=$(( ${cpu_total[$path]:-0} + c1 - c0 ))
  [ "$got" -eq "$lines" ] || { echo "$path: read back $got of $lines lines"; exit 1; }
  echo "$path: produce $p lines/s, consume $c lines/s ($got of $lines read back), emulator CPU $((c1 - c0)) ms"
  [ "${best_produce[$path]:-0}" -ge "$p" ] || best_produce[$path]=$p
  [ "${best_consume[$path]:-0}" -ge "$c" ] || best_consume[$path]=$c
}

for round in 1 2; do
  for path in plain sasl_ssl sasl_plaintext; do run "$path"; done
done

ratio() { python3 -c "print(round($1/$2, 3))"; }
produce_ratio=$(ratio "${best_produce[sasl_ssl]}" "${best_produce[plain]}")
consume_ratio=$(ratio "${best_consume[sasl_ssl]}" "${best_consume[plain]}")
echo "best of 2: plain ${best_produce[plain]}/${best_consume[plain]}, SASL_SSL ${best_produce[sasl_ssl]}/${best_consume[sasl_ssl]}, SASL_PLAINTEXT ${best_produce[sasl_plaintext]}/${best_consume[sasl_plaintext]} lines/s (produce/consume)"
cpu_ratio=$(ratio "${cpu_total[sasl_ssl]}" "${cpu_total[plain]}")
echo "emulator CPU over both rounds: plain ${cpu_total[plain]} ms, SASL_SSL ${cpu_total[sasl_ssl]} ms, SASL_PLAINTEXT ${cpu_total[sasl_plaintext]} ms"
echo "RESULT bench=eventhubs lines=${lines} plain_produce_lps=${best_produce[plain]} plain_consume_lps=${best_consume[plain]} sasl_ssl_produce_lps=${best_produce[sasl_ssl]} sasl_ssl_consume_lps=${best_consume[sasl_ssl]} sasl_plaintext_produce_lps=${best_produce[sasl_plaintext]} sasl_plaintext_consume_lps=${best_consume[sasl_plaintext]} produce_ratio=${produce_ratio} consume_ratio=${consume_ratio} emulator_cpu_ms_plain=${cpu_total[plain]} emulator_cpu_ms_sasl_ssl=${cpu_total[sasl_ssl]} cpu_ratio=${cpu_ratio}"
