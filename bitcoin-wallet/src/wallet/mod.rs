//! The wallets of the wallet process: BDK descriptor wallets under `<wallets_dir>/<name>/`
//! (`wallet.sqlite`, BDK's store of the primary descriptor pair plus our metadata;
//! `<type>.sqlite`, the stores of the other active pairs, one per output type as in Core;
//! `keys.json`, the private descriptors),
//! fed by the node's [`interfaces::Chain`] with node-side filtering, behind Core's
//! [`interfaces::WalletLoader`] and [`interfaces::Wallet`].
//!
//! - [`LocalWalletLoader`] ([`loader`]): create, load, unload, list; Core's `settings.json`
//!   startup list; one notification subscription and one background sync thread
//!   ([`notify`]);
//! - [`LocalWallet`] ([`local`]): one loaded wallet — addresses, balances and history as
//!   Core computes them ([`history`]), catching up with the chain ([`sync`]), sending
//!   ([`send`]);
//! - on disk: [`files`] (names, directories, atomic writes, settings), [`keys`]
//!   (`keys.json`), [`store`] (`wallet.sqlite`);
//! - [`WalletError`] ([`error`]): Core's messages with Core's RPC codes;
//! - the interface methods beyond these ([`address_book`], coin locks in [`locks`], fee bumps
//!   in [`bump`], backups in [`backup`], PSBTs in [`psbt`], descriptor imports in [`import`],
//!   message signing in [`message`]) behind one adapter, `iface`.

pub mod address_book;
pub mod address_info;
pub mod backup;
pub mod bump;
pub mod crypt;
pub mod error;
pub mod events;
pub mod files;
pub mod history;
mod iface;
pub mod import;
pub mod keys;
pub mod loader;
pub mod local;
pub mod locks;
pub mod message;
pub mod notify;
pub mod passphrase;
pub mod psbt;
pub mod send;
pub mod session;
mod shared;
pub mod store;
pub mod sync;
pub mod tx_ops;
pub mod vault;

#[cfg(test)]
pub(crate) mod test_chain;
#[cfg(test)]
pub(crate) mod tests;

use bdk_wallet::bitcoin::Network;

pub use bump::{BumpOutcome, BumpRequest};
pub use error::WalletError;
pub use history::{BlockPlace, OutputRecord, TxRecord, UnspentRecord};
pub use loader::{CreateFlags, LocalWalletLoader};
pub use local::{LocalWallet, WalletDetails};
pub use send::{FeeMode, SendOutcome};
pub use store::TxComments;

/// Satoshis per bitcoin.
const COIN: i64 = 100_000_000;

/// Core's `-mintxfee` default, satoshis per 1000 virtual bytes: no wallet transaction pays
/// less.
pub const DEFAULT_MIN_TX_FEE: i64 = 1000;

/// The wallet settings Core takes from the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalletOptions {
    /// The network the wallets are for.
    pub network: Network,
    /// Core's `-fallbackfee`, satoshis per 1000 virtual bytes (0: disabled, Core's default).
    pub fallback_fee_per_kvb: i64,
    /// Core's `-txconfirmtarget` (default 6).
    pub tx_confirm_target: u32,
    /// Core's `-maxtxfee`, satoshis (default 0.1 BTC).
    pub max_tx_fee: i64,
}

impl WalletOptions {
    /// Core's defaults for `network`.
    pub fn new(network: Network) -> WalletOptions {
        WalletOptions {
            network,
            fallback_fee_per_kvb: 0,
            tx_confirm_target: 6,
            max_tx_fee: COIN / 10,
        }
    }
}

impl Default for WalletOptions {
    /// Core's defaults on mainnet.
    fn default() -> WalletOptions {
        WalletOptions::new(Network::Bitcoin)
    }
}

/// The suite's chain of a network (for Core's address decoding).
pub fn common_chain(network: Network) -> common::Chain {
    match network {
        Network::Bitcoin => common::Chain::Main,
        Network::Testnet => common::Chain::Test,
        Network::Testnet4 => common::Chain::Testnet4,
        Network::Signet => common::Chain::Signet,
        _ => common::Chain::Regtest,
    }
}

/// Seconds since the epoch.
pub(crate) fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
