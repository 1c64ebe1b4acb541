//! The `interfaces` traits over the local types: [`interfaces::WalletLoader`] for
//! [`LocalWalletLoader`] and [`interfaces::Wallet`] for [`LocalWallet`] (handed out as
//! `Arc<LocalWallet>`), with errors as Core's messages. Each method converts and calls the
//! operation the wallet RPCs use; none holds logic of its own.

use std::path::Path;
use std::sync::Arc;

use bdk_wallet::bitcoin::consensus::{deserialize, serialize};
use bdk_wallet::bitcoin::hashes::Hash;
use bdk_wallet::bitcoin::{OutPoint, Psbt, Transaction, Txid};
use interfaces::{
    AddressBookEntry, BlockRef, BumpFeeRequest, BumpedTransaction, Error, FilledPsbt, Handler,
    LoadWalletNotify, Outpoint, SendRequest, SentTransaction, Wallet, WalletBalances, WalletCoin,
    WalletInfo, WalletLoader, WalletNotifications, WalletTransaction,
};

use crate::wallet::bump::BumpRequest;
use crate::wallet::error::WalletError;
use crate::wallet::files;
use crate::wallet::history::{to_i64, Ledger, TxRecord, UnspentRecord};
use crate::wallet::loader::{CreateFlags, LocalWalletLoader};
use crate::wallet::local::LocalWallet;
use crate::wallet::send::FeeMode;
use crate::wallet::store::TxComments;

fn wallet_tx(r: &TxRecord, in_mempool: bool) -> WalletTransaction {
    WalletTransaction {
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
        in_mempool: r.confirmations == 0 && in_mempool,
        trusted: r.trusted,
        replaceable: r.signals_rbf,
    }
}

fn coin(u: &UnspentRecord) -> WalletCoin {
    WalletCoin {
        outpoint: Outpoint {
            txid: u.outpoint.txid.to_byte_array(),
            vout: u.outpoint.vout,
        },
        value: to_i64(u.txout.value.to_sat()),
        script: u.txout.script_pubkey.to_bytes(),
        address: u.address.clone().unwrap_or_default(),
        confirmations: i32::try_from(u.confirmations).unwrap_or(i32::MAX),
        immature: u.immature,
        locked: u.locked,
    }
}

fn outpoint(o: &Outpoint) -> OutPoint {
    OutPoint::new(Txid::from_byte_array(o.txid), o.vout)
}

fn sent(tx: &Transaction, fee: u64) -> SentTransaction {
    SentTransaction {
        txid: tx.compute_txid().to_byte_array(),
        fee: to_i64(fee),
        tx: serialize(tx),
    }
}

