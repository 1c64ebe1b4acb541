#!/usr/bin/env bash
# Saves a screenshot of each view of bitcoin-gui into docs/screenshots/*.png: starts a regtest
# node in a temporary data directory, gives it a wallet with some history (mined coins, a send,
# an unconfirmed send), then runs the real GUI under Xvfb with -screenshots, which shows each
# view in turn, saves it with eframe's screenshot command and exits.
#
#   scripts/screenshots.sh              # writes docs/screenshots/{overview,send,...}.png
#
# Needs Xvfb and the X/GL libraries: scripts/setup.sh --gui installs them.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/docs/screenshots"
"$root/scripts/setup.sh" --gui
cd "$root"
cargo build --quiet -p bitcoin-node -p bitcoin-wallet -p bitcoin-wrapper -p bitcoin-gui
bin="$root/target/debug"

datadir="$(mktemp -d)"
mkdir -p "$datadir/peer"
node_pid=""
peer_pid=""
xvfb_pid=""
cleanup() {
    if [[ -n "$peer_pid" ]]; then
        kill "$peer_pid" 2>/dev/null || true
        wait "$peer_pid" 2>/dev/null || true
    fi
    if [[ -n "$node_pid" ]]; then
        kill "$node_pid" 2>/dev/null || true
        wait "$node_pid" 2>/dev/null || true
    fi
    if [[ -n "$xvfb_pid" ]]; then
        kill "$xvfb_pid" 2>/dev/null || true
    fi
    rm -rf "$datadir"
}
trap cleanup EXIT

port=$((20000 + RANDOM % 20000))
"$bin/bitcoin-node" -regtest -datadir="$datadir" -ipcbind=unix -printtoconsole=0 -fallbackfee=0.0002 \
    -bind=127.0.0.1 -port="$port" &
node_pid=$!
# A second node as its peer, so the Peers page has a row.
"$bin/bitcoin-node" -regtest -datadir="$datadir/peer" -printtoconsole=0 -connect="127.0.0.1:$port" \
    -disablewallet &
peer_pid=$!
for _ in $(seq 100); do
    [[ -S "$datadir/regtest/node.sock" ]] && break
    sleep 0.1
done
cli() { "$bin/bitcoin-cli" -regtest -datadir="$datadir" -ipcconnect=unix "$@"; }
cli -rpcwait getblockcount >/dev/null
cli createwallet demo >/dev/null
cli createwallet savings >/dev/null
mine_to="$(cli -rpcwallet=demo getnewaddress mining)"
cli generatetoaddress 110 "$mine_to" >/dev/null
to="$(cli -rpcwallet=savings getnewaddress)"
cli -rpcwallet=demo sendtoaddress "$to" 1.25 >/dev/null
cli generatetoaddress 1 "$mine_to" >/dev/null
cli -rpcwallet=demo -named sendtoaddress address="$to" amount=0.5 replaceable=true >/dev/null
cli unloadwallet savings >/dev/null

display=":$((90 + RANDOM % 100))"
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb_pid=$!
sleep 1
mkdir -p "$out"
DISPLAY="$display" LIBGL_ALWAYS_SOFTWARE=1 timeout 120 \
    "$bin/bitcoin-gui" -regtest -datadir="$datadir" -ipcconnect=unix -printtoconsole=0 -screenshots="$out"
ls "$out"/*.png
