#!/usr/bin/env bash
# Builds the suite and runs a regtest node through the `bitcoin` wrapper:
#   bitcoin node -regtest -ipcbind=unix
# so it listens for IPC on ~/.bitcoin/regtest/node.sock. Extra arguments replace the
# defaults and go to the wrapper (e.g. `scripts/run-node.sh -M node -regtest`, or
# `scripts/run-node.sh node -regtest -datadir=/tmp/d -ipcbind=unix -debug=ipc`).
# Stop it with Ctrl-C (the socket and pid file are removed).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo build --release --workspace --bins
args=("$@")
if [[ ${#args[@]} -eq 0 ]]; then
    args=(node -regtest -ipcbind=unix -fallbackfee=0.0002)
fi
exec target/release/bitcoin "${args[@]}"
