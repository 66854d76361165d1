#!/usr/bin/env bash
# The dashboard's event stream under many open pages: N clients hold GET /api/stream open for S seconds against
# the Release consumer (an idle topic on the embedded emulator); counts the frames (event: stats) each got and the
# consumer's CPU (user + system, all threads) over the same window.
# Usage: bench/sse.sh [clients] [seconds]   (default 200 clients, 20 s)
# frames_per_s is what the clients received in total per second (ideal: one per client per second);
# cpu_us_per_frame the consumer's CPU per frame sent (its three events), the figure to compare between versions.
set -euo pipefail
cd "$(dirname "$0")/.."
clients=${1:-200}
seconds=${2:-20}
out=bench/out/sse; mkdir -p "$out"
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

echo "building (Release)…"
dotnet build Clickstream.KafkaEmulator -c Release -v q -nologo >/dev/null
dotnet build Clickstream.Consumer -c Release -v q -nologo >/dev/null

kafka=$(free_port); http=$(free_port)
dotnet Clickstream.KafkaEmulator/bin/Release/net10.0/Clickstream.KafkaEmulator.dll --KafkaEmulator:Port="$kafka" \
  --KafkaEmulator:Partitions=4 --urls "http://127.0.0.1:$http" >"$out/emulator.log" 2>&1 &
pids+=($!)
until curl -sf "http://127.0.0.1:$http/health" >/dev/null; do sleep 0.05; done

cport=$(free_port)
ASPNETCORE_ENVIRONMENT=Production dotnet Clickstream.Consumer/bin/Release/net10.0/Clickstream.Consumer.dll \
  --urls "http://127.0.0.1:$cport" --ConnectionStrings:kafka="127.0.0.1:$kafka" \
  --Kafka:Consumer:Config:group.id="bench-sse-$(date +%s)" --Reconciliation:PixelUrl=http://127.0.0.1:9 \
  --Reconciliation:ShipperUrl=http://127.0.0.1:9 --Logging:LogLevel:Default=Warning >"$out/consumer.log" 2>&1 &
pids+=($!)
consumer=$!
until curl -sf "http://127.0.0.1:$cport/health" >/dev/null; do sleep 0.1; done

python3 - "$cport" "$clients" "$seconds" "$consumer" <<'PY'
import asyncio, os, sys, time
port, clients, seconds, pid = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
tick = os.sysconf("SC_CLK_TCK")
def cpu():
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / tick
frames = [0] * clients
measuring = False
async def client(i, connected):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET /api/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n".encode())
    await writer.drain()
    connected.release()
    while True:
        line = await reader.readline()
        if not line:
            return
        if measuring and line.startswith(b"event: stats"):
            frames[i] += 1
async def main():
    global measuring
    connected = asyncio.Semaphore(0)
    tasks = [asyncio.create_task(client(i, connected)) for i in range(clients)]
    for _ in range(clients):
        await connected.acquire()
    await asyncio.sleep(2)  # every stream past its first frame
    measuring, c0, t0 = True, cpu(), time.monotonic()
    await asyncio.sleep(seconds)
    measuring, c1, t1 = False, cpu(), time.monotonic()
    for t in tasks:
        t.cancel()
    total, wall = sum(frames), t1 - t0
    starved = sum(1 for f in frames if f < seconds / 2)
    print(f"{clients} clients, {wall:.1f} s: {total} frames ({total / wall:.0f}/s, ideal {clients}/s), {starved} clients under half their frames; "
          f"consumer CPU {c1 - c0:.2f} s ({(c1 - c0) / wall * 1000:.0f} ms a second)")
    print(f"RESULT bench=sse clients={clients} seconds={seconds:g} frames_per_s={total / wall:.0f} starved={starved} "
          f"cpu_ms_per_s={(c1 - c0) / wall * 1000:.0f} cpu_us_per_frame={(c1 - c0) * 1e6 / max(total, 1):.0f}")
asyncio.run(main())
PY
