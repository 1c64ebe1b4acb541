//! Following the chain: the loader's one subscription to the node's notifications and its
//! one background sync thread. Block notifications only wake the thread (a channel; nothing
//! is scanned inside a callback); mempool transactions are applied to the wallets they
//! concern right away.

use std::sync::mpsc::{Receiver, Sender, TryRecvError};
use std::sync::{Arc, Weak};

use bdk_wallet::bitcoin::consensus::deserialize;
use bdk_wallet::bitcoin::hashes::Hash;
use bdk_wallet::bitcoin::{Transaction, Txid};
use interfaces::{BlockInfo, ChainNotifications, Error, Handler, WalletNotifications};

use crate::wallet::error::WalletError;
use crate::wallet::events::{observe, Told, WalletEvent};
use crate::wallet::local::LocalWallet;
use crate::wallet::shared::Shared;
use crate::wallet::sync::now;

/// What the background thread is asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wake {
    /// The chain moved: sync every wallet.
    Sync,
    /// The loader is going away.
    Stop,
}

/// The loader's subscriber to the node's notifications.
pub(crate) struct Notifications {
    pub shared: Weak<Shared>,
    pub wake: Sender<Wake>,
}

impl Notifications {
    fn wake(&self) {
        // The thread is gone only when the loader is: nothing left to sync.
        let _ = self.wake.send(Wake::Sync);
    }
}

impl ChainNotifications for Notifications {
    fn block_connected(&self, _block: &BlockInfo) -> Result<(), Error> {
        self.wake();
        Ok(())
    }

    fn block_disconnected(&self, _block: &BlockInfo) -> Result<(), Error> {
        self.wake();
        Ok(())
    }

    fn transaction_added_to_mempool(&self, tx: &[u8]) -> Result<(), Error> {
        let Some(shared) = self.shared.upgrade() else {
            return Ok(());
        };
        let tx: Transaction = match deserialize(tx) {
            Ok(tx) => tx,
            Err(e) => {
                tracing::warn!("undecodable mempool transaction from the node: {e}");
                return Ok(());
            }
        };
        let seen = now();
        for wallet in shared.loaded() {
            match wallet.apply_mempool_tx(&tx, seen) {
                Ok(true) => {
                    tracing::debug!(wallet = %wallet.name(), txid = %tx.compute_txid(), "mempool transaction");
                    wallet.publish_changes();
                }
                Ok(false) | Err(WalletError::NotLoaded) => {}
                Err(e) => {
                    tracing::warn!(wallet = %wallet.name(), "applying a mempool transaction failed: {e}")
                }
            }
        }
        Ok(())
    }

    fn transaction_removed_from_mempool(&self, txid: [u8; 32], _reason: &str) -> Result<(), Error> {
        if let Some(shared) = self.shared.upgrade() {
            let txid = Txid::from_byte_array(txid);
            for wallet in shared.loaded() {
                wallet.mempool_removed(&txid);
                wallet.publish_changes();
            }
        }
        Ok(())
    }

    fn updated_block_tip(&self) -> Result<(), Error> {
        self.wake();
        Ok(())
    }
}

/// The background thread: one sync of every wallet per batch of wakes, until told to stop.
pub(crate) fn sync_thread(shared: Arc<Shared>, wakes: Receiver<Wake>) {
    while let Ok(wake) = wakes.recv() {
        if wake == Wake::Stop {
            return;
        }
        loop {
            match wakes.try_recv() {
                Ok(Wake::Sync) => continue,
                Ok(Wake::Stop) | Err(TryRecvError::Disconnected) => return,
                Err(TryRecvError::Empty) => break,
            }
        }
        if let Err(e) = shared.sync_all() {
            tracing::warn!("wallet sync failed: {e}");
        }
        for wallet in shared.loaded() {
            wallet.publish_changes();
        }
    }
}

impl LocalWallet {
    /// Subscribes `notifications` to this wallet (Core's `Wallet::handle*`).
    pub fn subscribe(
        &self,
        notifications: Arc<dyn WalletNotifications>,
    ) -> Result<Box<dyn Handler>, Error> {
        drop(self.lock()?);
        let name = format!("wallet-notify-{}", self.name);
        self.notifier
            .subscribe(&name, notifications, || self.observe())
    }

    /// The wallet's transactions and balances now, unless it was unloaded.
    fn observe(&self) -> Option<Told> {
        let state = self.lock().ok()?;
        Some(observe(
            &state.store,
            &state.in_mempool,
            self.options.network,
        ))
    }

    /// Tells subscribers what changed since they were last told (nothing without
    /// subscribers). Called after every change of the wallet's transactions; the wallet is
    /// locked only to look, and subscribers are called from their own threads.
    pub fn publish_changes(&self) {
        if self.notifier.wanted() {
            self.notifier.tell(|| self.observe());
        }
    }

    /// Tells subscribers of a status change (encrypted, locked, unlocked).
    pub fn publish_status(&self) {
        self.notifier.publish(&WalletEvent::StatusChanged);
    }

    /// Tells subscribers of the progress of `title` (0 to 100).
    pub fn publish_progress(&self, title: &str, progress: i32) {
        self.notifier
            .publish(&WalletEvent::ShowProgress(title.to_string(), progress));
    }
}
