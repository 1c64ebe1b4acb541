//! The options `bitcoin-node` (and `bitcoind`) accept, on top of the common ones.

use common::args::{OptionSpec, CHAIN, COMMON_OPTIONS, GENERAL, IPC};

/// Heading of the connection options (Core's `OptionsCategory::CONNECTION`).
pub const CONNECTION: &str = "Connection options";
/// Heading of the relay options (Core's `OptionsCategory::NODE_RELAY`).
pub const NODE_RELAY: &str = "Node relay options";
/// Heading of the block creation options (Core's `OptionsCategory::BLOCK_CREATION`).
pub const BLOCK_CREATION: &str = "Block creation options";
/// Heading of the debugging options (Core's `OptionsCategory::DEBUG_TEST`).
pub const DEBUG_TEST: &str = "Debugging/Testing options";

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
    OptionSpec::flag(
        "reindex",
        GENERAL,
        "If enabled, wipe chain state and block index, and rebuild them from blk*.dat files on disk. Also wipe and rebuild other optional indexes that are active. If an assumeutxo snapshot was loaded, its chainstate will be wiped as well. The snapshot can then be reloaded via RPC.",
    ),
    OptionSpec::value(
        "maxmempool",
        "<n>",
        GENERAL,
        "Keep the transaction memory pool below <n> megabytes (default: 300)",
    ),
    OptionSpec::value(
        "mempoolexpiry",
        "<n>",
        GENERAL,
        "Do not keep transactions in the mempool longer than <n> hours (default: 336)",
    ),
    OptionSpec::flag(
        "persistmempool",
        GENERAL,
        "Whether to save the mempool on shutdown and load on restart (default: 1)",
    ),
    OptionSpec::multi(
        "addnode",
        "<ip>",
        CONNECTION,
        "Add a node to connect to and attempt to keep the connection open (see the addnode RPC help for more info). This option can be specified multiple times to add multiple nodes",
    ),
    OptionSpec::value(
        "bantime",
        "<n>",
        CONNECTION,
        "Default duration (in seconds) of manually configured bans (default: 86400)",
    ),
    OptionSpec::multi(
        "bind",
        "<addr>[:<port>]",
        CONNECTION,
        "Bind to given address and always listen on it (default: 0.0.0.0). Use [host]:port notation for IPv6",
    ),
    OptionSpec::multi(
        "connect",
        "<ip>",
        CONNECTION,
        "Connect only to the specified node; -noconnect disables automatic connections (the rules for this peer are the same as for -addnode). This option can be specified multiple times to connect to multiple nodes.",
    ),
    OptionSpec::flag(
        "dnsseed",
        CONNECTION,
        "Query for peer addresses via DNS lookup, if low on addresses (default: 1 unless -connect used or -maxconnections=0)",
    ),
    OptionSpec::flag(
        "fixedseeds",
        CONNECTION,
        "Allow fixed seeds if DNS seeds don't provide peers (default: 1)",
    ),
    OptionSpec::flag(
        "listen",
        CONNECTION,
        "Accept connections from outside (default: 1 if no -connect, or if -bind is given)",
    ),
    OptionSpec::value(
        "maxconnections",
        "<n>",
        CONNECTION,
        "Maintain at most <n> connections to peers (default: 125)",
    ),
    OptionSpec::value(
        "port",
        "<port>",
        CONNECTION,
        "Listen for connections on <port> (default: 8333, testnet3: 18333, testnet4: 48333, signet: 38333, regtest: 18444)",
    ),
    OptionSpec::multi(
        "seednode",
        "<ip>",
        CONNECTION,
        "Connect to a node to retrieve peer addresses, and disconnect. This option can be specified multiple times to connect to multiple nodes. During startup, seednodes will be tried before dnsseeds.",
    ),
    OptionSpec::flag(
        "v2transport",
        CONNECTION,
        "Support v2 transport (default: 1)",
    ),
    OptionSpec::value(
        "peertimeout",
        "<n>",
        DEBUG_TEST,
        "Specify a p2p connection timeout delay in seconds. After connecting to a peer, wait this amount of time before considering disconnection based on inactivity (minimum: 1, default: 60)",
    ),
    OptionSpec::value(
        "minrelaytxfee",
        "<amt>",
        NODE_RELAY,
        "Fees (in BTC/kvB) smaller than this are considered zero fee for relaying, mining and transaction creation (default: 0.000001)",
    ),
    OptionSpec::value(
        "incrementalrelayfee",
        "<amt>",
        NODE_RELAY,
        "Fee rate (in BTC/kvB) used to define cost of relay, used for mempool limiting and replacement policy. (default: 0.000001)",
    ),
    OptionSpec::value(
        "dustrelayfee",
        "<amt>",
        NODE_RELAY,
        "Fee rate (in BTC/kvB) used to define dust, the value of an output such that it will cost more than its value in fees at this fee rate to spend it. (default: 0.00003)",
    ),
    OptionSpec::flag(
        "datacarrier",
        NODE_RELAY,
        "Relay and mine data carrier transactions (default: 1)",
    ),
    OptionSpec::value(
        "datacarriersize",
        "<n>",
        NODE_RELAY,
        "Relay and mine transactions whose data-carrying raw scriptPubKeys in aggregate are of this size or less, allowing multiple outputs (default: 100000)",
    ),
    OptionSpec::flag(
        "permitbaremultisig",
        NODE_RELAY,
        "Relay transactions creating non-P2SH multisig outputs (default: 1)",
    ),
    OptionSpec::value(
        "blockmintxfee",
        "<amt>",
        BLOCK_CREATION,
        "Set lowest fee rate (in BTC/kvB) for transactions to be included in block creation. (default: 0.00000001)",
    ),
    OptionSpec::value(
        "limitancestorcount",
        "<n>",
        DEBUG_TEST,
        "Do not accept transactions if number of in-mempool ancestors is <n> or more (default: 25)",
    ),
    OptionSpec::value(
        "limitancestorsize",
        "<n>",
        DEBUG_TEST,
        "Do not accept transactions whose size with all in-mempool ancestors exceeds <n> kilobytes (default: 101)",
    ),
    OptionSpec::value(
        "limitdescendantcount",
        "<n>",
        DEBUG_TEST,
        "Do not accept transactions if any ancestor would have <n> or more in-mempool descendants (default: 25)",
    ),
    OptionSpec::value(
        "limitdescendantsize",
        "<n>",
        DEBUG_TEST,
        "Do not accept transactions if any ancestor would have more than <n> kilobytes of in-mempool descendants (default: 101).",
    ),
    OptionSpec::multi(
        "signetchallenge",
        "",
        CHAIN,
        "Blocks must satisfy the given script to be considered valid (only for signet networks; defaults to the global default signet test network challenge)",
    ),
    OptionSpec::multi(
        "ipcbind",
        "<address>",
        IPC,
        "Bind to Unix socket address and listen for incoming connections. Valid address values are \"unix\" to listen on the default path, <datadir>/<chain>/node.sock, or \"unix:/custom/path\" to specify a custom path (relative paths are relative to the network directory). Can be specified multiple times to listen on multiple paths. Default behavior is not to listen on any path.",
    ),
    OptionSpec::value(
        "ipcmaxconnections",
        "<n>",
        IPC,
        "Serve at most <n> IPC clients at once on the -ipcbind sockets; more are refused and logged (default: 64)",
    ),
    OptionSpec::multi(
        "ipcallowuid",
        "<uid>",
        IPC,
        "Accept IPC clients only from this user id (checked with SO_PEERCRED, whatever the socket file's mode allows). Can be specified multiple times. Default: any user the socket file's mode lets in",
    ),
];

