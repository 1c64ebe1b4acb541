#!/usr/bin/env bash
# Runs every check and test of the workspace: formatting, generated-code freshness, clippy,
# the Rust tests (unit, in-process, end-to-end with the real binaries) and the pycapnp tests.
# Needs: the Rust toolchain, cargo-nextest (falls back to cargo test), capnp + capnpc-rust
# for the schema check (skipped with a warning when missing), python3 for tests/python.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "generated schema code is current"
if command -v capnp >/dev/null && command -v capnpc-rust >/dev/null; then
    scripts/regen-schemas.sh --check
elif [[ "${CI:-}" == "true" ]]; then
    echo "error: capnp or capnpc-rust missing in CI" >&2
    exit 1
else
    echo "warning: capnp/capnpc-rust not installed; skipping the staleness check" >&2
fi

step "cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings

step "build binaries"
cargo build --workspace --bins

log="$(mktemp)"
trap 'rm -f "$log"' EXIT

step "Rust tests"
if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --workspace --no-fail-fast 2>&1 | tee -a "$log"
else
    cargo test --workspace 2>&1 | tee -a "$log"
fi

step "Python (pycapnp) tests"
bash tests/python/run.sh 2>&1 | tee -a "$log"

if [[ "${FUZZ_SECONDS:-0}" != "0" ]]; then
    step "fuzz the message reader and the struct conversions for ${FUZZ_SECONDS}s each"
    (cd fuzz && cargo +nightly fuzz run message_reader -- -max_total_time="$FUZZ_SECONDS")
    (cd fuzz && cargo +nightly fuzz run wire_structs -- -max_total_time="$FUZZ_SECONDS")
fi
# One closing line for the whole run (nextest or cargo test, plus pytest).
rust=$(sed -n 's/.* tests run: \([0-9]*\) passed.*/\1/p' "$log" | tail -n 1)
if [[ -z "$rust" ]]; then
    rust=$(sed -n 's/^test result: ok\. \([0-9]*\) passed.*/\1/p' "$log" | awk '{s += $1} END {print s + 0}')
fi
python=$(sed -n 's/^\([0-9]*\) passed.*/\1/p' "$log" | tail -n 1)
echo
echo "all checks passed"
echo "$(( ${rust:-0} + ${python:-0} )) passed, 0 failed"
