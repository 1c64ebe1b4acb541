#!/usr/bin/env bash
# Regenerate the committed Rust code in schemas/src/generated from schemas/capnp.
# Needs the `capnp` compiler (Debian: capnproto) and `capnpc-rust` (cargo install capnpc --version 0.27.0).
# With --check, generate into a temporary directory and fail if the committed code differs.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/schemas/src/generated"
if [[ "${1:-}" == "--check" ]]; then
    out="$(mktemp -d)"
    trap 'rm -rf "$out"' EXIT
fi
mkdir -p "$out"
cd "$root/schemas/capnp"
capnp compile --no-standard-import -I. -orust:"$out" ./*.capnp
# The parsed schemas themselves, so tests can check ids and ordinals without the capnp tool.
capnp compile --no-standard-import -I. -o- ./*.capnp > "$out/schemas.bin"
if [[ "${1:-}" == "--check" ]]; then
    if ! diff -ru "$root/schemas/src/generated" "$out"; then
        echo "error: schemas/src/generated is stale; run scripts/regen-schemas.sh" >&2
        exit 1
    fi
    echo "generated schema code is current"
fi
