#!/usr/bin/env bash
# Build the release binaries and the mining benchmark (tests/benches/mining_bench.rs), then run
# it: createNewBlock and getBlock over IPC against a real bitcoin-node with 500 and 5,000
# mempool transactions, pinned to one CPU and unpinned, with the IPC floor (echo) and getTip
# measured in the same run. Extra arguments go to the bench, e.g. `--calls 100`.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
build_log="$(mktemp)"
trap 'rm -f "$build_log"' EXIT
if ! cargo build --release --bins >"$build_log" 2>&1 ||
    ! cargo bench -p tests --bench mining_bench --no-run >>"$build_log" 2>&1; then
    cat "$build_log" >&2
    exit 1
fi
bench="$(sed -n 's/^ *Executable .*(\(.*\/mining_bench-[0-9a-f]*\))$/\1/p' "$build_log" | tail -n 1)"
if [[ -z "$bench" || ! -x "$bench" ]]; then
    cat "$build_log" >&2
    echo "error: cannot find the built mining_bench" >&2
    exit 1
fi
echo "# Mining benchmark"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "- commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "- nproc: $(nproc); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
"$bench" "$@"
echo
echo "- load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
