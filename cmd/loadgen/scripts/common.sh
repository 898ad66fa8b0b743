# Sourced by the load scripts: from the repository's root, builds openwaba
# and loadgen into $work (a temporary directory) and, on exit, stops every
# PID the script added to pids and removes $work.
cd "$(dirname "${BASH_SOURCE[0]}")/../../.."
work=$(mktemp -d)
go build -o "$work/openwaba" ./cmd/openwaba
go build -o "$work/loadgen" ./cmd/loadgen
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
