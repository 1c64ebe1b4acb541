#!/usr/bin/env bash
# Runs the Python end-to-end IPC tests against already-built binaries.
#
#   bash tests/python/run.sh [extra pytest args]
#
# BIN_DIR: directory holding bitcoin-node and ipc-test-peer (default <repo>/target/debug).
# This script does not build the Rust code; run `cargo build -p bitcoin-node -p tests` first.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
VENV="$REPO/target/python-venv"

"$REPO/scripts/setup.sh" --tests

export BIN_DIR="${BIN_DIR:-$REPO/target/debug}"
export PYTHONDONTWRITEBYTECODE=1

cd "$REPO"
status=0
"$VENV/bin/python" -m pytest -q tests/python "$@" || status=$?
if [ "$status" -eq 5 ]; then
    echo "run.sh: no tests ran" >&2
fi
exit "$status"
