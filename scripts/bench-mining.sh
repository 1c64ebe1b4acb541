#!/usr/bin/env bash
# Build the release binaries and the mining benchmark (tests/benches/mining_bench.rs), then run
# it: createNewBlock and getBlock over IPC against a real bitcoin-node with 500 and 5,000
# mempool transactions, pinned to one CPU and unpinned, with the IPC floor (echo) and getTip
# measured in the same run. Extra arguments go to the bench, e.g. `--calls 100`.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/bench-build.sh
source scripts/lib/bench-build.sh
export CARGO_TERM_COLOR=never
bench="$(build_bench tests mining_bench --bins)"
echo "# Mining benchmark"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "- commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "- nproc: $(nproc); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
"$bench" "$@"
echo
echo "- load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
