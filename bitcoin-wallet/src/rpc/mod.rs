//! Core's wallet RPC methods over a [`LocalWalletLoader`], category `wallet`, with Core's
//! parameters, help layout, result shapes and error codes; merged into the node's RPC
//! server at run time. Wallet selection is Core's: `/wallet/<name>` names the wallet;
//! without it, the one loaded wallet.
//!
//! - [`wallets`] — `createwallet`, `loadwallet`, `unloadwallet`, `listwallets`,
//!   `listwalletdir`, `getwalletinfo`;
//! - [`addresses`] — `getnewaddress`, `getrawchangeaddress`, `getaddressinfo`;
//! - [`coins`] — `getbalance`, `getbalances`, `listunspent`, `lockunspent`,
//!   `listlockunspent`;
//! - [`send`] — `sendtoaddress`, `sendmany`;
//! - [`funded`] — `send`;
//! - [`bump`] — `bumpfee`;
//! - [`descriptors`] — `listdescriptors`, `rescanblockchain`;
//! - [`import`] — `importdescriptors` (an active pair per call, one pair per output type);
//! - [`message`] — `signmessage`;
//! - [`psbt`] — `walletcreatefundedpsbt`, `walletprocesspsbt`;
//! - [`transactions`] — `listtransactions`, `listsinceblock`, `gettransaction`,
//!   `abandontransaction`;
//! - [`encryption`] — `encryptwallet`, `walletpassphrase`, `walletlock`,
//!   `walletpassphrasechange`;
//! - [`backup`] — `backupwallet`, `restorewallet`.

pub mod addresses;
pub mod backup;
pub mod bump;
pub mod coins;
pub mod descriptors;
pub mod encryption;
pub mod funded;
pub mod import;
pub mod message;
pub mod psbt;
pub mod send;
pub mod transactions;
pub mod wallets;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_history;
#[cfg(test)]
mod tests_message;
#[cfg(test)]
mod tests_spend;

use std::sync::Arc;

use bdk_wallet::bitcoin::{BlockHash, Txid};
use rpc::help::{example_cli, example_rpc};
use rpc::protocol::{RpcError, RPC_WALLET_ERROR, RPC_WALLET_NOT_FOUND, RPC_WALLET_NOT_SPECIFIED};
use rpc::{Params, RpcTable};
use serde_json::{json, Value};

use crate::wallet::{LocalWallet, LocalWalletLoader, WalletError};

/// Core's `RPC_WALLET_INVALID_LABEL_NAME`.
pub const RPC_WALLET_INVALID_LABEL_NAME: i32 = -11;
/// Core's `RPC_METHOD_DEPRECATED`.
pub const RPC_METHOD_DEPRECATED: i32 = -32;

/// Core's `RESULT_LAST_PROCESSED_BLOCK` rows, at `indent`.
fn last_processed_rows(indent: usize) -> Vec<(String, String)> {
    let pad = " ".repeat(indent);
    vec![
        (
            format!("{pad}\"lastprocessedblock\" : {{"),
            "(json object) hash and height of the block this information was generated on".into(),
        ),
        (
            format!("{pad}  \"hash\" : \"hex\","),
            "(string) hash of the block this information was generated on".into(),
        ),
        (
            format!("{pad}  \"height\" : n"),
            "(numeric) height of the block this information was generated on".into(),
        ),
        (format!("{pad}}}"), String::new()),
    ]
}

/// A result section in Core's layout: the left column padded to the widest left part plus
/// four, descriptions after it (Core's `Sections::ToString`).
pub fn layout(rows: &[(String, String)]) -> String {
    let pad = rows.iter().map(|(l, _)| l.len()).max().unwrap_or(0) + 4;
    let mut out = String::new();
    for (left, right) in rows {
        if right.is_empty() {
            out += left;
        } else {
            let mut lines = right.split('\n');
            out += &format!("{left:pad$}{}", lines.next().unwrap_or_default());
            for line in lines {
                out += &format!("\n{}{line}", " ".repeat(pad));
            }
        }
        out.push('\n');
    }
    out
}

/// [`layout`] of borrowed rows.
pub fn rows(rows: &[(&str, &str)]) -> String {
    let owned: Vec<(String, String)> = rows
        .iter()
        .map(|(l, r)| (l.to_string(), r.to_string()))
        .collect();
    layout(&owned)
}

/// Core's `HelpExampleCli` plus `HelpExampleRpc`.
fn examples(method: &str, cli_args: &str, rpc_args: &str) -> String {
    example_cli(method, cli_args) + &example_rpc(method, rpc_args)
}

/// A wallet error as Core's RPC error.
pub fn wallet_error(error: WalletError) -> RpcError {
    RpcError::new(error.rpc_code(), error.to_string())
}

