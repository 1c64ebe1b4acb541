//! What every binary of the suite shares, so that `bitcoin-node`, `bitcoind`, `bitcoin-wallet`,
//! `bitcoin-gui` and `bitcoin-cli` behave alike and like Bitcoin Core. Imports nothing of the
//! suite:
//! - [`args`]: Core's command-line syntax (`-name`, `-name=value`, `-noname`, `--name`,
//!   repeated options), each binary declaring its options as [`args::OptionSpec`]s, with the
//!   help text generated from them;
//! - [`config`]: `bitcoin.conf` (`name=value`, `[regtest]` sections, `regtest.name=value`,
//!   `includeconf`), merged under the command line;
//! - [`chain`]: networks and their data subdirectories;
//! - [`settings`]: the merged view a binary reads, and [`settings::load`], which runs the whole
//!   startup sequence (parse, data directory, config file, network) and fails with one clear
//!   line before anything is written;
//! - [`logging`]: `debug.log` in the network directory, `-printtoconsole`, `-debug=<category>`,
//!   `BITCOIN_LOG`, every line naming the process, and reconfiguration of a spawned child
//!   from its parent's settings.

pub mod args;
pub mod chain;
pub mod config;
pub mod logging;
pub mod settings;
pub mod signals;

pub use args::{ArgsError, OptionKind, OptionSpec};
pub use chain::Chain;
pub use settings::{load, Loaded, Settings};
