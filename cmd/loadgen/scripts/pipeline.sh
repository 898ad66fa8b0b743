#!/usr/bin/env bash
# The full pipeline of docs/performance.md, on loopback: openwaba in Meta
# mode in front of loadgen's fake Graph, which answers every send and
# posts Meta's sent, delivered and read webhooks back (signed); every
# status goes on to a customer hook (a no-op receiver). The load runs at a
# fixed rate the pipeline keeps up with; the gateway's CPU time is read
# when everything sent is read and delivered to the hook.
#
#   cmd/loadgen/scripts/pipeline.sh [RATE] [SECONDS] [DATABASE_URL]
#
# POSTERS=N: Meta's webhooks posted at once (16); BATCH=N: messages'
# reports of one status per webhook (1); HOOK=0: no customer hook (the
# share of the hook's five deliveries per message is the difference).
#
# Ports 9100 (hook), 9200 (fake Graph), 9400 (gateway). Stops what it
# started, by PID.
set -euo pipefail
rate=${1:-1000}
secs=${2:-10}
dburl=${3:-}
source "$(dirname "$0")/common.sh"

key=pipeline-key-0123456789abcdef
sender=4915112345678
store=(--data-dir "$work/data")
[ -n "$dburl" ] && store=(--database-url "$dburl")

"$work/loadgen" noop -addr 127.0.0.1:9100 >/dev/null & pids+=($!)
"$work/loadgen" graph -addr 127.0.0.1:9200 -webhook http://127.0.0.1:9400/webhooks/meta \
  -app-secret pipeline-secret -phone-number-id PN1 -display-number "$sender" \
  -posters "${POSTERS:-16}" -batch "${BATCH:-1}" >/dev/null & pids+=($!)
"$work/openwaba" "${store[@]}" senders add "$sender" --phone-number-id PN1 --waba-id W1 --mps 1000 >/dev/null 2>&1 || true
OPENWABA_API_KEY=$key OPENWABA_META_ACCESS_TOKEN=token OPENWABA_META_APP_SECRET=pipeline-secret \
  OPENWABA_META_GRAPH_URL=http://127.0.0.1:9200 \
  "$work/openwaba" serve "${store[@]}" --addr 127.0.0.1:9400 --log-level error --webhook-allow-private --metrics-allow 127.0.0.1/32 \
  ${PROFILE:+--debug-addr 127.0.0.1:9401} ${DRAIN_PROFILE:+--debug-addr 127.0.0.1:9401} & gw=$!; pids+=($gw)
for _ in $(seq 1 100); do curl -fs http://127.0.0.1:9400/readyz >/dev/null 2>&1 && break; sleep 0.1; done
"$work/openwaba" "${store[@]}" senders add "$sender" --phone-number-id PN1 --waba-id W1 --mps 1000 --update >/dev/null
"$work/openwaba" "${store[@]}" balance topup 100000000 >/dev/null
"$work/openwaba" "${store[@]}" templates sync >/dev/null 2>&1 || true
[ "${HOOK:-1}" = 0 ] || curl -fs -XPOST http://127.0.0.1:9400/api/hooks -H "X-Api-Key: $key" -H 'Content-Type: application/json' \
  -d '{"target_url":"http://127.0.0.1:9100/hook","event_type":"all","request_method":"JSON"}' >/dev/null
echo '{"from":"'$sender'","to":"4917612345678","type":"template","template":"hello_world","language":"de"}' > "$work/body.json"

cpu() { awk '{print $14+$15}' "/proc/$gw/stat"; }
tck=$(getconf CLK_TCK)
before=$(cpu)
# PROFILE=file: a CPU profile of the gateway over the load's seconds, or
# over PROFILE_SECONDS (the drain too, when longer).
[ -n "${PROFILE:-}" ] && { curl -fs "http://127.0.0.1:9401/debug/pprof/profile?seconds=${PROFILE_SECONDS:-$secs}" -o "$PROFILE" & }
start=$(date +%s.%N)
"$work/loadgen" run -key "$key" -url http://127.0.0.1:9400/api/waba/messages -body "$work/body.json" \
  -c 64 -d "${secs}s" -rate "$rate" | tee "$work/load.out"
n=$(sed -n 's/^answers 200 success 100: //p' "$work/load.out")
# DRAIN_PROFILE=file: a CPU profile of the gateway over the 10 s after the load.
[ -n "${DRAIN_PROFILE:-}" ] && { curl -fs "http://127.0.0.1:9401/debug/pprof/profile?seconds=10" -o "$DRAIN_PROFILE" & }
# Wait until the gateway has taken the three reports of every message
# and the queue and the outbox are empty. The reports are counted first:
# the fake Graph queues them on its side when the gateway answers its
# webhooks slower than they come, and an empty queue and outbox while
# the fake Graph still holds thousands of them is not the end of the run
# (docs/performance.md, "Group sizes, and the pipeline's end measured wrong").
reports() { curl -fs http://127.0.0.1:9400/metrics | awk '/^openwaba_status_reports_total\{/ { n += $2 } END { print n + 0 }'; }
for _ in $(seq 1 1200); do
  if [ "$(reports)" -ge $((3 * n)) ]; then
    q=$(curl -fs http://127.0.0.1:9400/api/waba/queue -H "X-Api-Key: $key")
    due=$(echo "$q" | jq '[.senders[].due] | add // 0')
    pending=$(echo "$q" | jq '[.hooks[].pending] | add // 0')
    [ "$due" = 0 ] && [ "$pending" = 0 ] && break
  fi
  sleep 0.5
done
end=$(date +%s.%N)
after=$(cpu)
awk -v b="$before" -v a="$after" -v t="$tck" -v s="$start" -v e="$end" -v n="$n" 'BEGIN {
  cpu = (a - b) / t
  printf "pipeline: %d messages in %.1f s until drained (%.0f msgs/s), gateway CPU %.2f s: %.0f µs per message\n", n, e - s, n / (e - s), cpu, cpu / n * 1e6 }'
echo "queue at the end: $q"
# The store's groups (openwaba_store_group_size): how many writes each
# kind took and how many requests shared one, on average.
curl -fs http://127.0.0.1:9400/metrics | awk '
  /^openwaba_status_reports_total\{/ { reports += $2 }
  /^openwaba_webhook_deliveries_total\{.*outcome="delivered"/ { delivered += $2 }
  /^openwaba_store_group_size_(sum|count)\{/ {
    match($0, /group="[a-z]+"/); g = substr($0, RSTART + 7, RLENGTH - 8)
    if ($0 ~ /_sum/) sum[g] = $2; else cnt[g] = $2 }
  END { printf "status reports %d, hook deliveries %d; groups:", reports, delivered; for (g in cnt) printf " %s %d (%.1f each)", g, cnt[g], cnt[g] ? sum[g] / cnt[g] : 0; print "" }' || true
