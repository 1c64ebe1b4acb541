#!/usr/bin/env bash
# Wallet benchmarks, built in release mode:
#   (a) wallet_scan (bitcoin-node/benches/wallet_scan.rs): a rescan of 2,000 regtest blocks
#       (100,000 spends, 200 paying the wallet) through Chain::scan, in-process vs over IPC on
#       a unix socket, with the bytes that crossed the socket;
#   (b) sendtoaddress latency through bitcoin-cli (over the node's IPC socket) with the wallet
#       in its own process (bitcoin-node, which spawns bitcoin-wallet) vs in-process
#       (bitcoind). Both nodes run at once and the sends alternate between them, so load
#       from elsewhere hits both alike. Each send is the wall time of one bitcoin-cli process.
# Arguments: --sends N (default 50) for (b); anything else goes to wallet_scan (--runs N).
# Only (b): --only-sends; only (a): --only-scan.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

sends=50
scan=1
send=1
scan_args=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --sends) sends="$2"; shift 2 ;;
        --only-sends) scan=0; shift ;;
        --only-scan) send=0; shift ;;
        *) scan_args+=("$1"); shift ;;
    esac
done

build_log="$(mktemp)"
work="$(mktemp -d /tmp/bench-wallet-XXXXXX)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$work" "$build_log"
}
trap cleanup EXIT
if ! cargo build --release --bins >"$build_log" 2>&1 ||
    ! cargo bench -p bitcoin-node --bench wallet_scan --no-run >>"$build_log" 2>&1; then
    cat "$build_log" >&2
    exit 1
fi
scan_bin="$(sed -n 's/^ *Executable .*(\(.*\/wallet_scan-[0-9a-f]*\))$/\1/p' "$build_log" | tail -n 1)"
bin="$PWD/target/release"
for exe in "$scan_bin" "$bin/bitcoin-node" "$bin/bitcoind" "$bin/bitcoin-wallet" "$bin/bitcoin-cli"; do
    if [[ -z "$exe" || ! -x "$exe" ]]; then
        cat "$build_log" >&2
        echo "error: cannot find a built executable ($exe)" >&2
        exit 1
    fi
done

echo "# Wallet benchmarks"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "- commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "- nproc: $(nproc); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

if [[ "$scan" == 1 ]]; then
    echo "## (a) Rescan: $scan_bin ${scan_args[*]:-}"
    echo
    "$scan_bin" "${scan_args[@]}"
    echo
fi

[[ "$send" == 1 ]] || exit 0

# cli <datadir> <args...>: bitcoin-cli over the node's IPC socket.
cli() {
    local dir="$1"
    shift
    "$bin/bitcoin-cli" -regtest -datadir="$dir" -ipcconnect=unix "$@"
}

start() {
    local exe="$1" dir="$work/$1"
    mkdir -p "$dir"
    "$bin/$exe" -regtest -datadir="$dir" -ipcbind=unix -server=0 -printtoconsole=0 \
        -fallbackfee=0.0002 >"$work/$exe.out" 2>&1 &
    pids+=("$!")
    for _ in $(seq 100); do
        [[ -S "$dir/regtest/node.sock" ]] && break
        sleep 0.1
    done
    cli "$dir" createwallet w >/dev/null
    local address
    address="$(cli "$dir" -rpcwallet=w getnewaddress)"
    cli "$dir" generatetoaddress 110 "$address" >/dev/null
    for _ in $(seq 100); do
        [[ "$(cli "$dir" -rpcwallet=w getbalance)" != "0.00000000" ]] && break
        sleep 0.1
    done
}

# send <exe> <to>: one timed sendtoaddress, its wall time in µs appended to $work/<exe>.times.
send() {
    local dir="$work/$1" started ended
    started="$EPOCHREALTIME"
    cli "$dir" -rpcwallet=w sendtoaddress "$2" 0.01 >/dev/null
    ended="$EPOCHREALTIME"
    echo "$(( (${ended/./} - ${started/./}) ))" >>"$work/$1.times"
}

stats() {
    sort -n "$work/$1.times" | awk '{ v[NR] = $1 } END {
        m = v[int((NR + 1) / 2)]; p = v[int(NR * 0.9 + 0.999)]
        printf "| %s | %d | %.1f ms | %.1f ms | %.1f ms | %.1f ms |\n", name, NR, m / 1000, p / 1000, v[1] / 1000, v[NR] / 1000
    }' name="$2"
}

echo "## (b) sendtoaddress through bitcoin-cli (IPC), $sends sends each, alternating"
echo
for exe in bitcoin-node bitcoind; do
    start "$exe"
done
to="bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"
for i in $(seq 0 $((sends + 5 - 1))); do
    for exe in bitcoin-node bitcoind; do
        send "$exe" "$to"
        # Confirm every 10 sends (untimed), so unconfirmed chains stay short.
        if (( (i + 1) % 10 == 0 )); then
            cli "$work/$exe" generatetoaddress 1 "$to" >/dev/null
        fi
    done
    if (( i == 4 )); then
        # The first 5 sends of each are warm-up.
        rm -f "$work/bitcoin-node.times" "$work/bitcoind.times"
    fi
done
echo "| Wallet | Sends | Median | p90 | Min | Max |"
echo "|---|---:|---:|---:|---:|---:|"
stats bitcoin-node "own process: \`bitcoin-node\` + spawned \`bitcoin-wallet\`"
stats bitcoind "in-process: \`bitcoind\`"
floor_dir="$work/bitcoind"
: >"$work/floor.times"
for _ in $(seq "$sends"); do
    started="$EPOCHREALTIME"
    cli "$floor_dir" getblockcount >/dev/null
    ended="$EPOCHREALTIME"
    echo "$(( (${ended/./} - ${started/./}) ))" >>"$work/floor.times"
done
stats floor "floor: \`bitcoin-cli getblockcount\` against \`bitcoind\`"
echo
echo "- load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
