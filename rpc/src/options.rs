//! The options of a JSON-RPC server (Core's `OptionsCategory::RPC`), for `-help` and for
//! [`crate::RpcConfig::from_settings`]; a process that serves RPC lists them beside its own.

use common::args::OptionSpec;

/// Heading of the RPC server options (Core's `OptionsCategory::RPC`).
pub const RPC: &str = "RPC server options";

/// The `-server` and `-rpc*` options.
pub const RPC_OPTIONS: &[OptionSpec] = &[
    OptionSpec::flag(
        "server",
        RPC,
        "Accept command line and JSON-RPC commands (default: 1)",
    ),
    OptionSpec::multi(
        "rpcallowip",
        "<ip>",
        RPC,
        "Allow JSON-RPC connections from specified source. Valid values for <ip> are a single IP (e.g. 1.2.3.4), a network/netmask (e.g. 1.2.3.4/255.255.255.0), a network/CIDR (e.g. 1.2.3.4/24), all ipv4 (0.0.0.0/0), or all ipv6 (::/0). This option can be specified multiple times",
    ),
    OptionSpec::multi(
        "rpcauth",
        "<userpw>",
        RPC,
        "Username and HMAC-SHA-256 hashed password for JSON-RPC connections. The field <userpw> comes in the format: <USERNAME>:<SALT>$<HASH>. A canonical python script is included in share/rpcauth. The client then connects normally using the rpcuser=<USERNAME>/rpcpassword=<PASSWORD> pair of arguments. This option can be specified multiple times",
    ),
    OptionSpec::multi(
        "rpcbind",
        "<addr>[:port]",
        RPC,
        "Bind to given address to listen for JSON-RPC connections. Do not expose the RPC server to untrusted networks such as the public internet! This option is ignored unless -rpcallowip is also passed. Port is optional and overrides -rpcport. Use [host]:port notation for IPv6. This option can be specified multiple times (default: 127.0.0.1 and ::1 i.e., localhost)",
    ),
    OptionSpec::value(
        "rpccookiefile",
        "<loc>",
        RPC,
        "Location of the auth cookie. Relative paths will be prefixed by a net-specific datadir location. (default: data dir)",
    ),
    OptionSpec::value(
        "rpccookieperms",
        "<readable-by>",
        RPC,
        "Set permissions on the RPC auth cookie file so that it is readable by [owner|group|all] (default: owner [via umask 0077])",
    ),
    OptionSpec::value("rpcpassword", "<pw>", RPC, "Password for JSON-RPC connections"),
    OptionSpec::value(
        "rpcport",
        "<port>",
        RPC,
        "Listen for JSON-RPC connections on <port> (default: 8332, testnet3: 18332, testnet4: 48332, signet: 38332, regtest: 18443)",
    ),
    OptionSpec::value(
        "rpcservertimeout",
        "<n>",
        RPC,
        "Timeout during HTTP requests (default: 30)",
    ),
    OptionSpec::value(
        "rpcthreads",
        "<n>",
        RPC,
        "Set the number of threads to service RPC calls (default: 16)",
    ),
    OptionSpec::value("rpcuser", "<user>", RPC, "Username for JSON-RPC connections"),
    OptionSpec::value(
        "rpcworkqueue",
        "<n>",
        RPC,
        "Set the maximum depth of the work queue to service RPC calls (default: 64)",
    ),
];
