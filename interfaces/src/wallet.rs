//! The wallet process's interfaces: [`WalletLoader`] (create, load, unload, list; Core's
//! `interfaces::WalletLoader`) and [`Wallet`] (one loaded wallet; Core's `interfaces::Wallet`),
//! shaped for IPC: balances come in one call, a send is one call that builds, signs, commits
//! and broadcasts.

use std::sync::Arc;

use crate::{BlockRef, Error, Handler};

/// A wallet's balances in satoshis (Core's `WalletBalances`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WalletBalances {
    /// Confirmed, or unconfirmed and the wallet's own (change).
    pub trusted: i64,
    /// Unconfirmed from others.
    pub untrusted_pending: i64,
    /// Coinbase outputs not yet mature.
    pub immature: i64,
}

/// One output to pay.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recipient {
    /// The address.
    pub address: String,
    /// Satoshis.
    pub amount: i64,
    /// Take the fee out of this amount.
    pub subtract_fee: bool,
}

/// How to build and send a transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SendRequest {
    /// Whom to pay.
    pub recipients: Vec<Recipient>,
    /// Fee rate in satoshis per 1000 virtual bytes; `None`: estimate for `conf_target`.
    pub fee_per_kvb: Option<i64>,
    /// Confirmation target for the estimate (`None`: the wallet's default, 6).
    pub conf_target: Option<u32>,
    /// Signal BIP125 replaceability.
    pub replaceable: bool,
}

/// A transaction the wallet sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SentTransaction {
    /// Its id (internal byte order).
    pub txid: [u8; 32],
    /// The fee paid, satoshis.
    pub fee: i64,
    /// The transaction, consensus-serialized.
    pub tx: Vec<u8>,
}

/// A wallet transaction and its status.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WalletTransaction {
    /// Its id (internal byte order).
    pub txid: [u8; 32],
    /// The transaction, consensus-serialized.
    pub tx: Vec<u8>,
    /// What it did to the wallet's balance (received minus sent), satoshis.
    pub net: i64,
    /// The fee, when the wallet paid it (all inputs are its own), satoshis.
    pub fee: Option<i64>,
    /// Confirmations: 0 in the mempool, negative when conflicted.
    pub confirmations: i32,
    /// The block that holds it, when confirmed.
    pub block: Option<BlockRef>,
    /// When it was first seen or, when confirmed, the block's time (seconds since the epoch).
    pub time: i64,
    /// Whether it is a coinbase transaction.
    pub coinbase: bool,
}

/// A wallet's state at a glance.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WalletInfo {
    /// Its name (the directory under `wallets/`).
    pub name: String,
    /// Transactions it holds.
    pub tx_count: u64,
    /// Its balances.
    pub balances: WalletBalances,
    /// The last block it processed.
    pub last_processed: BlockRef,
    /// Whether its keys are encrypted.
    pub encrypted: bool,
    /// Until when it is unlocked (seconds since the epoch; 0 when locked or not encrypted).
    pub unlocked_until: i64,
    /// Whether it holds private keys.
    pub private_keys_enabled: bool,
}

/// One loaded wallet.
pub trait Wallet: Send + Sync {
    /// Its name.
    fn get_name(&self) -> Result<String, Error>;
    /// A new receiving address (`address_type`: `bech32`, `bech32m` or empty for the
    /// default), labelled `label`.
    fn get_new_address(&self, label: &str, address_type: &str) -> Result<String, Error>;
    /// A new change address.
    fn get_change_address(&self, address_type: &str) -> Result<String, Error>;
    /// Its balances, in one call.
    fn get_balances(&self) -> Result<WalletBalances, Error>;
    /// Builds, signs, commits and broadcasts a transaction.
    fn send(&self, request: &SendRequest) -> Result<SentTransaction, Error>;
    /// Its transactions, newest last, skipping the `skip` newest and returning at most
    /// `count`.
    fn list_transactions(&self, count: u32, skip: u32) -> Result<Vec<WalletTransaction>, Error>;
    /// Its state.
    fn get_info(&self) -> Result<WalletInfo, Error>;
    /// Subscribes `notifications` to this wallet's changes until the returned handler is
    /// dropped or disconnected (Core's `Wallet::handle*` callbacks, as one subscription).
    fn handle_notifications(
        &self,
        notifications: Arc<dyn WalletNotifications>,
    ) -> Result<Box<dyn Handler>, Error>;
    /// Encrypts the wallet's private keys with `passphrase` (Core's `encryptwallet`); the
    /// wallet is locked afterwards.
    fn encrypt(&self, passphrase: &str) -> Result<(), Error>;
    /// Forgets the decrypted keys (Core's `walletlock`).
    fn lock(&self) -> Result<(), Error>;
    /// Decrypts the keys for `timeout_secs` seconds (Core's `walletpassphrase`).
    fn unlock(&self, passphrase: &str, timeout_secs: u64) -> Result<(), Error>;
    /// Re-encrypts the keys under `new` (Core's `walletpassphrasechange`).
    fn change_passphrase(&self, old: &str, new: &str) -> Result<(), Error>;
}

