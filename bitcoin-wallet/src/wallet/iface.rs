//! The `interfaces` traits over the local types: [`interfaces::WalletLoader`] for
//! [`LocalWalletLoader`] and [`interfaces::Wallet`] for [`LocalWallet`] (and for the handles
//! the loader gives out), with errors as Core's messages.

use std::sync::Arc;

use bdk_wallet::bitcoin::consensus::serialize;
use bdk_wallet::bitcoin::hashes::Hash;
use interfaces::{
    BlockRef, Error, Handler, LoadWalletNotify, SendRequest, SentTransaction, Wallet,
    WalletBalances, WalletInfo, WalletLoader, WalletNotifications, WalletTransaction,
};

use crate::wallet::files;
use crate::wallet::history::to_i64;
use crate::wallet::loader::LocalWalletLoader;
use crate::wallet::local::LocalWallet;
use crate::wallet::send::FeeMode;
use crate::wallet::store::TxComments;

impl Wallet for LocalWallet {
    fn get_name(&self) -> Result<String, Error> {
        Ok(self.name().to_string())
    }

    fn get_new_address(&self, label: &str, address_type: &str) -> Result<String, Error> {
        Ok(self.new_address(label, address_type)?)
    }

    fn get_change_address(&self, address_type: &str) -> Result<String, Error> {
        Ok(self.change_address(address_type)?)
    }

    fn get_balances(&self) -> Result<WalletBalances, Error> {
        Ok(self.balances_at(0)?)
    }

    fn send(&self, request: &SendRequest) -> Result<SentTransaction, Error> {
        let sent = self.send_with(request, FeeMode::Unset, TxComments::default())?;
        Ok(SentTransaction {
            txid: sent.txid.to_byte_array(),
            fee: to_i64(sent.fee),
            tx: serialize(&sent.tx),
        })
    }

    fn list_transactions(&self, count: u32, skip: u32) -> Result<Vec<WalletTransaction>, Error> {
        let records = self.history()?;
        let end = records.len().saturating_sub(skip as usize);
        let start = end.saturating_sub(count as usize);
        Ok(records[start..end]
            .iter()
            .map(|r| WalletTransaction {
                txid: r.txid.to_byte_array(),
                tx: serialize(r.tx.as_ref()),
                net: to_i64(r.credit) - to_i64(r.debit),
                fee: r.fee().filter(|_| r.all_inputs_mine),
                confirmations: i32::try_from(r.confirmations).unwrap_or(i32::MAX),
                block: r.block.map(|b| BlockRef {
                    hash: b.hash.to_byte_array(),
                    height: i32::try_from(b.height).unwrap_or(i32::MAX),
                }),
                time: to_i64(r.time),
                coinbase: r.coinbase,
            })
            .collect())
    }

    fn get_info(&self) -> Result<WalletInfo, Error> {
        Ok(self.info()?)
    }

    fn handle_notifications(
        &self,
        notifications: Arc<dyn WalletNotifications>,
    ) -> Result<Box<dyn Handler>, Error> {
        self.subscribe(notifications)
    }

    fn encrypt(&self, passphrase: &str) -> Result<(), Error> {
        Ok(self.encrypt_keys(passphrase)?)
    }

    fn lock(&self) -> Result<(), Error> {
        Ok(self.lock_keys()?)
    }

    fn unlock(&self, passphrase: &str, timeout_secs: u64) -> Result<(), Error> {
        Ok(self.unlock_keys(passphrase, timeout_secs)?)
    }

    fn change_passphrase(&self, old: &str, new: &str) -> Result<(), Error> {
        Ok(self.change_passphrase_of_keys(old, new)?)
    }
}

/// A loaded wallet as the loader hands it out.
struct SharedWallet(Arc<LocalWallet>);

