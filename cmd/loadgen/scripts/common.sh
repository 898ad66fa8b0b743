# Sourced by the load scripts: from the repository's root, builds openwaba
# and loadgen into $work (a temporary directory) and, on exit, stops every
# PID the script added to pids, waits until they are gone, and removes
# $work.
cd "$(dirname "${BASH_SOURCE[0]}")/../../.."
work=$(mktemp -d)
go build -o "$work/openwaba" ./cmd/openwaba
go build -o "$work/loadgen" ./cmd/loadgen
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  # Wait until they are gone (the gateway drains first, up to 30 s): a run
  # started right after this one must have the CPU and the ports to itself,
  # or its figures are the two runs'.
  for p in "${pids[@]}"; do
    for _ in $(seq 1 300); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
