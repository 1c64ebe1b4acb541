#!/usr/bin/env bash
# P2P benchmarks (bitcoin-node/benches/p2p_bench.rs), built in release mode with the release
# binaries they spawn: initial sync of the 2,000-block / 100,000-spend regtest chain from one
# and three peers over v1 and v2 against connecting it locally in the same run; memory of
# 100 idle inbound peers; CPU per relayed transaction against acceptance alone.
# Arguments go to the bench: --runs N (default 2), --skip-sync.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
# shellcheck source=lib/bench-build.sh
source scripts/lib/bench-build.sh
bench="$(build_bench bitcoin-node p2p_bench --bins)"
"$bench" "$@"
