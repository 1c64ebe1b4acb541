//! `bitcoin-gui`'s options (Core's `-regtest`, `-datadir`, ... through `common`) and the
//! choice they make: attach to a node or spawn one.

use std::path::PathBuf;

use common::args::{OptionSpec, COMMON_OPTIONS, GENERAL, IPC};
use common::Settings;

use crate::model::Backend;

const IPCCONNECT: OptionSpec = OptionSpec::value(
    "ipcconnect",
    "<address>",
    IPC,
    "Connect to bitcoin-node through IPC socket instead of starting one. Valid address values are \"auto\" to attach to <datadir>/<chain>/node.sock when a node listens there and otherwise start bitcoin-node, \"unix\" to insist on the default socket, \"unix:/custom/path\" for a custom path, and 0 (or -noipcconnect) to always start bitcoin-node. (default: auto)",
);

const SCREENSHOTS: OptionSpec = OptionSpec::value(
    "screenshots",
    "<dir>",
    GENERAL,
    "Show each view in turn, save a PNG of each into <dir>, then exit (for documentation).",
)
.command_line_only();

/// Every option of `bitcoin-gui`.
pub fn all_options() -> Vec<OptionSpec> {
    COMMON_OPTIONS
        .iter()
        .copied()
        .chain([IPCCONNECT, SCREENSHOTS])
        .collect()
}

/// Usage lines of `bitcoin-gui -help`.
pub const USAGE: &str = "Bitcoin GUI of the multiprocess build (bitcoin-gui)

Usage:  bitcoin-gui [options]                      Attach to a running bitcoin-node, or start one";

/// What the GUI was asked to do.
#[derive(Debug, Clone)]
pub struct GuiConfig {
    /// The network, for address validation.
    pub network: bitcoin::Network,
    /// Where to find the node.
    pub connect: ipc::IpcConnect,
    /// `bitcoin-node`, beside this executable.
    pub node_exe: PathBuf,
    /// Arguments for a node the GUI spawns.
    pub node_args: Vec<String>,
    /// `-screenshots=<dir>`.
    pub screenshots: Option<PathBuf>,
}

/// The rust-bitcoin network of a chain.
pub fn network(chain: common::Chain) -> bitcoin::Network {
    match chain {
        common::Chain::Main => bitcoin::Network::Bitcoin,
        common::Chain::Test => bitcoin::Network::Testnet,
        common::Chain::Testnet4 => bitcoin::Network::Testnet4,
        common::Chain::Signet => bitcoin::Network::Signet,
        common::Chain::Regtest => bitcoin::Network::Regtest,
    }
}

impl GuiConfig {
    /// The configuration `settings` describe.
    pub fn from_settings(settings: &Settings) -> Result<GuiConfig, crate::GuiError> {
        let net_dir = settings.net_dir();
        let value = if settings.is_negated("ipcconnect") {
            Some("0")
        } else {
            settings.get("ipcconnect")
        };
        let connect = ipc::IpcConnect::parse(value, &net_dir)?;
        let exe = std::env::current_exe().map_err(crate::GuiError::Exe)?;
        let node_exe = exe.with_file_name("bitcoin-node");
        let mut node_args = vec![
            format!("-chain={}", settings.chain().name()),
            format!("-datadir={}", settings.datadir().display()),
        ];
        if let Some(conf) = settings.config_file() {
            node_args.push(format!("-conf={}", conf.display()));
        }
        node_args.push("-printtoconsole=0".into());
        Ok(GuiConfig {
            network: network(settings.chain()),
            connect,
            node_exe,
            node_args,
            screenshots: settings.get("screenshots").map(PathBuf::from),
        })
    }

    /// The backend `-ipcconnect` chooses: attach when insisted on or when a node listens
    /// (`auto`), else spawn.
    pub fn backend(&self) -> Result<Backend, crate::GuiError> {
        let spawn = || Backend::Spawn {
            exe: self.node_exe.clone(),
            args: self.node_args.clone(),
        };
        Ok(match &self.connect {
            ipc::IpcConnect::Disabled => spawn(),
            ipc::IpcConnect::Auto(path) => match self.connect.connect()? {
                Some(_) => Backend::Attach(path.clone()),
                None => spawn(),
            },
            ipc::IpcConnect::Required(path) => {
                self.connect.connect()?;
                Backend::Attach(path.clone())
            }
        })
    }
}