impl LocalWallet {
    /// The records chosen by `pick` with whether each is in the node's mempool, under one
    /// look at the wallet.
    fn wallet_txs(
        &self,
        pick: impl FnOnce(&Ledger<'_>) -> Vec<TxRecord>,
    ) -> Result<Vec<WalletTransaction>, WalletError> {
        let state = self.lock()?;
        let ledger = Ledger::new(&state.store, self.options.network, &state.in_mempool);
        // The interface's views hold counted transactions only (abandoned ones are not).
        Ok(pick(&ledger)
            .iter()
            .filter(|r| !r.abandoned)
            .map(|r| wallet_tx(r, state.in_mempool.contains_key(&r.txid)))
            .collect())
    }
}

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
        let outcome = self.send_with(request, FeeMode::Unset, TxComments::default())?;
        Ok(sent(&outcome.tx, outcome.fee))
    }

    fn list_transactions(&self, count: u32, skip: u32) -> Result<Vec<WalletTransaction>, Error> {
        Ok(self.wallet_txs(|ledger| {
            let mut records = ledger.records();
            records.retain(|r| !r.abandoned);
            let end = records.len().saturating_sub(skip as usize);
            let start = end.saturating_sub(count as usize);
            records.truncate(end);
            records.split_off(start)
        })?)
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

    fn get_addresses(&self) -> Result<Vec<AddressBookEntry>, Error> {
        Ok(self.address_book()?)
    }

    fn set_address_book(&self, entry: &AddressBookEntry) -> Result<(), Error> {
        Ok(LocalWallet::set_address_book(
            self,
            &entry.address,
            &entry.label,
            entry.purpose,
        )?)
    }

    fn get_transaction(&self, txid: [u8; 32]) -> Result<WalletTransaction, Error> {
        let txid = Txid::from_byte_array(txid);
        let found = self.wallet_txs(|ledger| ledger.record_of(&txid).into_iter().collect())?;
        Ok(found
            .into_iter()
            .next()
            .ok_or(WalletError::UnknownTransaction)?)
    }

    fn create_transaction(
        &self,
        request: &SendRequest,
        sign: bool,
    ) -> Result<SentTransaction, Error> {
        let (tx, fee) = self.create_transaction_with(request, FeeMode::Unset, sign)?;
        Ok(sent(&tx, fee))
    }

    fn commit_transaction(&self, tx: &[u8]) -> Result<[u8; 32], Error> {
        let tx: Transaction = deserialize(tx)
            .map_err(|e| WalletError::InvalidParameter(format!("TX decode failed: {e}")))?;
        // The fee, when the wallet knows every input (the node checks it otherwise).
        let fee = self
            .lock()
            .map_err(Error::from)?
            .store
            .wallet
            .calculate_fee(&tx)
            .map_or(0, |a| a.to_sat());
        LocalWallet::commit_transaction(self, &tx, fee)?;
        Ok(tx.compute_txid().to_byte_array())
    }

    fn bump_fee(
        &self,
        txid: [u8; 32],
        request: &BumpFeeRequest,
    ) -> Result<BumpedTransaction, Error> {
        let request = BumpRequest {
            fee_per_kvb: request.fee_per_kvb,
            conf_target: request.conf_target,
            mode: FeeMode::Unset,
            replaceable: true,
        };
        let outcome = LocalWallet::bump_fee(self, &Txid::from_byte_array(txid), &request)?;
        Ok(BumpedTransaction {
            txid: outcome.txid.to_byte_array(),
            old_fee: to_i64(outcome.orig_fee),
            new_fee: to_i64(outcome.fee),
        })
    }

    fn list_coins(&self) -> Result<Vec<WalletCoin>, Error> {
        Ok(self.unspent()?.iter().map(coin).collect())
    }

    fn lock_coin(&self, o: &Outpoint, persistent: bool) -> Result<(), Error> {
        Ok(self.lock_coins(false, &[outpoint(o)], persistent)?)
    }

    fn unlock_coin(&self, o: &Outpoint) -> Result<(), Error> {
        Ok(self.lock_coins(true, &[outpoint(o)], false)?)
    }

    fn list_locked_coins(&self) -> Result<Vec<Outpoint>, Error> {
        let locked = self.locked_coins()?;
        Ok(locked
            .iter()
            .map(|o| Outpoint {
                txid: o.txid.to_byte_array(),
                vout: o.vout,
            })
            .collect())
    }

    fn backup_wallet(&self, destination: &str) -> Result<String, Error> {
        let written = self.backup(Path::new(destination))?;
        Ok(written.to_string_lossy().into_owned())
    }

    fn fill_psbt(&self, psbt: &[u8], sign: bool, bip32derivs: bool) -> Result<FilledPsbt, Error> {
        let mut psbt = Psbt::deserialize(psbt)
            .map_err(|e| WalletError::InvalidParameter(format!("TX decode failed {e}")))?;
        let complete = self.fill_psbt_with(&mut psbt, sign, bip32derivs)?;
        Ok(FilledPsbt {
            psbt: psbt.serialize(),
            complete,
        })
    }
}

fn boxed(wallet: Arc<LocalWallet>) -> Box<dyn Wallet> {
    Box::new(wallet)
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
    fn create_wallet(
        &self,
        name: &str,
        passphrase: &str,
        flags: u64,
    ) -> Result<Box<dyn Wallet>, Error> {
        self.0.create_wallet(name, passphrase, flags)
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
    fn create_wallet(
        &self,
        name: &str,
        passphrase: &str,
        flags: u64,
    ) -> Result<Box<dyn Wallet>, Error> {
        let flags = CreateFlags::from_core(flags)?;
        Ok(boxed(
            self.create_wallet_as(name, passphrase, None, flags)?.0,
        ))
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
