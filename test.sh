#!/usr/bin/env bash
# The README's test command: installs what the tests need (kcat, nginx, chromium, logrotate, npm packages, azurite) when missing, then runs
# every test in the solution. Extra arguments go to `dotnet test` (e.g. --filter).
set -euo pipefail
cd "$(dirname "$0")"

need=()
command -v kcat >/dev/null 2>&1 || need+=(kcat)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v npm >/dev/null 2>&1 || need+=(npm)
command -v logrotate >/dev/null 2>&1 || [ -x /usr/sbin/logrotate ] || need+=(logrotate)
if [ ${#need[@]} -gt 0 ]; then
  echo "test.sh: installing ${need[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# Azurite, the Azure Storage emulator: the checkpoint and lake tests on Blob Storage start it.
command -v azurite-blob >/dev/null 2>&1 || npm install -g --no-audit --no-fund --loglevel=error azurite@3 >/dev/null

# Snowplow's browser tracker for the browser tests, at the version package-lock.json pins.
browser=tests/Clickstream.EndToEnd.Tests/browser
[ -f "$browser/node_modules/@snowplow/browser-tracker/dist/index.umd.min.js" ] || npm ci --prefix "$browser" --no-audit --no-fund --loglevel=error

dotnet test Clickstream.sln "$@"
