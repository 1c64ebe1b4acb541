#!/usr/bin/env bash
# Builds and runs bitcoin-node on regtest, listening for IPC on <datadir>/regtest/node.sock.
# Extra arguments are passed to bitcoin-node (e.g. -datadir=/tmp/x -debug=ipc).
# Stop it with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p bitcoin-node
args=("$@")
if [[ ${#args[@]} -eq 0 ]]; then
    args=(-regtest -ipcbind=unix -printtoconsole)
fi
exec target/release/bitcoin-node "${args[@]}"
