#!/usr/bin/env bash
# Installs the suite in Bitcoin Core's layout: the commands a user types (bitcoin, bitcoin-cli)
# into PREFIX/bin, and the programs the wrapper runs (bitcoin-node, bitcoind, bitcoin-wallet,
# bitcoin-gui) into PREFIX/libexec, where the installed `bitcoin` finds them.
#
# Usage: scripts/install.sh [--prefix DIR] [--from DIR]
#   --prefix DIR  install under DIR (default /usr/local); $DESTDIR, if set, is put in front
#   --from DIR    install the binaries already in DIR (e.g. target/debug) instead of building
#                 a release; the tests use this
# Programs not built yet (the GUI, say) are skipped; bitcoin and bitcoin-node are required.
set -euo pipefail

usage() { sed -n '2,10s/^# \{0,1\}//p' "$0"; }

prefix=/usr/local
from=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --prefix) prefix="${2:?--prefix needs a directory}"; shift 2 ;;
        --prefix=*) prefix="${1#*=}"; shift ;;
        --from) from="${2:?--from needs a directory}"; shift 2 ;;
        --from=*) from="${1#*=}"; shift ;;
        -h | --help) usage; exit 0 ;;
        *) echo "error: unknown argument '$1'" >&2; usage >&2; exit 1 ;;
    esac
done
prefix="$(realpath -m -- "$prefix")"
[[ -n "$from" ]] && from="$(realpath -m -- "$from")"
cd "$(dirname "$0")/.."

bin_names=(bitcoin bitcoin-cli)
libexec_names=(bitcoin-node bitcoind bitcoin-wallet bitcoin-gui)
required=(bitcoin bitcoin-node)

declare -A built=() # file name -> path of the binary to install
if [[ -z "$from" ]]; then
    # Take the executables this build reports (cargo's JSON artifact messages), so files
    # left in target/release by an older build of a since-removed binary are never installed.
    messages="$(mktemp)"
    trap 'rm -f "$messages"' EXIT
    cargo build --release --workspace --bins --message-format=json-render-diagnostics >"$messages"
    while IFS= read -r exe; do
        built[$(basename "$exe")]="$exe"
    done < <(sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' "$messages")
else
    for name in "${bin_names[@]}" "${libexec_names[@]}"; do
        if [[ -f "$from/$name" && -x "$from/$name" ]]; then
            built[$name]="$from/$name"
        fi
    done
fi

for name in "${required[@]}"; do
    if [[ -z "${built[$name]:-}" ]]; then
        echo "error: $name was not built${from:+ (not found in $from)}" >&2
        exit 1
    fi
done

dest="${DESTDIR:-}$prefix"
install_into() { # DIR NAME...
    local dir="$1" name
    shift
    install -d "$dir"
    for name in "$@"; do
        if [[ -n "${built[$name]:-}" ]]; then
            install -m 0755 "${built[$name]}" "$dir/$name"
            echo "installed $dir/$name"
        else
            echo "skipped $name (not built yet)"
        fi
    done
}
install_into "$dest/bin" "${bin_names[@]}"
install_into "$dest/libexec" "${libexec_names[@]}"
echo "run '$prefix/bin/bitcoin help' to see the commands"
