//! The options `bitcoin-cli` accepts on top of the common ones, its usage text and defaults.

use common::args::{OptionSpec, COMMON_OPTIONS, GENERAL, IPC};
use common::Chain;

/// Heading of the options that replace the RPC command (`-getinfo`, `-netinfo`, `-generate`).
pub const CLI_COMMANDS: &str = "CLI Commands";

/// `-rpcconnect` default.
pub const DEFAULT_RPCCONNECT: &str = "127.0.0.1";
/// `-rpcclienttimeout` default, in seconds.
pub const DEFAULT_HTTP_CLIENT_TIMEOUT: i64 = 900;
/// `-rpcid` default.
pub const DEFAULT_RPC_REQ_ID: &str = "1";
/// Blocks `-generate` makes when not told.
pub const DEFAULT_NBLOCKS: &str = "1";
/// `generatetoaddress`'s default `maxtries` (Core's `DEFAULT_MAX_TRIES`).
pub const DEFAULT_MAX_TRIES: u64 = 1_000_000;

/// The JSON-RPC port a node of `chain` listens on by default (Core's `RPCPort()`).
pub fn default_rpc_port(chain: Chain) -> u16 {
    chain.default_rpc_port()
}

/// Options specific to `bitcoin-cli`, in Core's help order.
pub const CLI_OPTIONS: &[OptionSpec] = &[
    OptionSpec::value(
        "color",
        "<when>",
        GENERAL,
        "Color setting for CLI output (default: auto). Valid values: always, auto (add color codes when standard output is connected to a terminal), never. Only applies to the output of -getinfo.",
    ),
    OptionSpec::flag(
        "named",
        GENERAL,
        "Pass named instead of positional arguments (default: 0)",
    ),
    OptionSpec::value(
        "rpcid",
        "<id>",
        GENERAL,
        "Set a custom JSON-RPC request ID string (default: 1)",
    ),
    OptionSpec::value(
        "rpcclienttimeout",
        "<n>",
        GENERAL,
        "Timeout in seconds during HTTP requests, or 0 for no timeout. Not implemented for IPC connections (see -ipcconnect). (default: 900)",
    ),
    OptionSpec::value(
        "rpcconnect",
        "<ip>",
        GENERAL,
        "Send commands to node running on <ip> (default: 127.0.0.1)",
    ),
    OptionSpec::value(
        "rpccookiefile",
        "<loc>",
        GENERAL,
        "Location of the auth cookie. Relative paths will be prefixed by a net-specific datadir location. (default: data dir)",
    ),
    OptionSpec::value(
        "rpcpassword",
        "<pw>",
        GENERAL,
        "Password for JSON-RPC connections",
    ),
    OptionSpec::value(
        "rpcport",
        "<port>",
        GENERAL,
        "Connect to JSON-RPC on <port> (default: 8332, testnet: 18332, testnet4: 48332, signet: 38332, regtest: 18443)",
    ),
    OptionSpec::value(
        "rpcuser",
        "<user>",
        GENERAL,
        "Username for JSON-RPC connections",
    ),
    OptionSpec::flag("rpcwait", GENERAL, "Wait for RPC server to start"),
    OptionSpec::value(
        "rpcwaittimeout",
        "<n>",
        GENERAL,
        "Timeout in seconds to wait for the RPC server to start, or 0 for no timeout. (default: 0)",
    ),
    OptionSpec::value(
        "rpcwallet",
        "<walletname>",
        GENERAL,
        "Send RPC for non-default wallet on RPC server (needs to exactly match corresponding -wallet option passed to bitcoind). This changes the RPC endpoint used, e.g. http://127.0.0.1:8332/wallet/<walletname>",
    ),
    OptionSpec::flag(
        "stdin",
        GENERAL,
        "Read extra arguments from standard input, one per line until EOF/Ctrl-D (recommended for sensitive information such as passphrases).",
    ),
    OptionSpec::flag(
        "generate",
        CLI_COMMANDS,
        "Generate blocks, equivalent to RPC getnewaddress followed by RPC generatetoaddress. Optional positional integer arguments are number of blocks to generate (default: 1) and maximum iterations to try (default: 1000000), equivalent to RPC generatetoaddress nblocks and maxtries arguments. Example: bitcoin-cli -generate 4 1000",
    ),
    OptionSpec::flag(
        "getinfo",
        CLI_COMMANDS,
        "Get general information from the remote server. Note that unlike server-side RPC calls, the output of -getinfo is the result of multiple non-atomic requests. Some entries in the output may represent results from different states (e.g. wallet balance may be as of a different block from the chain state reported)",
    ),
    OptionSpec::flag(
        "netinfo",
        CLI_COMMANDS,
        "Get network peer connection information from the remote server. An optional argument from 0 to 4 can be passed for different peers listings (default: 0). If a non-zero value is passed, an additional \"outonly\" (or \"o\") argument can be passed to see outbound peers only. Pass \"help\" (or \"h\") for detailed help documentation.",
    ),
    OptionSpec::value(
        "ipcconnect",
        "<address>",
        IPC,
        "Connect to bitcoin-node through IPC socket instead of TCP socket to execute requests. Valid <address> values are 'auto' to try to connect to default socket path at <datadir>/<chain>/node.sock but fall back to TCP if it is not available, 'unix' to connect to the default socket and fail if it isn't available, or 'unix:<socket path>' to connect to a socket at a nonstandard path. -noipcconnect can be specified to avoid attempting to use IPC at all. Default value: auto",
    ),
];

/// Every option of `bitcoin-cli`: the common ones, then its own.
pub fn all() -> Vec<OptionSpec> {
    COMMON_OPTIONS.iter().chain(CLI_OPTIONS).copied().collect()
}

/// The specs `bitcoin.conf` is read with (keys of the other binaries in a shared file are
/// ignored by `common`, see `common::config::SUITE_KEYS`).
pub fn config_specs() -> Vec<OptionSpec> {
    all()
}

/// The text `-help` starts with, after the version line (Core's, with this suite's names).
pub const USAGE: &str = "The bitcoin-cli utility provides a command line interface to interact with a bitcoin-node (Bitcoin Core compatible) RPC server.

It can be used to query network information, manage wallets, create or broadcast transactions, and control the server.

Use the \"help\" command to list all commands. Use \"help <command>\" to show help for that command.
The -named option allows you to specify parameters using the key=value format, eliminating the need to pass unused positional parameters.
It reaches the node over its IPC socket when one listens (see -ipcconnect), else over HTTP with the cookie or -rpcuser/-rpcpassword.

Usage: bitcoin-cli [options] <command> [params]
or:    bitcoin-cli [options] -named <command> [name=value]...
or:    bitcoin-cli [options] help
or:    bitcoin-cli [options] help <command>
or:    bitcoin rpc [options] <command> [name=value]...   (the wrapper adds -named)";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_follow_core() {
        let ports: Vec<u16> = Chain::ALL.into_iter().map(default_rpc_port).collect();
        assert_eq!(ports, [8332, 18332, 48332, 38332, 18443]);
    }

    #[test]
    fn help_lists_every_option_once() {
        let specs = all();
        let text = common::args::help_text(USAGE, &specs);
        for spec in &specs {
            let heading = format!("  -{}", spec.name);
            let with_value = format!("{heading}=");
            let count = text
                .lines()
                .filter(|l| *l == heading || l.starts_with(&with_value))
                .count();
            assert_eq!(count, 1, "{}", spec.name);
        }
        assert!(text.contains("\nCLI Commands:\n"), "{text}");
        assert!(text.contains("\nIPC interprocess connection options:\n"));
    }
}
