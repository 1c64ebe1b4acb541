//! The wallet process's interfaces: [`WalletLoader`] (create, load, unload, list; Core's
//! `interfaces::WalletLoader`) and [`Wallet`] (one loaded wallet; Core's `interfaces::Wallet`),
//! shaped for IPC: balances come in one call, a send is one call that builds, signs, commits
//! and broadcasts (or two: [`Wallet::create_transaction`] then
//! [`Wallet::commit_transaction`]). Failures carry Core's messages; [`WalletErrorKind::of`]
//! tells the ones a caller acts on apart, locally and over IPC alike.
//!
//! [`conformance`] (feature `test-utils`) is the suite every implementation passes.

#[cfg(feature = "test-utils")]
pub mod conformance;

use std::sync::Arc;

use crate::{BlockRef, Error, Handler, Outpoint};

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
    /// Unconfirmed and in the node's mempool, as far as the wallet knows.
    pub in_mempool: bool,
    /// Core's `trusted`: confirmed, or unconfirmed, in the mempool and spending only the
    /// wallet's own trusted outputs.
    pub trusted: bool,
    /// Whether it signals BIP125 replaceability.
    pub replaceable: bool,
}

/// Why an address is in the address book (Core's `AddressPurpose`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum AddressPurpose {
    /// One of the wallet's own addresses, handed out to be paid.
    #[default]
    Receive,
    /// Someone else's address the user pays.
    Send,
}

/// One address-book entry (Core's `WalletAddress`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressBookEntry {
    /// The address.
    pub address: String,
    /// Its label (may be empty).
    pub label: String,
    /// Why it is there: [`AddressPurpose::Receive`] for the wallet's own addresses,
    /// [`AddressPurpose::Send`] for others'.
    pub purpose: AddressPurpose,
    /// Whether the wallet owns it (ignored by [`Wallet::set_address_book`]).
    pub is_mine: bool,
}

/// How to replace a transaction with one paying more (Core's `bumpfee` options).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BumpFeeRequest {
    /// The new fee rate in satoshis per 1000 virtual bytes; `None`: estimate for
    /// `conf_target`.
    pub fee_per_kvb: Option<i64>,
    /// Confirmation target for the estimate (`None`: the wallet's default).
    pub conf_target: Option<u32>,
}

/// A replacement the wallet broadcast.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BumpedTransaction {
    /// The replacement's id (internal byte order).
    pub txid: [u8; 32],
    /// The fee the original paid, satoshis.
    pub old_fee: i64,
    /// The fee the replacement pays, satoshis.
    pub new_fee: i64,
}

/// One unspent output of the wallet (Core's `listCoins`, flattened).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WalletCoin {
    /// Where it is.
    pub outpoint: Outpoint,
    /// Satoshis.
    pub value: i64,
    /// Its output script.
    pub script: Vec<u8>,
    /// The address of the script (empty when it has none).
    pub address: String,
    /// Confirmations (0 when unconfirmed).
    pub confirmations: i32,
    /// Whether it is a coinbase output that cannot be spent yet.
    pub immature: bool,
    /// Whether it is locked ([`Wallet::lock_coin`]): coin selection leaves it alone.
    pub locked: bool,
}

/// A PSBT the wallet updated (Core's `fillPSBT`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FilledPsbt {
    /// The PSBT, BIP174 binary.
    pub psbt: Vec<u8>,
    /// Whether every input is signed and finalized.
    pub complete: bool,
}

/// The wallet failures a caller acts on, told apart by Core's messages (the RPC layer maps
/// the same failures to Core's codes: -6, -13, -5, -14, -18).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WalletErrorKind {
    /// Coin selection cannot cover the amounts and the fee.
    InsufficientFunds,
    /// Signing needs the keys of a locked, encrypted wallet.
    Locked,
    /// The passphrase does not decrypt the keys.
    WrongPassphrase,
    /// A transaction the wallet does not hold.
    NotFound,
    /// A wallet that is not loaded.
    WalletNotLoaded,
    /// An address that does not decode for the wallet's network.
    InvalidAddress,
    /// Anything else.
    Other,
}

/// Core's message for [`WalletErrorKind::InsufficientFunds`].
const INSUFFICIENT_FUNDS: &str = "Insufficient funds";
/// Core's message for [`WalletErrorKind::Locked`].
const WALLET_LOCKED: &str =
    "Error: Please enter the wallet passphrase with walletpassphrase first.";
/// Core's message for [`WalletErrorKind::WrongPassphrase`].
const WRONG_PASSPHRASE: &str = "Error: The wallet passphrase entered was incorrect.";
/// Core's message for [`WalletErrorKind::NotFound`].
const TRANSACTION_NOT_FOUND: &str = "Invalid or non-wallet transaction id";
/// Core's message for [`WalletErrorKind::WalletNotLoaded`].
const WALLET_NOT_LOADED: &str = "Requested wallet does not exist or is not loaded";
/// The start of Core's message for [`WalletErrorKind::InvalidAddress`].
const INVALID_ADDRESS_PREFIX: &str = "Invalid Bitcoin address";

