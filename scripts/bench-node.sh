#!/usr/bin/env bash
# Build bitcoin-node and its node benchmarks in release mode, then run:
#   - connect_bench (bitcoin-node/benches/connect_bench.rs): connecting a generated regtest
#     chain of 2,000 blocks / 100,000 spends, with and without the coins view;
#   - rpc_bench (bitcoin-node/benches/rpc_bench.rs): getblockcount requests/s against a real
#     bitcoin-node process, 1 then 8 keep-alive clients.
# Each prints markdown tables. Arguments after `--rpc` go to rpc_bench, the others to
# connect_bench, e.g. `scripts/bench-node.sh --runs 1 --rpc --seconds 2 --rounds 1`.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

connect_args=()
rpc_args=()
target=connect
for arg in "$@"; do
    if [[ "$arg" == "--rpc" ]]; then
        target=rpc
    elif [[ "$target" == rpc ]]; then
        rpc_args+=("$arg")
    else
        connect_args+=("$arg")
    fi
done

build_log="$(mktemp)"
trap 'rm -f "$build_log"' EXIT
if ! cargo build --release -p bitcoin-node --bins >"$build_log" 2>&1 ||
    ! cargo bench -p bitcoin-node --bench connect_bench --bench rpc_bench --no-run >>"$build_log" 2>&1; then
    cat "$build_log" >&2
    exit 1
fi
bench_bin() {
    sed -n "s/^ *Executable .*(\(.*\/$1-[0-9a-f]*\))$/\1/p" "$build_log" | tail -n 1
}
connect_bin="$(bench_bin connect_bench)"
rpc_bin="$(bench_bin rpc_bench)"
node_bin="$PWD/target/release/bitcoin-node"
for bin in "$connect_bin" "$rpc_bin" "$node_bin"; do
    if [[ -z "$bin" || ! -x "$bin" ]]; then
        cat "$build_log" >&2
        echo "error: cannot find a built executable ($bin)" >&2
        exit 1
    fi
done

echo "# Node benchmarks"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "- commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- bitcoin-node 2>/dev/null || echo ' (bitcoin-node/ has uncommitted changes)')"
echo "- nproc: $(nproc)"
echo "- CPU: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | sort | uniq -c | sed 's/^ *//')"
echo "- load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

echo "## Connecting blocks: $connect_bin ${connect_args[*]:-}"
echo
"$connect_bin" "${connect_args[@]}"
echo
echo "## RPC: BITCOIN_NODE_BIN=$node_bin $rpc_bin ${rpc_args[*]:-}"
echo
BITCOIN_NODE_BIN="$node_bin" "$rpc_bin" "${rpc_args[@]}"
echo
echo "- load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