impl Wallet for SharedWallet {
    fn get_name(&self) -> Result<String, Error> {
        self.0.get_name()
    }
    fn get_new_address(&self, label: &str, address_type: &str) -> Result<String, Error> {
        self.0.get_new_address(label, address_type)
    }
    fn get_change_address(&self, address_type: &str) -> Result<String, Error> {
        self.0.get_change_address(address_type)
    }
    fn get_balances(&self) -> Result<WalletBalances, Error> {
        self.0.get_balances()
    }
    fn send(&self, request: &SendRequest) -> Result<SentTransaction, Error> {
        Wallet::send(self.0.as_ref(), request)
    }
    fn list_transactions(&self, count: u32, skip: u32) -> Result<Vec<WalletTransaction>, Error> {
        self.0.list_transactions(count, skip)
    }
    fn get_info(&self) -> Result<WalletInfo, Error> {
        self.0.get_info()
    }
    fn handle_notifications(
        &self,
        notifications: Arc<dyn WalletNotifications>,
    ) -> Result<Box<dyn Handler>, Error> {
        self.0.handle_notifications(notifications)
    }
    fn encrypt(&self, passphrase: &str) -> Result<(), Error> {
        self.0.encrypt(passphrase)
    }
    fn lock(&self) -> Result<(), Error> {
        Wallet::lock(self.0.as_ref())
    }
    fn unlock(&self, passphrase: &str, timeout_secs: u64) -> Result<(), Error> {
        self.0.unlock(passphrase, timeout_secs)
    }
    fn change_passphrase(&self, old: &str, new: &str) -> Result<(), Error> {
        self.0.change_passphrase(old, new)
    }
}

fn boxed(wallet: Arc<LocalWallet>) -> Box<dyn Wallet> {
    Box::new(SharedWallet(wallet))
}

/// A shared loader as the interface hands it out.
struct SharedLoader(Arc<LocalWalletLoader>);

impl LocalWalletLoader {
    /// This loader as a `Box<dyn interfaces::WalletLoader>` (for `Init::make_wallet_loader`;
    /// `Arc<LocalWalletLoader>` itself cannot implement the trait).
    pub fn interface(self: &Arc<Self>) -> Box<dyn WalletLoader> {
        Box::new(SharedLoader(self.clone()))
    }
}

impl WalletLoader for SharedLoader {
    fn create_wallet(&self, name: &str, passphrase: &str) -> Result<Box<dyn Wallet>, Error> {
        self.0.create_wallet(name, passphrase)
    }
    fn load_wallet(&self, name: &str) -> Result<Box<dyn Wallet>, Error> {
        self.0.load_wallet(name)
    }
    fn unload_wallet(&self, name: &str) -> Result<(), Error> {
        self.0.unload_wallet(name)
    }
    fn list_wallet_dir(&self) -> Result<Vec<String>, Error> {
        self.0.list_wallet_dir()
    }
    fn list_wallets(&self) -> Result<Vec<String>, Error> {
        self.0.list_wallets()
    }
    fn get_wallet(&self, name: &str) -> Result<Box<dyn Wallet>, Error> {
        self.0.get_wallet(name)
    }
    fn handle_load_wallet(
        &self,
        callback: Arc<dyn LoadWalletNotify>,
    ) -> Result<Box<dyn Handler>, Error> {
        self.0.handle_load_wallet(callback)
    }
}

impl WalletLoader for LocalWalletLoader {
    fn create_wallet(&self, name: &str, passphrase: &str) -> Result<Box<dyn Wallet>, Error> {
        Ok(boxed(self.create_wallet_with(name, passphrase, None)?.0))
    }

    fn load_wallet(&self, name: &str) -> Result<Box<dyn Wallet>, Error> {
        Ok(boxed(self.load_wallet_with(name, None)?.0))
    }

    fn unload_wallet(&self, name: &str) -> Result<(), Error> {
        self.unload_wallet_with(name, None)?;
        Ok(())
    }

    fn list_wallet_dir(&self) -> Result<Vec<String>, Error> {
        Ok(files::list_wallets(self.wallets_dir())?)
    }

    fn list_wallets(&self) -> Result<Vec<String>, Error> {
        Ok(self.loaded().iter().map(|w| w.name().to_string()).collect())
    }

    fn get_wallet(&self, name: &str) -> Result<Box<dyn Wallet>, Error> {
        Ok(boxed(self.get(name)?))
    }

    fn handle_load_wallet(
        &self,
        callback: Arc<dyn LoadWalletNotify>,
    ) -> Result<Box<dyn Handler>, Error> {
        self.shared_state()
            .load_subscribers
            .subscribe("wallet-load-notify", move |wallet| {
                callback.call(boxed(wallet.clone()))
            })
    }
}