impl WalletErrorKind {
    /// The kind of a wallet call's failure (local, or carried over IPC as the server's
    /// message).
    pub fn of(error: &Error) -> WalletErrorKind {
        match error.message() {
            INSUFFICIENT_FUNDS => WalletErrorKind::InsufficientFunds,
            WALLET_LOCKED => WalletErrorKind::Locked,
            WRONG_PASSPHRASE => WalletErrorKind::WrongPassphrase,
            TRANSACTION_NOT_FOUND => WalletErrorKind::NotFound,
            WALLET_NOT_LOADED => WalletErrorKind::WalletNotLoaded,
            m if m.starts_with(INVALID_ADDRESS_PREFIX) => WalletErrorKind::InvalidAddress,
            _ => WalletErrorKind::Other,
        }
    }
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
    /// The address book: every address handed out with [`Wallet::get_new_address`] and
    /// every address named with [`Wallet::set_address_book`] (Core's `getAddresses`).
    fn get_addresses(&self) -> Result<Vec<AddressBookEntry>, Error>;
    /// Names `entry.address` `entry.label` (Core's `setAddressBook`); `entry.purpose` must
    /// say whether the address is the wallet's own.
    fn set_address_book(&self, entry: &AddressBookEntry) -> Result<(), Error>;
    /// One wallet transaction with its status ([`WalletErrorKind::NotFound`] when the wallet
    /// does not hold it, or no longer counts it: replaced or abandoned).
    fn get_transaction(&self, txid: [u8; 32]) -> Result<WalletTransaction, Error>;
    /// Builds a transaction paying `request`'s recipients, signed when `sign`, without
    /// broadcasting or recording it (Core's `createTransaction`).
    fn create_transaction(
        &self,
        request: &SendRequest,
        sign: bool,
    ) -> Result<SentTransaction, Error>;
    /// Broadcasts `tx` (consensus-serialized) through the node and records it (Core's
    /// `commitTransaction`); its id.
    fn commit_transaction(&self, tx: &[u8]) -> Result<[u8; 32], Error>;
    /// Replaces unconfirmed, replaceable transaction `txid` with one paying a higher fee
    /// rate, broadcast and recorded (Core's `bumpfee`).
    fn bump_fee(
        &self,
        txid: [u8; 32],
        request: &BumpFeeRequest,
    ) -> Result<BumpedTransaction, Error>;
    /// Every unspent output, locked ones included.
    fn list_coins(&self) -> Result<Vec<WalletCoin>, Error>;
    /// Keeps `outpoint` out of coin selection; `persistent` locks survive a reload (Core's
    /// `lockCoin`).
    fn lock_coin(&self, outpoint: &Outpoint, persistent: bool) -> Result<(), Error>;
    /// Releases a lock (Core's `unlockCoin`).
    fn unlock_coin(&self, outpoint: &Outpoint) -> Result<(), Error>;
    /// The locked outputs (Core's `listLockedCoins`).
    fn list_locked_coins(&self) -> Result<Vec<Outpoint>, Error>;
    /// Writes a backup of the wallet to `destination` (a file, or a directory to put
    /// `<name>.bak` in; Core's `backupWallet`); the file written.
    fn backup_wallet(&self, destination: &str) -> Result<String, Error>;
    /// Adds what the wallet knows to `psbt` (BIP174 binary): previous outputs, BIP32
    /// derivation paths when `bip32derivs`, and, when `sign`, signatures, finalizing what it
    /// can (Core's `fillPSBT`).
    fn fill_psbt(&self, psbt: &[u8], sign: bool, bip32derivs: bool) -> Result<FilledPsbt, Error>;
}

