#!/usr/bin/env bash
# Runs every check and test of the workspace: formatting, generated-code freshness, clippy,
# the Rust tests (unit, in-process, end-to-end with the real binaries) and the pycapnp tests.
# scripts/setup.sh installs what is missing first (capnp, capnpc-rust, cmake, Boost, the Python
# venv); cargo-nextest is used when installed (else cargo test).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --tests
export PATH="$HOME/.cargo/bin:$PATH"

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "generated schema code is current"
scripts/regen-schemas.sh --check

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
