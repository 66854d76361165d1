-- wrk pacing: each connection waits WRK_DELAY_MS (integer ms) before each request, so
-- connections / delay gives a target rate (wrk itself has no rate option; wrk2 is not packaged).
local delay_ms = tonumber(os.getenv("WRK_DELAY_MS") or "0")
function delay()
  return delay_ms
end
