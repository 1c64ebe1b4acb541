//! What a loader, its notification subscriber and its sync thread share: the chain, the
//! directories, the options and the loaded wallets (below both `loader` and `notify`).

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use interfaces::Chain;

use crate::wallet::error::WalletError;
use crate::wallet::events::Subscribers;
use crate::wallet::local::LocalWallet;
use crate::wallet::WalletOptions;

/// What the loader, its notification subscriber and its sync thread share.
pub(crate) struct Shared {
    pub(crate) chain: Arc<dyn Chain>,
    pub(crate) wallets_dir: PathBuf,
    pub(crate) settings_file: PathBuf,
    pub(crate) options: WalletOptions,
    pub(crate) wallets: Mutex<Vec<Arc<LocalWallet>>>,
    /// Held while a wallet is created, loaded or unloaded.
    pub(crate) load_lock: Mutex<()>,
    /// Subscribers to wallets being loaded or created.
    pub(crate) load_subscribers: Subscribers<Arc<LocalWallet>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    /// The loaded wallets, in load order.
    pub(crate) fn loaded(&self) -> Vec<Arc<LocalWallet>> {
        lock(&self.wallets).clone()
    }

    /// Syncs every loaded wallet; the first failure is returned after all were tried.
    pub(crate) fn sync_all(&self) -> Result<(), WalletError> {
        let mut first = Ok(());
        for wallet in self.loaded() {
            match wallet.sync() {
                Ok(()) | Err(WalletError::NotLoaded) => {}
                Err(e) => {
                    tracing::warn!(wallet = %wallet.name(), "sync failed: {e}");
                    if first.is_ok() {
                        first = Err(e);
                    }
                }
            }
        }
        first
    }
}
