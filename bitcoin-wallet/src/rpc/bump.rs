//! Fee bumping (Core's `wallet/rpc/spend.cpp` `bumpfee`): options `conf_target`,
//! `fee_rate`, `replaceable`, `estimate_mode`; `outputs` and `original_change_index` are
//! refused with `-8` (the replacement keeps the original's outputs and change).

use std::sync::Arc;

use rpc::amount::amount_to_value;
use rpc::help::example_cli;
use rpc::protocol::{RpcError, RPC_INVALID_PARAMETER};
use rpc::{Method, Param, ParamType, Params, RpcResult};
use serde_json::{json, Map, Value};

use crate::rpc::send::{fee_settings, ESTIMATE_MODE_DESC};
use crate::rpc::{parse_txid, synced_wallet, wallet_error};
use crate::wallet::history::to_i64;
use crate::wallet::{BumpRequest, LocalWalletLoader};

/// The options `bumpfee` knows, with their JSON types.
const OPTIONS: &[(&str, &str)] = &[
    ("conf_target", "number"),
    ("fee_rate", ""),
    ("replaceable", "bool"),
    ("estimate_mode", "string"),
    ("outputs", "array"),
    ("original_change_index", "number"),
];

/// Core's `RPCTypeCheckObj(options, ..., fAllowNull=true, fStrict=true)`.
fn check_options(options: &Map<String, Value>) -> Result<(), RpcError> {
    for (key, value) in options {
        let Some((_, expected)) = OPTIONS.iter().find(|(k, _)| k == key) else {
            return Err(RpcError::type_error(format!("Unexpected key {key}")));
        };
        let actual = rpc::protocol::type_name(value);
        if !expected.is_empty() && !value.is_null() && actual != *expected {
            return Err(RpcError::type_error(format!(
                "JSON value of type {actual} for field {key} is not of expected type {expected}"
            )));
        }
    }
    for key in ["outputs", "original_change_index"] {
        if options.get(key).is_some_and(|v| !v.is_null()) {
            return Err(RpcError::new(
                RPC_INVALID_PARAMETER,
                format!("The {key} option is not supported by this wallet"),
            ));
        }
    }
    Ok(())
}

/// `bumpfee`'s handler.
fn bump(loader: &LocalWalletLoader, p: &Params<'_>) -> RpcResult {
    let wallet = synced_wallet(loader, p)?;
    if wallet.is_watch_only() {
        return Err(RpcError::new(
            rpc::protocol::RPC_WALLET_ERROR,
            "bumpfee is not available with wallets that have private keys disabled. Use psbtbumpfee instead.",
        ));
    }
    let txid = parse_txid("txid", p.arg::<&str>("txid")?)?;
    let empty = Map::new();
    let options = match p.value("options")? {
        Some(Value::Object(map)) => map,
        _ => &empty,
    };
    check_options(options)?;
    let field = |k: &str| options.get(k).cloned().unwrap_or(Value::Null);
    let (fee_per_kvb, conf_target, mode) = fee_settings(
        &field("conf_target"),
        &field("estimate_mode"),
        &field("fee_rate"),
    )?;
    let request = BumpRequest {
        fee_per_kvb,
        conf_target,
        mode,
        replaceable: field("replaceable").as_bool().unwrap_or(true),
    };
    let outcome = wallet.bump_fee(&txid, &request).map_err(wallet_error)?;
    Ok(json!({
        "txid": outcome.txid.to_string(),
        "origfee": amount_to_value(to_i64(outcome.orig_fee)),
        "fee": amount_to_value(to_i64(outcome.fee)),
        "errors": [],
    }))
}

/// `bumpfee`.
pub fn bumpfee(loader: Arc<LocalWalletLoader>) -> Method {
    let options = vec![
        Param::hint("conf_target", ParamType::Num, "wallet -txconfirmtarget", "Confirmation target in blocks\n"),
        Param::hint("fee_rate", ParamType::Amount, "not set, fall back to wallet fee estimation", "\nSpecify a fee rate in sat/vB instead of relying on the built-in fee estimator.\nMust be at least 1.000 sat/vB higher than the current transaction fee rate.\nWARNING: before version 0.21, fee_rate was in BTC/kvB. As of 0.21, fee_rate is in sat/vB.\n"),
        Param::default("replaceable", ParamType::Bool, true, "Whether the new transaction should be\nmarked bip-125 replaceable. If true, the sequence numbers in the transaction will\nbe set to 0xfffffffd. If false, any input sequence numbers in the\ntransaction will be set to 0xfffffffe\nso the new transaction will not be explicitly bip-125 replaceable (though it may\nstill be replaceable in practice, for example if it has unconfirmed ancestors which\nare replaceable).\n"),
        Param::default("estimate_mode", ParamType::Str, "unset", ESTIMATE_MODE_DESC),
        Param::default("outputs", ParamType::Arr, json!([]), "Not supported by this wallet: the replacement keeps the original's outputs.").inner(vec![
            Param::optional("", ParamType::ObjUserKeys, "").inner(vec![Param::required("address", ParamType::Amount, "A key-value pair. The key (string) is the bitcoin address, the value (float or string) is the amount in BTC")]),
        ]),
        Param::hint("original_change_index", ParamType::Num, "not set, detect change automatically", "Not supported by this wallet: the change output is detected."),
    ];
    Method::new("bumpfee", "wallet", "Bumps the fee of a transaction T, replacing it with a new transaction B.\nA transaction with the given txid must be in the wallet.\nThe command will pay the additional fee by reducing change outputs or adding inputs when necessary.\nIt may add a new change output if one does not already exist.\nAll inputs in the original transaction will be included in the replacement transaction.\nThe command will fail if the wallet or mempool contains a transaction that spends one of T's outputs.\nBy default, the new fee will be calculated automatically using the estimatesmartfee RPC.\nThe user can specify a confirmation target for estimatesmartfee.\nAlternatively, the user can specify a fee rate in sat/vB for the new transaction.\nAt a minimum, the new fee rate must be high enough to pay an additional new relay fee (incrementalfee\nreturned by getnetworkinfo) to enter the node's mempool.\n* WARNING: before version 0.21, fee_rate was in BTC/kvB. As of 0.21, fee_rate is in sat/vB. *")
        .param(Param::required("txid", ParamType::StrHex, "The txid to be bumped"))
        .param(Param::optional("options", ParamType::ObjNamedParams, "").inner(options).oneline("options"))
        .result(&crate::rpc::rows(&[
            ("{", "(json object)"),
            ("  \"txid\" : \"hex\",", "(string) The id of the new transaction."),
            ("  \"origfee\" : n,", "(numeric) The fee of the replaced transaction."),
            ("  \"fee\" : n,", "(numeric) The fee of the new transaction."),
            ("  \"errors\" : [", "(json array) Errors encountered during processing (may be empty)."),
            ("    \"str\",", "(string)"),
            ("    ...", ""),
            ("  ]", ""),
            ("}", ""),
        ]))
        .examples(format!(
            "\nBump the fee, get the new transaction's txid\n{}",
            example_cli("bumpfee", "<txid>")
        ))
        .handler(move |p| bump(&loader, p))
}