/// Pushed by a wallet to a subscriber (Core's `Wallet::handle*` callbacks, as one
/// interface). Calls arrive in order, from a thread of the wallet's own (never while the
/// wallet is locked); an error of kind [`Error::Disconnected`] drops the subscriber.
pub trait WalletNotifications: Send + Sync {
    /// Transaction `txid` (internal byte order) is new, confirmed, unconfirmed by a reorg,
    /// replaced or abandoned.
    fn transaction_changed(&self, txid: [u8; 32]) -> Result<(), Error>;
    /// The balances changed (sent only when they actually did).
    fn balance_changed(&self, balances: &WalletBalances) -> Result<(), Error>;
    /// The wallet was encrypted, locked or unlocked.
    fn status_changed(&self) -> Result<(), Error>;
    /// Progress of a long operation such as a rescan (`progress` 0 to 100).
    fn show_progress(&self, title: &str, progress: i32) -> Result<(), Error>;
    /// The wallet was unloaded; nothing follows.
    fn unloaded(&self) -> Result<(), Error>;
}

/// Called with each wallet loaded or created after subscribing (Core's
/// `WalletLoader::handleLoadWallet`).
pub trait LoadWalletNotify: Send + Sync {
    /// `wallet` was loaded or created.
    fn call(&self, wallet: Box<dyn Wallet>) -> Result<(), Error>;
}

/// Creates, loads and lists the wallets of one wallet process.
pub trait WalletLoader: Send + Sync {
    /// Creates wallet `name` (a new directory under `wallets/`), encrypted with `passphrase`
    /// unless it is empty, and loads it.
    fn create_wallet(&self, name: &str, passphrase: &str) -> Result<Box<dyn Wallet>, Error>;
    /// Loads wallet `name` and catches it up with the chain.
    fn load_wallet(&self, name: &str) -> Result<Box<dyn Wallet>, Error>;
    /// Unloads wallet `name` (after saving it).
    fn unload_wallet(&self, name: &str) -> Result<(), Error>;
    /// The wallets in the wallet directory.
    fn list_wallet_dir(&self) -> Result<Vec<String>, Error>;
    /// The loaded wallets.
    fn list_wallets(&self) -> Result<Vec<String>, Error>;
    /// A loaded wallet.
    fn get_wallet(&self, name: &str) -> Result<Box<dyn Wallet>, Error>;
    /// Calls `callback` with each wallet loaded or created from now on, until the returned
    /// handler is dropped or disconnected.
    fn handle_load_wallet(
        &self,
        callback: Arc<dyn LoadWalletNotify>,
    ) -> Result<Box<dyn Handler>, Error>;
}

/// A shared loader is a loader: lets one loader (a wallet process's proxy, or the wallets
/// of this process) be handed out many times as `Box<dyn WalletLoader>`.
impl<T: WalletLoader + ?Sized> WalletLoader for Arc<T> {
    fn create_wallet(&self, name: &str, passphrase: &str) -> Result<Box<dyn Wallet>, Error> {
        (**self).create_wallet(name, passphrase)
    }
    fn load_wallet(&self, name: &str) -> Result<Box<dyn Wallet>, Error> {
        (**self).load_wallet(name)
    }
    fn unload_wallet(&self, name: &str) -> Result<(), Error> {
        (**self).unload_wallet(name)
    }
    fn list_wallet_dir(&self) -> Result<Vec<String>, Error> {
        (**self).list_wallet_dir()
    }
    fn list_wallets(&self) -> Result<Vec<String>, Error> {
        (**self).list_wallets()
    }
    fn get_wallet(&self, name: &str) -> Result<Box<dyn Wallet>, Error> {
        (**self).get_wallet(name)
    }
    fn handle_load_wallet(
        &self,
        callback: Arc<dyn LoadWalletNotify>,
    ) -> Result<Box<dyn Handler>, Error> {
        (**self).handle_load_wallet(callback)
    }
}
