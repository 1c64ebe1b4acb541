//! Networks, their names and data subdirectories (as in Bitcoin Core).

use std::fmt;

/// A network the suite can run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Chain {
    /// Mainnet (data in the data directory itself).
    Main,
    /// testnet3 (`testnet3/`).
    Test,
    /// testnet4 (`testnet4/`).
    Testnet4,
    /// Signet (`signet/`).
    Signet,
    /// Regression test network (`regtest/`).
    Regtest,
}

impl Chain {
    /// Every chain, in Core's order.
    pub const ALL: [Chain; 5] = [
        Chain::Main,
        Chain::Test,
        Chain::Testnet4,
        Chain::Signet,
        Chain::Regtest,
    ];

    /// Parses a `-chain=` value or config section name.
    pub fn from_name(name: &str) -> Option<Chain> {
        Chain::ALL.into_iter().find(|c| c.name() == name)
    }

    /// The name used by `-chain=` and config sections.
    pub fn name(self) -> &'static str {
        match self {
            Chain::Main => "main",
            Chain::Test => "test",
            Chain::Testnet4 => "testnet4",
            Chain::Signet => "signet",
            Chain::Regtest => "regtest",
        }
    }

    /// The JSON-RPC port a node of this chain listens on by default (Core's `RPCPort()`).
    pub fn default_rpc_port(self) -> u16 {
        match self {
            Chain::Main => 8332,
            Chain::Test => 18332,
            Chain::Testnet4 => 48332,
            Chain::Signet => 38332,
            Chain::Regtest => 18443,
        }
    }

    /// The network's subdirectory of the data directory (empty for mainnet).
    pub fn subdir(self) -> &'static str {
        match self {
            Chain::Main => "",
            Chain::Test => "testnet3",
            Chain::Testnet4 => "testnet4",
            Chain::Signet => "signet",
            Chain::Regtest => "regtest",
        }
    }
}

impl fmt::Display for Chain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
