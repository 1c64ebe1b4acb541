//! Descriptors and rescans (Core's `wallet/rpc/backup.cpp` `listdescriptors` and
//! `wallet/rpc/transactions.cpp` `rescanblockchain`): the rescan is the node-side scan of
//! `Chain::scan`, as the wallet's own catch-up is.

use std::sync::Arc;

use rpc::protocol::{RpcError, RPC_INVALID_PARAMETER, RPC_WALLET_ERROR};
use rpc::{Method, Param, ParamType, Params, RpcResult};
use serde_json::{json, Map, Value};

use crate::rpc::{examples, selected_wallet, synced_wallet, wallet_error};
use crate::wallet::LocalWalletLoader;

/// `listdescriptors`'s handler.
fn list_descriptors(loader: &LocalWalletLoader, p: &Params<'_>) -> RpcResult {
    let wallet = selected_wallet(loader, p.uri())?;
    if p.arg::<bool>("private")? {
        return Err(RpcError::new(
            RPC_WALLET_ERROR,
            "listdescriptors with private=true is not supported by this wallet",
        ));
    }
    let descriptors = wallet.descriptors().map_err(wallet_error)?;
    let list: Vec<Value> = descriptors
        .into_iter()
        .map(|d| {
            let mut entry = Map::new();
            entry.insert("desc".into(), d.desc.into());
            entry.insert("timestamp".into(), d.timestamp.into());
            entry.insert("active".into(), true.into());
            entry.insert("internal".into(), d.internal.into());
            entry.insert("range".into(), json!([0, d.range_end]));
            entry.insert("next".into(), d.next_index.into());
            entry.insert("next_index".into(), d.next_index.into());
            Value::Object(entry)
        })
        .collect();
    Ok(json!({"wallet_name": wallet.name(), "descriptors": list}))
}

/// `listdescriptors`.
pub fn listdescriptors(loader: Arc<LocalWalletLoader>) -> Method {
    Method::new("listdescriptors", "wallet", "List all descriptors present in a wallet.")
        .param(Param::default("private", ParamType::Bool, false, "Show private descriptors."))
        .result(&crate::rpc::rows(&[
            ("{", "(json object)"),
            ("  \"wallet_name\" : \"str\",", "(string) Name of wallet this operation was performed on"),
            ("  \"descriptors\" : [", "(json array) Array of descriptor objects (sorted by descriptor string representation)"),
            ("    {", "(json object)"),
            ("      \"desc\" : \"str\",", "(string) Descriptor string representation"),
            ("      \"timestamp\" : n,", "(numeric) The creation time of the descriptor"),
            ("      \"active\" : true|false,", "(boolean) Whether this descriptor is currently used to generate new addresses"),
            ("      \"internal\" : true|false,", "(boolean, optional) True if this descriptor is used to generate change addresses. False if this descriptor is used to generate receiving addresses; defined only for active descriptors"),
            ("      \"range\" : [", "(json array, optional) Defined only for ranged descriptors"),
            ("        n,", "(numeric) Range start inclusive"),
            ("        n", "(numeric) Range end inclusive"),
            ("      ],", ""),
            ("      \"next\" : n,", "(numeric, optional) Same as next_index field. Kept for compatibility reason."),
            ("      \"next_index\" : n", "(numeric, optional) The next index to generate addresses from; defined only for ranged descriptors"),
            ("    },", ""),
            ("    ...", ""),
            ("  ]", ""),
            ("}", ""),
        ]))
        .examples(
            rpc::help::example_cli("listdescriptors", "")
                + &rpc::help::example_cli("listdescriptors", "true")
                + &rpc::help::example_rpc("listdescriptors", ""),
        )
        .handler(move |p| list_descriptors(&loader, p))
}

/// A height argument of `rescanblockchain`, checked against the tip (Core's errors).
fn height_arg(p: &Params<'_>, name: &str, tip: u32) -> Result<Option<u32>, RpcError> {
    let Some(value) = p.maybe_arg::<i64>(name)? else {
        return Ok(None);
    };
    match u32::try_from(value) {
        Ok(h) if h <= tip => Ok(Some(h)),
        _ => Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            format!("Invalid {name}"),
        )),
    }
}

/// `rescanblockchain`'s handler.
fn rescan(loader: &LocalWalletLoader, p: &Params<'_>) -> RpcResult {
    let wallet = synced_wallet(loader, p)?;
    let tip = wallet.last_processed().map_err(wallet_error)?.1;
    let start = height_arg(p, "start_height", tip)?.unwrap_or(0);
    let stop = height_arg(p, "stop_height", tip)?;
    if stop.is_some_and(|s| s < start) {
        return Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            "stop_height must be greater than start_height",
        ));
    }
    let (start, last) = wallet.rescan(start, stop).map_err(wallet_error)?;
    Ok(json!({"start_height": start, "stop_height": last}))
}

/// `rescanblockchain`.
pub fn rescanblockchain(loader: Arc<LocalWalletLoader>) -> Method {
    Method::new("rescanblockchain", "wallet", "Rescan the local blockchain for wallet related transactions.\nNote: Use \"getwalletinfo\" to query the scanning progress.\nThe rescan is significantly faster if block filters are available\n(using startup option \"-blockfilterindex=1\").")
        .param(Param::default("start_height", ParamType::Num, 0, "block height where the rescan should start"))
        .param(Param::hint("stop_height", ParamType::Num, "tip height", "the last block height that should be scanned. If none is provided it will rescan up to the tip at return time of this call."))
        .result(&crate::rpc::rows(&[
            ("{", "(json object)"),
            ("  \"start_height\" : n,", "(numeric) The block height where the rescan started (the requested height or 0)"),
            ("  \"stop_height\" : n", "(numeric) The height of the last rescanned block. May be null in rare cases if there was a reorg and the call didn't scan any blocks because they were already scanned in the background."),
            ("}", ""),
        ]))
        .examples(examples("rescanblockchain", "100000 120000", "100000, 120000"))
        .handler(move |p| rescan(&loader, p))
}
