//! [`LocalWallet`]: one loaded wallet — its store behind a mutex, its signers, and the
//! operations every front end uses (addresses, balances, history, state), each persisting
//! its changes before it returns. Syncing lives in `sync`, sending in `send`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bdk_wallet::bitcoin::hashes::Hash as _;
use bdk_wallet::bitcoin::{BlockHash, Transaction, Txid};
use bdk_wallet::KeychainKind;
use interfaces::{BlockRef, Chain, WalletBalances, WalletInfo};

use crate::wallet::error::WalletError;
use crate::wallet::events::Notifier;
use crate::wallet::history::{to_i64, Ledger, TxRecord, UnspentRecord};
use crate::wallet::keys::{kind_of_address_type, KeyMaterial};
use crate::wallet::store::{Store, LOOKAHEAD};
use crate::wallet::vault::Vault;
use crate::wallet::WalletOptions;

/// The mutable state of a loaded wallet.
pub(crate) struct State {
    /// The store.
    pub store: Store,
    /// Its unconfirmed transactions the node's mempool holds.
    pub in_mempool: HashMap<Txid, u64>,
    /// Set by unload: every later operation fails and nothing more is written.
    pub unloaded: bool,
}

/// One loaded wallet (shared as `Arc<LocalWallet>`).
pub struct LocalWallet {
    pub(crate) name: String,
    pub(crate) dir: PathBuf,
    pub(crate) chain: Arc<dyn Chain>,
    pub(crate) options: WalletOptions,
    /// Its keys with public descriptors (the private ones are in `vault`).
    pub(crate) keys: KeyMaterial,
    /// Its signing keys, while available.
    pub(crate) vault: Vault,
    pub(crate) state: Mutex<State>,
    /// Held while syncing or sending, so that neither interleaves with the other.
    pub(crate) sync_lock: Mutex<()>,
    /// Its notification subscribers.
    pub(crate) notifier: Arc<Notifier>,
}

impl std::fmt::Debug for LocalWallet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalWallet")
            .field("name", &self.name)
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

/// The wallet's state at a glance, with what `getwalletinfo` shows beyond [`WalletInfo`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletDetails {
    /// The name.
    pub name: String,
    /// Transactions held.
    pub tx_count: u64,
    /// Unused keys derived ahead on the receiving keychain.
    pub keypool_size: u32,
    /// Unused keys derived ahead on the change keychain.
    pub keypool_size_internal: u32,
    /// When the wallet was created.
    pub birthtime: i64,
    /// The last block processed.
    pub last_processed: (BlockHash, u32),
}

/// Core's checks before handing out an address of `address_type` (`""`: Core's
/// `-addresstype` default, `bech32`): a wallet without descriptors has no keys, and only
/// the types of the wallet's active descriptor pairs have addresses. The pair to use.
fn check_address_type(
    keys: &KeyMaterial,
    store: &Store,
    address_type: &str,
) -> Result<usize, WalletError> {
    let wanted = if address_type.is_empty() {
        "bech32"
    } else {
        address_type
    };
    let kind = kind_of_address_type(wanted)
        .ok_or_else(|| WalletError::UnknownAddressType(wanted.to_string()))?;
    if keys.blank {
        return Err(WalletError::NoKeys);
    }
    store
        .pair_of_kind(kind)
        .ok_or_else(|| WalletError::NoAddressesOfType(wanted.to_string()))
}

/// Reveals the next address of `keychain` in pair `pair`.
fn reveal(store: &mut Store, pair: usize, keychain: KeychainKind) -> Result<String, WalletError> {
    let wallet = store
        .pair_mut(pair)
        .ok_or_else(|| WalletError::Storage(format!("no descriptor pair {pair}")))?;
    Ok(wallet.reveal_next_address(keychain).address.to_string())
}

impl LocalWallet {
    /// A loaded wallet over its opened store.
    pub(crate) fn new(
        name: &str,
        dir: &Path,
        chain: Arc<dyn Chain>,
        options: WalletOptions,
        keys: KeyMaterial,
        store: Store,
    ) -> Result<LocalWallet, WalletError> {
        let public = keys.public(store.wallet.secp_ctx(), options.network, name)?;
        let vault = Vault::new(keys, options.network, name)?;
        Ok(LocalWallet {
            name: name.to_string(),
            dir: dir.to_path_buf(),
            chain,
            options,
            keys: public,
            vault,
            state: Mutex::new(State {
                store,
                in_mempool: HashMap::new(),
                unloaded: false,
            }),
            sync_lock: Mutex::new(()),
            notifier: Arc::default(),
        })
    }