/// Core's `GetWalletForJSONRPCRequest`: the wallet the endpoint names, else the only one.
pub fn selected_wallet(
    loader: &LocalWalletLoader,
    uri: &str,
) -> Result<Arc<LocalWallet>, RpcError> {
    if let Some(name) = rpc::dispatch::wallet_name(uri) {
        return loader.get(&name).map_err(|_| {
            RpcError::new(
                RPC_WALLET_NOT_FOUND,
                "Requested wallet does not exist or is not loaded",
            )
        });
    }
    let loaded = loader.loaded();
    match loaded.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(RpcError::new(
            RPC_WALLET_NOT_FOUND,
            "No wallet is loaded. Load a wallet using loadwallet or create a new one with createwallet. (Note: A default wallet is no longer automatically created)",
        )),
        _ => Err(RpcError::new(
            RPC_WALLET_NOT_SPECIFIED,
            "Wallet file not specified (must request wallet RPC through /wallet/<filename> uri-path).",
        )),
    }
}

/// The selected wallet, caught up with the node's tip (Core's
/// `BlockUntilSyncedToCurrentChain`).
fn synced_wallet(
    loader: &LocalWalletLoader,
    params: &Params<'_>,
) -> Result<Arc<LocalWallet>, RpcError> {
    let wallet = selected_wallet(loader, params.uri())?;
    wallet.block_until_synced().map_err(wallet_error)?;
    Ok(wallet)
}

/// Core's `GetAvoidReuseFlag`: asking for reuse avoidance needs the wallet flag.
fn check_avoid_reuse(value: &Value) -> Result<(), RpcError> {
    if value.as_bool() == Some(true) {
        return Err(RpcError::new(
            RPC_WALLET_ERROR,
            "wallet does not have the \"avoid reuse\" feature enabled",
        ));
    }
    Ok(())
}

/// Core's `ParseHashV` for a transaction id.
pub fn parse_txid(name: &str, text: &str) -> Result<Txid, RpcError> {
    rpc::hex::parse_hash_v(text, name)
        .map(<Txid as bdk_wallet::bitcoin::hashes::Hash>::from_byte_array)
}

/// Core's `AppendLastProcessedBlock` object.
fn last_processed_json(tip: (BlockHash, u32)) -> Value {
    json!({"hash": tip.0.to_string(), "height": tip.1})
}

/// Core's `LabelFromValue`.
fn label_from(value: Option<&str>) -> Result<String, RpcError> {
    match value {
        Some("*") => Err(RpcError::new(
            RPC_WALLET_INVALID_LABEL_NAME,
            "Invalid label name",
        )),
        Some(label) => Ok(label.to_string()),
        None => Ok(String::new()),
    }
}

/// Core's wallet methods (category `wallet`) over `loader`'s wallets.
pub fn wallet_table(loader: Arc<LocalWalletLoader>) -> RpcTable {
    let mut table = RpcTable::new();
    table
        .register(wallets::createwallet(loader.clone()))
        .register(wallets::loadwallet(loader.clone()))
        .register(wallets::unloadwallet(loader.clone()))
        .register(wallets::listwallets(loader.clone()))
        .register(wallets::listwalletdir(loader.clone()))
        .register(wallets::getwalletinfo(loader.clone()))
        .register(addresses::getnewaddress(loader.clone()))
        .register(addresses::getrawchangeaddress(loader.clone()))
        .register(addresses::getaddressinfo(loader.clone()))
        .register(coins::getbalance(loader.clone()))
        .register(coins::getbalances(loader.clone()))
        .register(coins::listunspent(loader.clone()))
        .register(coins::lockunspent(loader.clone()))
        .register(coins::listlockunspent(loader.clone()))
        .register(send::sendtoaddress(loader.clone()))
        .register(send::sendmany(loader.clone()))
        .register(funded::send_method(loader.clone()))
        .register(bump::bumpfee(loader.clone()))
        .register(transactions::listtransactions(loader.clone()))
        .register(psbt::walletcreatefundedpsbt(loader.clone()))
        .register(psbt::walletprocesspsbt(loader.clone()))
        .register(descriptors::listdescriptors(loader.clone()))
        .register(import::importdescriptors(loader.clone()))
        .register(descriptors::rescanblockchain(loader.clone()))
        .register(transactions::listsinceblock(loader.clone()))
        .register(transactions::abandontransaction(loader.clone()))
        .register(encryption::encryptwallet(loader.clone()))
        .register(encryption::walletpassphrase(loader.clone()))
        .register(encryption::walletlock(loader.clone()))
        .register(encryption::walletpassphrasechange(loader.clone()))
        .register(backup::backupwallet(loader.clone()))
        .register(backup::restorewallet(loader.clone()))
        .register(message::signmessage(loader.clone()))
        .register(transactions::gettransaction(loader));
    table
}
#[cfg(test)]
mod tests_import;
