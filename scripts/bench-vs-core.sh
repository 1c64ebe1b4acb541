#!/usr/bin/env bash
# This suite's bitcoin-node against Bitcoin Core's bitcoin-node, side by side in one run, both
# driven by this suite's Rust IPC client: echo round trips and createNewBlock + getBlock +
# destroy, pinned to CPU 0 and unpinned, with the socketpair floor of the same moment
# (tests/benches/core_bench.rs). Core's binaries come from $CORE_BIN or ~/.cache/core-peer/*/build/bin
# (made by build-core-peer.sh); this script never builds Core, and the bench skips without them.
# Extra arguments go to the bench: --echo-calls N --chunks N --cycles N --txs N.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/bench-build.sh
source scripts/lib/bench-build.sh
export CARGO_TERM_COLOR=never
bench="$(build_bench tests core_bench --bins)"
echo "# This suite against Bitcoin Core's bitcoin-node"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "- commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "- nproc: $(nproc); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- command: $bench $*"
"$bench" "$@"
echo
echo "- load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
