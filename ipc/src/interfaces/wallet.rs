//! `WalletLoader` and `Wallet` over IPC (`wallet.capnp`): a wallet process's wallets, used by
//! the node that spawned it and by front ends.

use interfaces::{
    SendRequest, SentTransaction, Wallet, WalletBalances, WalletInfo, WalletTransaction,
};

crate::interface! {
    /// An [`interfaces::WalletLoader`] served by a wallet process.
    WalletLoaderProxy, WalletLoaderServer: dyn interfaces::WalletLoader, schemas::wallet_capnp::wallet_loader;
    [destroy]
    methods {
        fn create_wallet(name: &str => [text], passphrase: &str => [text]) -> Box<dyn Wallet> => [cap_box WalletProxy WalletServer];
        fn load_wallet(name: &str => [text]) -> Box<dyn Wallet> => [cap_box WalletProxy WalletServer];
        fn unload_wallet(name: &str => [text]) -> () => [unit];
        fn list_wallet_dir() -> Vec<String> => [list_text];
        fn list_wallets() -> Vec<String> => [list_text];
        fn get_wallet(name: &str => [text]) -> Box<dyn Wallet> => [cap_box WalletProxy WalletServer];
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
    }
}
