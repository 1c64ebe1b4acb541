#!/usr/bin/env bash
# Build the IPC benchmark (ipc/benches/ipc_bench.rs) in release mode and run it twice:
# pinned to CPU 0 with `taskset -c 0` (every thread on one CPU), then unpinned.
# Extra arguments go to the benchmark, e.g. `scripts/bench-ipc.sh --quick` for a smoke run.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/bench-build.sh
source scripts/lib/bench-build.sh
export CARGO_TERM_COLOR=never

bin="$(build_bench ipc ipc_bench)"

echo "# IPC benchmark"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "- commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- ipc 2>/dev/null || echo ' (ipc/ has uncommitted changes)')"
echo "- nproc: $(nproc)"
echo "- CPU: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | sort | uniq -c | sed 's/^ *//')"
echo "- load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- binary: $bin"
echo

if command -v taskset >/dev/null; then
    echo "## Pinned: taskset -c 0 $bin $*"
    echo
    taskset -c 0 "$bin" "$@"
else
    echo "## Pinned: skipped (taskset not installed)"
fi
echo
echo "## Unpinned: $bin $*"
echo
"$bin" "$@"
echo
echo "- load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
