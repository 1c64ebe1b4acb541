# Sourced by the scripts/bench-*.sh scripts: building a benchmark and finding its executable.
#
#   bench="$(build_bench PACKAGE BENCH [--bins])"
#
# builds bench target BENCH of PACKAGE in the release `bench` profile (with --bins, every
# release binary first, for benchmarks that spawn them) and prints the path of its
# executable; on failure prints cargo's output to stderr and exits.
build_bench() {
    local package="$1" name="$2" bins="${3:-}"
    local log
    log="$(mktemp)"
    if { [[ "$bins" == "--bins" ]] && ! cargo build --release --bins >"$log" 2>&1; } ||
        ! CARGO_TERM_COLOR=never cargo bench -p "$package" --bench "$name" --no-run >>"$log" 2>&1; then
        cat "$log" >&2
        rm -f "$log"
        exit 1
    fi
    local exe
    exe="$(sed -n "s/^ *Executable .*(\(.*\/$name-[0-9a-f]*\))$/\1/p" "$log" | tail -n 1)"
    if [[ -z "$exe" || ! -x "$exe" ]]; then
        cat "$log" >&2
        rm -f "$log"
        echo "error: cannot find the built $name in cargo's output" >&2
        exit 1
    fi
    rm -f "$log"
    echo "$exe"
}
