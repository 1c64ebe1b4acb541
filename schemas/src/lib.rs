//! The IPC contract of the suite: Cap'n Proto schemas (`schemas/capnp/*.capnp`) and the Rust
//! code generated from them.
//!
//! The `.capnp` files are plain schema files with no annotations or imports outside this
//! folder, so any Cap'n Proto implementation (pycapnp, capnproto-rust, C++) can load them.
//! `proxy`, `common`, `echo`, `init`, `mining` and `rpc` are wire-compatible with Bitcoin
//! Core's (same file ids, type ids, ordinals and field layouts; see `docs/protocol.md`).
//! Imports nothing of the suite; only `ipc` imports it.
//!
//! The generated code is committed so a build needs no `capnp` tool;
//! `scripts/regen-schemas.sh` regenerates it and `scripts/regen-schemas.sh --check` (run by
//! CI) fails when it is stale. Only the `ipc` crate depends on this one.

#![allow(missing_docs)]
#![allow(clippy::all, clippy::pedantic, clippy::unwrap_used)]

macro_rules! generated {
    ($($name:ident => $file:literal),* $(,)?) => {
        $(
            #[allow(unused_imports, dead_code, unused_parens, non_camel_case_types)]
            pub mod $name {
                include!(concat!("generated/", $file));
            }
        )*
    };
}

generated! {
    proxy_capnp => "proxy_capnp.rs",
    common_capnp => "common_capnp.rs",
    echo_capnp => "echo_capnp.rs",
    init_capnp => "init_capnp.rs",
    mining_capnp => "mining_capnp.rs",
    rpc_capnp => "rpc_capnp.rs",
    node_capnp => "node_capnp.rs",
    chain_capnp => "chain_capnp.rs",
    wallet_capnp => "wallet_capnp.rs",
    ipc_test_capnp => "ipc_test_capnp.rs",
}

/// The schema files, as compiled by `capnp compile -o-`: a serialized
/// `CodeGeneratorRequest` describing every node (ids, names, ordinals, fields).
pub static SCHEMA_NODES: &[u8] = include_bytes!("generated/schemas.bin");

/// The text of every schema file, by file name, for tools that write them out.
pub static SCHEMA_FILES: &[(&str, &str)] = &[
    ("proxy.capnp", include_str!("../capnp/proxy.capnp")),
    ("common.capnp", include_str!("../capnp/common.capnp")),
    ("echo.capnp", include_str!("../capnp/echo.capnp")),
    ("init.capnp", include_str!("../capnp/init.capnp")),
    ("mining.capnp", include_str!("../capnp/mining.capnp")),
    ("rpc.capnp", include_str!("../capnp/rpc.capnp")),
    ("node.capnp", include_str!("../capnp/node.capnp")),
    ("chain.capnp", include_str!("../capnp/chain.capnp")),
    ("wallet.capnp", include_str!("../capnp/wallet.capnp")),
    ("ipc_test.capnp", include_str!("../capnp/ipc_test.capnp")),
];

#[cfg(test)]
mod tests;
