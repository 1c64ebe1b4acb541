#!/usr/bin/env bash
# Installs what building and testing the suite needs on a fresh Debian machine, and nothing when
# it is all there (then it prints nothing). Both README commands (scripts/run-node.sh and
# scripts/test.sh) and CI (.ci/run) call it first; running it twice is harmless.
#
#   scripts/setup.sh            # build needs: capnproto, cmake, Boost headers, g++, capnpc-rust
#   scripts/setup.sh --tests    # ... and the Python test venv (pycapnp, pytest) in target/python-venv
#   scripts/setup.sh --gui      # ... and Xvfb and the X/GL libraries bitcoin-gui needs (scripts/screenshots.sh)
#
# Needs root or sudo only when a Debian package is missing.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

fail() {
    echo "setup: $*" >&2
    exit 1
}

want_tests=false
want_gui=false
for arg in "$@"; do
    case "$arg" in
        --tests) want_tests=true ;;
        --gui) want_gui=true ;;
        *) fail "unknown argument '$arg' (expected --tests or --gui)" ;;
    esac
done

command -v cargo >/dev/null || fail "cargo not found: install the Rust toolchain (https://rustup.rs) first"

# Debian packages: capnp checks the generated schema code; cmake, g++ and the Boost headers build
# libbitcoinkernel from Bitcoin Core's sources (the bitcoinkernel crate does it).
missing=()
command -v capnp >/dev/null || missing+=(capnproto)
command -v cmake >/dev/null || missing+=(cmake)
command -v g++ >/dev/null || missing+=(g++)
[[ -f /usr/include/boost/version.hpp ]] || missing+=(libboost-dev)
command -v python3 >/dev/null || missing+=(python3)
if $want_tests; then
    python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
fi
if $want_gui; then
    # bitcoin-gui loads these at run time (winit and glutin dlopen them); Xvfb runs it headless.
    command -v Xvfb >/dev/null || missing+=(xvfb)
    libs="$(/sbin/ldconfig -p)"
    [[ $libs == *libxkbcommon-x11.so.0* ]] || missing+=(libxkbcommon-x11-0)
    [[ $libs == *libXcursor.so.1* ]] || missing+=(libxcursor1)
    [[ $libs == *libXi.so.6* ]] || missing+=(libxi6)
    [[ $libs == *libXrandr.so.2* ]] || missing+=(libxrandr2)
    [[ $libs == *libEGL.so.1* ]] || missing+=(libegl1)
    [[ -d /usr/lib/x86_64-linux-gnu/dri || -d /usr/lib/aarch64-linux-gnu/dri ]] || missing+=(libgl1-mesa-dri)
fi
if [[ ${#missing[@]} -gt 0 ]]; then
    sudo=()
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null || fail "need root to install ${missing[*]} (no sudo found)"
        sudo=(sudo)
    fi
    command -v apt-get >/dev/null || fail "no apt-get: install ${missing[*]} with your package manager"
    echo "setup: installing ${missing[*]} (apt-get)" >&2
    log="$(mktemp)"
    if ! { "${sudo[@]}" apt-get update -qq &&
        DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}"; } >"$log" 2>&1; then
        cat "$log" >&2
        rm -f "$log"
        fail "apt-get could not install ${missing[*]} (output above)"
    fi
    rm -f "$log"
fi

# capnpc-rust generates Rust from the schemas (scripts/regen-schemas.sh); pinned to capnp 0.27.
export PATH="$HOME/.cargo/bin:$PATH"
if ! command -v capnpc-rust >/dev/null; then
    echo "setup: installing capnpc-rust 0.27.0 (cargo install)" >&2
    cargo install capnpc --version 0.27.0 --locked --quiet ||
        fail "cargo install capnpc --version 0.27.0 failed"
fi

if $want_tests; then
    venv="$root/target/python-venv"
    if [[ ! -x "$venv/bin/python" ]]; then
        mkdir -p "$root/target"
        python3 -m venv "$venv" || fail "python3 -m venv $venv failed"
    fi
    req="$root/tests/python/requirements.txt"
    stamp="$venv/.requirements"
    if ! cmp -s "$req" "$stamp"; then
        echo "setup: installing the Python test packages into $venv" >&2
        "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$req" ||
            fail "pip install -r $req failed"
        cp "$req" "$stamp"
    fi
fi
