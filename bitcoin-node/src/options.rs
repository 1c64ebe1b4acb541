//! The options `bitcoin-node` (and `bitcoind`) accept, on top of the common ones.

use common::args::{OptionSpec, COMMON_OPTIONS, GENERAL, IPC};

/// Options specific to the node.
pub const NODE_OPTIONS: &[OptionSpec] = &[
    OptionSpec::flag(
        "daemon",
        GENERAL,
        "Run in the background as a daemon and accept commands (default: 0)",
    ),
    OptionSpec::value(
        "pid",
        "<file>",
        GENERAL,
        "Specify pid file. Relative paths will be prefixed by a net-specific datadir location. (default: bitcoind.pid)",
    ),
    OptionSpec::multi(
        "ipcbind",
        "<address>",
        IPC,
        "Bind to Unix socket address and listen for incoming connections. Valid address values are \"unix\" to listen on the default path, <datadir>/<chain>/node.sock, or \"unix:/custom/path\" to specify a custom path (relative paths are relative to the network directory). Can be specified multiple times to listen on multiple paths. Default behavior is not to listen on any path.",
    ),
];

/// Every option of the node: the common ones, then the node's.
pub fn all() -> Vec<OptionSpec> {
    COMMON_OPTIONS.iter().chain(NODE_OPTIONS).copied().collect()
}

/// Usage line of `bitcoin-node -help`.
pub const USAGE: &str = "Bitcoin Core compatible node, multiprocess build (bitcoin-node)

Usage:  bitcoin-node [options]                     Start the node
        bitcoin-node -ipcfd <n>                    Serve IPC on inherited socket <n> (used when spawned)";

/// Usage line of `bitcoind -help`.
pub const USAGE_MONOLITHIC: &str = "Bitcoin Core compatible node, single-process build (bitcoind)

Usage:  bitcoind [options]                         Start the node";
