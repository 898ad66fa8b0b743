#!/usr/bin/env bash
# The accept path of docs/performance.md, with its floor in the same run:
# loadgen's no-op handler, then openwaba accepting the spec's hello_world
# scheduled a year ahead (so that only the accept path runs), closed loop
# (64 connections) and, with RATE=N, at that fixed rate. Prints loadgen's
# reports: rate, latency, the target's CPU per request (the gateway's; the
# handler's for the floor) and the client's own.
#
#   cmd/loadgen/scripts/accept.sh [SECONDS] [DATABASE_URL]
#
# Ports 9100 (no-op) and 9420 (gateway). Stops what it started, by PID.
set -euo pipefail
secs=${1:-10}
dburl=${2:-}
source "$(dirname "$0")/common.sh"

"$work/loadgen" noop -addr 127.0.0.1:9100 >/dev/null & noop=$!; pids+=($noop)
sleep 0.3
echo "== floor: no-op handler, closed loop"
"$work/loadgen" run -url http://127.0.0.1:9100/ -c 64 -d "${secs}s" -pid "$noop"

key=accept-key-0123456789abcdef
sender=4915112345678
store=(--data-dir "$work/data")
[ -n "$dburl" ] && store=(--database-url "$dburl")
OPENWABA_API_KEY=$key "$work/openwaba" serve "${store[@]}" --addr 127.0.0.1:9420 --log-level error & gw=$!; pids+=($gw)
for _ in $(seq 1 100); do curl -fs http://127.0.0.1:9420/readyz >/dev/null 2>&1 && break; sleep 0.1; done
"$work/openwaba" "${store[@]}" balance topup 100000000 >/dev/null
delay=$(date -u -d '+1 year' +%Y-%m-%dT%H:%M:%SZ)
echo '{"from":"'$sender'","to":"4917612345678","type":"template","template":"hello_world","language":"de","delay":"'$delay'"}' > "$work/body.json"
run() { "$work/loadgen" run -key "$key" -url http://127.0.0.1:9420/api/waba/messages -body "$work/body.json" -pid "$gw" "$@"; }
run -c 64 -d 2s >/dev/null # warm-up
echo "== accept, closed loop"
run -c 64 -d "${secs}s"
if [ -n "${RATE:-}" ]; then
  echo "== accept at $RATE/s"
  run -c 64 -d "${secs}s" -rate "$RATE"
fi