    /// Whether it has no descriptors yet (Core's `blank` flag).
    pub fn is_blank(&self) -> bool {
        self.keys.blank
    }

    /// Whether it was created with `disable_private_keys`.
    pub fn is_watch_only(&self) -> bool {
        self.keys.watch_only
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The options it was loaded with.
    pub fn options(&self) -> &WalletOptions {
        &self.options
    }

    /// The state, unless the wallet was unloaded.
    pub(crate) fn lock(&self) -> Result<MutexGuard<'_, State>, WalletError> {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.unloaded {
            return Err(WalletError::NotLoaded);
        }
        Ok(state)
    }

    /// Marks the wallet unloaded (after this, nothing is written).
    pub(crate) fn mark_unloaded(&self) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if let Err(e) = state.store.persist() {
            tracing::warn!(wallet = %self.name, "saving before unload failed: {e}");
        }
        state.unloaded = true;
        drop(state);
        self.notifier.close();
    }

    /// A new receiving address (Core's `getnewaddress`), labelled `label`.
    pub fn new_address(&self, label: &str, address_type: &str) -> Result<String, WalletError> {
        let mut state = self.lock()?;
        let pair = check_address_type(&self.keys, &state.store, address_type)?;
        let address = reveal(&mut state.store, pair, KeychainKind::External)?;
        state.store.persist()?;
        state.store.set_label(&address, label)?;
        Ok(address)
    }

    /// A new change address (Core's `getrawchangeaddress`).
    pub fn change_address(&self, address_type: &str) -> Result<String, WalletError> {
        let mut state = self.lock()?;
        let pair = check_address_type(&self.keys, &state.store, address_type)?;
        let address = reveal(&mut state.store, pair, KeychainKind::Internal)?;
        state.store.persist()?;
        Ok(address)
    }

    /// Runs `f` on the wallet's ledger.
    pub(crate) fn with_ledger<T>(
        &self,
        f: impl FnOnce(&Ledger<'_>) -> T,
    ) -> Result<T, WalletError> {
        let state = self.lock()?;
        let ledger = Ledger::new(&state.store, self.options.network, &state.in_mempool);
        Ok(f(&ledger))
    }

    /// Core's `GetBalance(min_depth)`: trusted balance counting only outputs with at least
    /// `min_depth` confirmations, untrusted pending and immature, in satoshis.
    pub fn balances_at(&self, min_depth: u32) -> Result<WalletBalances, WalletError> {
        let (trusted, untrusted, immature) = self.with_ledger(|l| l.balances(min_depth))?;
        Ok(WalletBalances {
            trusted: to_i64(trusted),
            untrusted_pending: to_i64(untrusted),
            immature: to_i64(immature),
        })
    }

    /// Every wallet transaction, oldest first.
    pub fn history(&self) -> Result<Vec<TxRecord>, WalletError> {
        self.with_ledger(|l| l.records())
    }

    /// One wallet transaction.
    pub fn transaction(&self, txid: &Txid) -> Result<Option<TxRecord>, WalletError> {
        self.with_ledger(|l| l.record_of(txid))
    }

    /// Every unspent output.
    pub fn unspent(&self) -> Result<Vec<UnspentRecord>, WalletError> {
        self.with_ledger(|l| l.unspent())
    }

    /// Core's inferred descriptor of one of the wallet's scripts:
    /// `wpkh([fingerprint/84h/1h/0h/0/5]pubkey)#checksum` (`tr(...xonly)` for taproot,
    /// `pkh(...)` and `sh(wpkh(...))` likewise).
    pub fn inferred_descriptor(
        &self,
        pair: usize,
        keychain: KeychainKind,
        index: u32,
    ) -> Option<String> {
        use bdk_wallet::miniscript::descriptor::ShInner;
        use bdk_wallet::miniscript::Descriptor;
        let state = self.lock().ok()?;
        if self.keys.blank {
            return None;
        }
        let wallet = state.store.pair(pair)?;
        let (kind, key) = match wallet.public_descriptor(keychain) {
            Descriptor::Wpkh(wpkh) => ("wpkh", wpkh.as_inner().clone()),
            Descriptor::Tr(tr) if tr.tap_tree().is_none() => ("tr", tr.internal_key().clone()),
            Descriptor::Pkh(pkh) => ("pkh", pkh.as_inner().clone()),
            Descriptor::Sh(sh) => match sh.as_inner() {
                ShInner::Wpkh(wpkh) => ("sh(wpkh", wpkh.as_inner().clone()),
                _ => return None,
            },
            _ => return None,
        };
        let key = key.at_derivation_index(index).ok()?;
        let path = key.full_derivation_path()?.to_string().replace('\'', "h");
        let pubkey = key.derive_public_key(wallet.secp_ctx()).ok()?;
        let shown = if kind == "tr" {
            pubkey.inner.x_only_public_key().0.to_string()
        } else {
            pubkey.to_string()
        };
        let close = if kind == "sh(wpkh" { ")" } else { "" };
        let body = format!(
            "{kind}([{}/{path}]{shown}){close}",
            key.master_fingerprint()
        );
        let sum = rpc::descriptor::checksum(&body)?;
        Some(format!("{body}#{sum}"))
    }

    /// The wallet's last processed block.
    pub fn last_processed(&self) -> Result<(BlockHash, u32), WalletError> {
        let state = self.lock()?;
        let tip = state.store.wallet.latest_checkpoint();
        Ok((tip.hash(), tip.height()))
    }

    /// Its state for `getwalletinfo`.
    pub fn details(&self) -> Result<WalletDetails, WalletError> {
        let state = self.lock()?;
        let ledger = Ledger::new(&state.store, self.options.network, &state.in_mempool);
        let tip = state.store.wallet.latest_checkpoint();
        Ok(WalletDetails {
            name: self.name.clone(),
            tx_count: ledger.tx_count() as u64,
            keypool_size: if self.keys.blank { 0 } else { LOOKAHEAD },
            keypool_size_internal: if self.keys.blank { 0 } else { LOOKAHEAD },
            birthtime: self.keys.birthtime,
            last_processed: (tip.hash(), tip.height()),
        })
    }

    /// Applies a mempool transaction if it pays to the wallet or spends its outputs;
    /// returns whether it did.
    pub fn apply_mempool_tx(&self, tx: &Transaction, seen_at: u64) -> Result<bool, WalletError> {
        let mut state = self.lock()?;
        let relevant = state
            .store
            .wallets()
            .any(|w| w.spk_index().inner().is_relevant(tx));
        if tx.is_coinbase() || !relevant {
            return Ok(false);
        }
        let txid = tx.compute_txid();
        let seen_before = state.store.wallets().any(|w| {
            w.tx_graph()
                .get_tx_node(txid)
                .is_some_and(|node| node.last_seen.is_some())
        });
        if seen_before {
            // Already seen unconfirmed (the wallet sent it, or was told before): its time
            // stays. Renewing it here could make a late notification of a transaction the
            // wallet has since replaced (bumpfee) look newer than its replacement.
            state.in_mempool.entry(txid).or_insert(seen_at);
            return Ok(true);
        }
        state.store.apply_unconfirmed_all(tx, seen_at);
        state.store.persist()?;
        state.store.note_order([txid])?;
        state.in_mempool.insert(txid, seen_at);
        Ok(true)
    }

    /// Notes that the mempool dropped `txid`.
    pub fn mempool_removed(&self, txid: &Txid) {
        if let Ok(mut state) = self.lock() {
            state.in_mempool.remove(txid);
        }
    }

    /// Interface view of its state.
    pub fn info(&self) -> Result<WalletInfo, WalletError> {
        let details = self.details()?;
        let balances = self.balances_at(0)?;
        Ok(WalletInfo {
            name: details.name,
            tx_count: details.tx_count,
            balances,
            last_processed: BlockRef {
                hash: details.last_processed.0.to_byte_array(),
                height: i32::try_from(details.last_processed.1).unwrap_or(i32::MAX),
            },
            encrypted: self.vault.is_encrypted(),
            unlocked_until: self.vault.unlocked_until(),
            private_keys_enabled: !self.keys.watch_only,
        })
    }
}
