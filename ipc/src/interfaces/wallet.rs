//! `WalletLoader` and `Wallet` over IPC (`wallet.capnp`): a wallet process's wallets, used by
//! the node that spawned it and by front ends, and the wallet notifications whose callbacks
//! run in the subscriber's process.

use std::sync::Arc;

use interfaces::{
    AddressBookEntry, BumpFeeRequest, BumpedTransaction, FilledPsbt, Handler, LoadWalletNotify,
    Outpoint, SendRequest, SentTransaction, Wallet, WalletBalances, WalletCoin, WalletInfo,
    WalletNotifications, WalletTransaction,
};

use crate::interfaces::handler::{HandlerProxy, HandlerServer};

/// A wallet handed to a load callback crosses to the loop thread as it is.
impl crate::proxy::IntoSend for Box<dyn Wallet> {
    type Owned = Box<dyn Wallet>;
    fn into_send(self) -> Box<dyn Wallet> {
        self
    }
}

crate::interface! {
    /// An [`interfaces::WalletLoader`] served by a wallet process.
    WalletLoaderProxy, WalletLoaderServer: dyn interfaces::WalletLoader, schemas::wallet_capnp::wallet_loader;
    [destroy]
    methods {
        fn create_wallet(name: &str => [text], passphrase: &str => [text], flags: u64 => [prim]) -> Box<dyn Wallet> => [cap_box WalletProxy WalletServer];
        fn load_wallet(name: &str => [text]) -> Box<dyn Wallet> => [cap_box WalletProxy WalletServer];
        fn unload_wallet(name: &str => [text]) -> () => [unit];
        fn list_wallet_dir() -> Vec<String> => [list_text];
        fn list_wallets() -> Vec<String> => [list_text];
        fn get_wallet(name: &str => [text]) -> Box<dyn Wallet> => [cap_box WalletProxy WalletServer];
        fn handle_load_wallet(callback: Arc<dyn LoadWalletNotify> => [cap_arc LoadWalletNotifyProxy LoadWalletNotifyServer]) -> Box<dyn Handler> => [cap_box HandlerProxy HandlerServer];
    }
}

crate::interface! {
    /// An [`interfaces::Wallet`] served by a wallet process.
    WalletProxy, WalletServer: dyn Wallet, schemas::wallet_capnp::wallet;
    [destroy]
    methods {
        fn get_name() -> String => [text];
        fn get_new_address(label: &str => [text], address_type: &str => [text]) -> String => [text];
        fn get_change_address(address_type: &str => [text]) -> String => [text];
        fn get_balances() -> WalletBalances => [struct WalletBalances];
        fn send(request: &SendRequest => [struct SendRequest]) -> SentTransaction => [struct SentTransaction];
        fn list_transactions(count: u32 => [prim], skip: u32 => [prim]) -> Vec<WalletTransaction> => [list_struct WalletTransaction];
        fn get_info() -> WalletInfo => [struct WalletInfo];
        fn handle_notifications(notifications: Arc<dyn WalletNotifications> => [cap_arc WalletNotificationsProxy WalletNotificationsServer]) -> Box<dyn Handler> => [cap_box HandlerProxy HandlerServer];
        fn encrypt(passphrase: &str => [text]) -> () => [unit];
        fn lock() -> () => [unit];
        fn unlock(passphrase: &str => [text], timeout_secs: u64 => [prim]) -> () => [unit];
        fn change_passphrase(old: &str => [text], new: &str => [text]) -> () => [unit];
        fn get_addresses() -> Vec<AddressBookEntry> => [list_struct AddressBookEntry];
        fn set_address_book(entry: &AddressBookEntry => [struct AddressBookEntry]) -> () => [unit];
        fn get_transaction(txid: [u8; 32] => [hash]) -> WalletTransaction => [struct WalletTransaction];
        fn create_transaction(request: &SendRequest => [struct SendRequest], sign: bool => [prim]) -> SentTransaction => [struct SentTransaction];
        fn commit_transaction(tx: &[u8] => [data]) -> [u8; 32] => [hash];
        fn bump_fee(txid: [u8; 32] => [hash], request: &BumpFeeRequest => [struct BumpFeeRequest]) -> BumpedTransaction => [struct BumpedTransaction];
        fn list_coins() -> Vec<WalletCoin> => [list_struct WalletCoin];
        fn lock_coin(outpoint: &Outpoint => [struct Outpoint], persistent: bool => [prim]) -> () => [unit];
        fn unlock_coin(outpoint: &Outpoint => [struct Outpoint]) -> () => [unit];
        fn list_locked_coins() -> Vec<Outpoint> => [list_struct Outpoint];
        fn backup_wallet(destination: &str => [text]) -> String => [text];
        fn fill_psbt(psbt: &[u8] => [data], sign: bool => [prim], bip32derivs: bool => [prim]) -> FilledPsbt => [struct FilledPsbt];
    }
}

crate::interface! {
    /// Wallet notifications delivered to another process.
    WalletNotificationsProxy, WalletNotificationsServer: dyn WalletNotifications, schemas::wallet_capnp::wallet_notifications;
    methods {
        fn transaction_changed(txid: [u8; 32] => [hash]) -> () => [unit];
        fn balance_changed(balances: &WalletBalances => [struct WalletBalances]) -> () => [unit];
        fn status_changed() -> () => [unit];
        fn show_progress(title: &str => [text], progress: i32 => [prim]) -> () => [unit];
        fn unloaded() -> () => [unit];
    }
}

crate::interface! {
    /// A wallet-load callback living in another process.
    LoadWalletNotifyProxy, LoadWalletNotifyServer: dyn LoadWalletNotify, schemas::wallet_capnp::load_wallet_callback;
    methods {
        fn call(wallet: Box<dyn Wallet> => [cap_box WalletProxy WalletServer]) -> () => [unit];
    }
}