/// `-ipcmaxconnections`' default.
pub const DEFAULT_IPC_MAX_CONNECTIONS: usize = 64;

/// The `-ipcbind` sockets' limits: `-ipcmaxconnections` and `-ipcallowuid`, checked.
pub fn ipc_limits(settings: &common::Settings) -> Result<ipc::ListenLimits, common::ArgsError> {
    let bad = |option: &str, value: &str, reason: &str| common::ArgsError::BadValue {
        option: option.into(),
        value: value.into(),
        reason: reason.into(),
    };
    let max = match settings.get("ipcmaxconnections") {
        None => DEFAULT_IPC_MAX_CONNECTIONS,
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| {
                bad(
                    "ipcmaxconnections",
                    text,
                    "expected a number of connections, at least 1",
                )
            })?,
    };
    let mut allowed_uids = Vec::new();
    for text in settings.get_list("ipcallowuid") {
        let uid = text
            .parse::<u32>()
            .map_err(|_| bad("ipcallowuid", &text, "expected a numeric user id"))?;
        allowed_uids.push(uid);
    }
    Ok(ipc::ListenLimits {
        max_connections: Some(max),
        allowed_uids,
    })
}

/// Every option of the node: the common ones, the node's and the RPC server's.
pub fn all() -> Vec<OptionSpec> {
    COMMON_OPTIONS
        .iter()
        .chain(NODE_OPTIONS)
        .chain(rpc::options::RPC_OPTIONS)
        .chain(common::args::WALLET_OPTIONS)
        .copied()
        .collect()
}

/// Usage line of `bitcoin-node -help`.
pub const USAGE: &str = "Bitcoin Core compatible node, multiprocess build (bitcoin-node)

Usage:  bitcoin-node [options]                     Start the node
        bitcoin-node -ipcfd <n>                    Serve IPC on inherited socket <n> (used when spawned)";

/// Usage line of `bitcoind -help`.
pub const USAGE_MONOLITHIC: &str = "Bitcoin Core compatible node, single-process build (bitcoind)

Usage:  bitcoind [options]                         Start the node";