/// A shared wallet is a wallet: lets one loaded wallet be handed out many times as
/// `Box<dyn Wallet>`.
impl<T: Wallet + ?Sized> Wallet for Arc<T> {
    fn get_name(&self) -> Result<String, Error> {
        (**self).get_name()
    }
    fn get_new_address(&self, label: &str, address_type: &str) -> Result<String, Error> {
        (**self).get_new_address(label, address_type)
    }
    fn get_change_address(&self, address_type: &str) -> Result<String, Error> {
        (**self).get_change_address(address_type)
    }
    fn get_balances(&self) -> Result<WalletBalances, Error> {
        (**self).get_balances()
    }
    fn send(&self, request: &SendRequest) -> Result<SentTransaction, Error> {
        (**self).send(request)
    }
    fn list_transactions(&self, count: u32, skip: u32) -> Result<Vec<WalletTransaction>, Error> {
        (**self).list_transactions(count, skip)
    }
    fn get_info(&self) -> Result<WalletInfo, Error> {
        (**self).get_info()
    }
    fn handle_notifications(
        &self,
        notifications: Arc<dyn WalletNotifications>,
    ) -> Result<Box<dyn Handler>, Error> {
        (**self).handle_notifications(notifications)
    }
    fn encrypt(&self, passphrase: &str) -> Result<(), Error> {
        (**self).encrypt(passphrase)
    }
    fn lock(&self) -> Result<(), Error> {
        (**self).lock()
    }
    fn unlock(&self, passphrase: &str, timeout_secs: u64) -> Result<(), Error> {
        (**self).unlock(passphrase, timeout_secs)
    }
    fn change_passphrase(&self, old: &str, new: &str) -> Result<(), Error> {
        (**self).change_passphrase(old, new)
    }
    fn get_addresses(&self) -> Result<Vec<AddressBookEntry>, Error> {
        (**self).get_addresses()
    }
    fn set_address_book(&self, entry: &AddressBookEntry) -> Result<(), Error> {
        (**self).set_address_book(entry)
    }
    fn get_transaction(&self, txid: [u8; 32]) -> Result<WalletTransaction, Error> {
        (**self).get_transaction(txid)
    }
    fn create_transaction(
        &self,
        request: &SendRequest,
        sign: bool,
    ) -> Result<SentTransaction, Error> {
        (**self).create_transaction(request, sign)
    }
    fn commit_transaction(&self, tx: &[u8]) -> Result<[u8; 32], Error> {
        (**self).commit_transaction(tx)
    }
    fn bump_fee(
        &self,
        txid: [u8; 32],
        request: &BumpFeeRequest,
    ) -> Result<BumpedTransaction, Error> {
        (**self).bump_fee(txid, request)
    }
    fn list_coins(&self) -> Result<Vec<WalletCoin>, Error> {
        (**self).list_coins()
    }
    fn lock_coin(&self, outpoint: &Outpoint, persistent: bool) -> Result<(), Error> {
        (**self).lock_coin(outpoint, persistent)
    }
    fn unlock_coin(&self, outpoint: &Outpoint) -> Result<(), Error> {
        (**self).unlock_coin(outpoint)
    }
    fn list_locked_coins(&self) -> Result<Vec<Outpoint>, Error> {
        (**self).list_locked_coins()
    }
    fn backup_wallet(&self, destination: &str) -> Result<String, Error> {
        (**self).backup_wallet(destination)
    }
    fn fill_psbt(&self, psbt: &[u8], sign: bool, bip32derivs: bool) -> Result<FilledPsbt, Error> {
        (**self).fill_psbt(psbt, sign, bip32derivs)
    }
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

/// Core's `WALLET_FLAG_DISABLE_PRIVATE_KEYS`: a watch-only wallet that never holds private
/// keys (a [`WalletLoader::create_wallet`] flag).
pub const WALLET_FLAG_DISABLE_PRIVATE_KEYS: u64 = 1 << 32;
/// Core's `WALLET_FLAG_BLANK_WALLET`: no descriptors until some are imported.
pub const WALLET_FLAG_BLANK_WALLET: u64 = 1 << 28;
/// Core's `WALLET_FLAG_DESCRIPTORS`: a descriptor wallet (every wallet of this suite is one).
pub const WALLET_FLAG_DESCRIPTORS: u64 = 1 << 34;
/// Core's `WALLET_FLAG_AVOID_REUSE` (not supported: creating with it fails).
pub const WALLET_FLAG_AVOID_REUSE: u64 = 1;
/// Core's `WALLET_FLAG_EXTERNAL_SIGNER` (not supported: creating with it fails).
pub const WALLET_FLAG_EXTERNAL_SIGNER: u64 = 1 << 35;

/// Creates, loads and lists the wallets of one wallet process.
pub trait WalletLoader: Send + Sync {
    /// Creates wallet `name` (a new directory under `wallets/`), encrypted with `passphrase`
    /// unless it is empty, and loads it (Core's `createWallet(name, passphrase,
    /// wallet_creation_flags, warnings)`). `flags` are Core's `WALLET_FLAG_*` bits:
    /// [`WALLET_FLAG_BLANK_WALLET`], [`WALLET_FLAG_DISABLE_PRIVATE_KEYS`] (which allows no
    /// passphrase) and [`WALLET_FLAG_DESCRIPTORS`]; any other bit fails the creation.
    fn create_wallet(
        &self,
        name: &str,
        passphrase: &str,
        flags: u64,
    ) -> Result<Box<dyn Wallet>, Error>;
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
    fn create_wallet(
        &self,
        name: &str,
        passphrase: &str,
        flags: u64,
    ) -> Result<Box<dyn Wallet>, Error> {
        (**self).create_wallet(name, passphrase, flags)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_kinds_survive_the_wire_as_messages() {
        let locked = Error::failed(WALLET_LOCKED);
        assert_eq!(WalletErrorKind::of(&locked), WalletErrorKind::Locked);
        let remote = Error::Remote(locked.message().to_string());
        assert_eq!(WalletErrorKind::of(&remote), WalletErrorKind::Locked);
        let address = Error::Remote("Invalid Bitcoin address: x".into());
        assert_eq!(
            WalletErrorKind::of(&address),
            WalletErrorKind::InvalidAddress
        );
        let gone = Error::Disconnected("eof".into());
        assert_eq!(WalletErrorKind::of(&gone), WalletErrorKind::Other);
    }
}
