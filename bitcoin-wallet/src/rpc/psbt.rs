//! PSBTs (Core's `wallet/rpc/spend.cpp`): `walletcreatefundedpsbt` and `walletprocesspsbt`.
//! Options that do not fit this wallet (`changeAddress`, `change_type`, `changePosition`,
//! `subtractFeeFromOutputs`, `solving_data`, `minconf`/`maxconf`, `max_tx_weight`,
//! `feeRate`, data outputs, other sighash types, PSBT version 2) are refused with `-8`.

use std::str::FromStr;
use std::sync::Arc;

use bdk_wallet::bitcoin::{OutPoint, Psbt};
use rpc::amount::amount_to_value;
use rpc::help::{example_cli, example_rpc};
use rpc::protocol::{RpcError, RPC_DESERIALIZATION_ERROR, RPC_INVALID_PARAMETER};
use rpc::{Method, Param, ParamType, Params, RpcResult};
use serde_json::{json, Map, Value};

use crate::rpc::send::{fee_settings, parse_amounts, ESTIMATE_MODE_DESC};
use crate::rpc::{parse_txid, synced_wallet, wallet_error};
use crate::wallet::history::to_i64;
use crate::wallet::psbt::PsbtRequest;
use crate::wallet::{common_chain, LocalWallet, LocalWalletLoader};
use interfaces::SendRequest;

/// Options refused with `-8`.
const REFUSED: &[&str] = &[
    "changeAddress",
    "change_address",
    "changePosition",
    "change_position",
    "change_type",
    "subtractFeeFromOutputs",
    "subtract_fee_from_outputs",
    "solving_data",
    "minconf",
    "maxconf",
    "max_tx_weight",
    "feeRate",
    "input_weights",
];

fn invalid(message: impl Into<String>) -> RpcError {
    RpcError::new(RPC_INVALID_PARAMETER, message)
}

/// Core's `ParseOutputs` of `[{address: amount}, ...]` or `{address: amount, ...}`.
pub(crate) fn outputs_of(
    wallet: &LocalWallet,
    value: &Value,
) -> Result<Vec<(bdk_wallet::bitcoin::ScriptBuf, u64)>, RpcError> {
    let mut merged = Map::new();
    match value {
        Value::Array(items) => {
            for item in items {
                let object = item.as_object().ok_or_else(|| {
                    invalid("Invalid parameter, key-value pair not an object as expected")
                })?;
                if object.len() != 1 {
                    return Err(invalid(
                        "Invalid parameter, key-value pair must contain exactly one key",
                    ));
                }
                merged.extend(object.clone());
            }
        }
        Value::Object(object) => merged = object.clone(),
        _ => {
            return Err(RpcError::type_error(
                "JSON value is not an array as expected",
            ))
        }
    }
    let chain = common_chain(wallet.options().network);
    parse_amounts(wallet, &Value::Object(merged))?
        .into_iter()
        .map(|(address, amount)| {
            let destination = rpc::address::decode_destination(&address, chain)
                .map_err(|_| invalid(format!("Invalid Bitcoin address: {address}")))?;
            let amount = u64::try_from(amount)
                .ok()
                .filter(|a| *a > 0)
                .ok_or_else(|| RpcError::type_error("Invalid amount for send"))?;
            Ok((destination.script_pubkey(), amount))
        })
        .collect()
}

/// The `inputs` argument: `[{"txid", "vout"}, ...]`.
pub(crate) fn inputs_of(value: &Value) -> Result<Vec<OutPoint>, RpcError> {
    let Some(items) = value.as_array() else {
        return Ok(Vec::new());
    };
    items
        .iter()
        .map(|item| {
            let txid = item
                .get("txid")
                .and_then(Value::as_str)
                .ok_or_else(|| invalid("Invalid parameter, missing txid key"))?;
            let vout = item
                .get("vout")
                .and_then(Value::as_i64)
                .ok_or_else(|| invalid("Invalid parameter, missing vout key"))?;
            let vout = u32::try_from(vout)
                .map_err(|_| invalid("Invalid parameter, vout cannot be negative"))?;
            if item.get("sequence").is_some_and(|s| !s.is_null())
                || item.get("weight").is_some_and(|w| !w.is_null())
            {
                return Err(invalid(
                    "Invalid parameter, input sequence and weight are not supported by this wallet",
                ));
            }
            Ok(OutPoint::new(parse_txid("txid", txid)?, vout))
        })
        .collect()
}

/// `walletcreatefundedpsbt`'s handler.
fn create_funded(loader: &LocalWalletLoader, p: &Params<'_>) -> RpcResult {
    let wallet = synced_wallet(loader, p)?;
    let empty = Map::new();
    let options = match p.value("options")? {
        Some(Value::Object(map)) => map,
        _ => &empty,
    };
    if let Some(key) = REFUSED
        .iter()
        .find(|k| options.get(**k).is_some_and(|v| !v.is_null()))
    {
        return Err(invalid(format!(
            "The {key} option is not supported by this wallet"
        )));
    }
    if p.maybe_arg::<i64>("version")?.is_some_and(|v| v != 2) {
        return Err(invalid(
            "Only transaction version 2 is supported by this wallet",
        ));
    }
    if p.maybe_arg::<i64>("psbt_version")?.is_some_and(|v| v != 0) {
        return Err(invalid("Only PSBT version 0 is supported by this wallet"));
    }
    let field = |k: &str| options.get(k).cloned().unwrap_or(Value::Null);
    let (fee_per_kvb, conf_target, mode) = fee_settings(
        &field("conf_target"),
        &field("estimate_mode"),
        &field("fee_rate"),
    )?;
    let replaceable = field("replaceable").as_bool().unwrap_or(true);
    let estimate = SendRequest {
        recipients: Vec::new(),
        fee_per_kvb,
        conf_target,
        replaceable,
    };
    let (rate_kvb, _) = wallet.fee_rate_for(&estimate, mode).map_err(wallet_error)?;
    let inputs = inputs_of(p.at(0))?;
    let locktime = p.arg::<i64>("locktime")?;
    let request = PsbtRequest {
        outputs: outputs_of(&wallet, p.at(1))?,
        add_inputs: field("add_inputs").as_bool().unwrap_or(inputs.is_empty()),
        inputs,
        rate_kvb,
        replaceable,
        locktime: u32::try_from(locktime)
            .map_err(|_| invalid("Invalid parameter, locktime out of range"))?,
        lock_unspents: field("lockUnspents").as_bool().unwrap_or(false),
    };
    let funded = wallet.create_funded_psbt(&request).map_err(wallet_error)?;
    Ok(json!({
        "psbt": funded.psbt.to_string(),
        "fee": amount_to_value(to_i64(funded.fee)),
        "changepos": funded.change_pos.map_or(-1, |p| i64::try_from(p).unwrap_or(-1)),
    }))
}

/// The options of `walletcreatefundedpsbt` (Core's list; the refused ones say so).
fn create_options() -> Vec<Param> {
    let refused = "Not supported by this wallet.";
    vec![
        Param::hint("add_inputs", ParamType::Bool, "false when \"inputs\" are specified, true otherwise", "Automatically include coins from the wallet to cover the target amount.\n"),
        Param::default("include_unsafe", ParamType::Bool, false, "Include inputs that are not safe to spend (unconfirmed transactions from outside keys and unconfirmed replacement transactions).\nWarning: the resulting transaction may become invalid if one of the unsafe inputs disappears.\nIf that happens, you will need to fund the transaction with different inputs and republish it."),
        Param::default("minconf", ParamType::Num, 0, refused),
        Param::hint("maxconf", ParamType::Num, "0", refused),
        Param::hint("changeAddress", ParamType::Str, "automatic", refused),
        Param::hint("changePosition", ParamType::Num, "random", refused),
        Param::hint("change_type", ParamType::Str, "set by -changetype", refused),
        Param::default("includeWatching", ParamType::Bool, false, "(DEPRECATED) No longer used"),
        Param::default("lockUnspents", ParamType::Bool, false, "Lock selected unspent outputs"),
        Param::hint("fee_rate", ParamType::Amount, "not set, fall back to wallet fee estimation", "Specify a fee rate in sat/vB."),
        Param::hint("feeRate", ParamType::Amount, "not set, fall back to wallet fee estimation", refused),
        Param::default("subtractFeeFromOutputs", ParamType::Arr, json!([]), refused).inner(vec![Param::optional("vout_index", ParamType::Num, "The zero-based output index, before a change output is added.")]),
        Param::hint("conf_target", ParamType::Num, "wallet -txconfirmtarget", "Confirmation target in blocks"),
        Param::default("estimate_mode", ParamType::Str, "unset", ESTIMATE_MODE_DESC),
        Param::hint("replaceable", ParamType::Bool, "wallet default", "Marks this transaction as BIP125-replaceable.\nAllows this transaction to be replaced by a transaction with higher fees"),
        Param::optional("solving_data", ParamType::Obj, refused),
        Param::hint("max_tx_weight", ParamType::Num, "400000", refused),
    ]
}

/// `walletcreatefundedpsbt`.
pub fn walletcreatefundedpsbt(loader: Arc<LocalWalletLoader>) -> Method {
    let input = vec![Param::optional("", ParamType::Obj, "").inner(vec![
        Param::required("txid", ParamType::StrHex, "The transaction id"),
        Param::required("vout", ParamType::Num, "The output number"),
    ])];
    let output = vec![Param::optional("", ParamType::ObjUserKeys, "").inner(vec![Param::required("address", ParamType::Amount, "A key-value pair. The key (string) is the bitcoin address, the value (float or string) is the amount in BTC")])];
    Method::new("walletcreatefundedpsbt", "wallet", "Creates and funds a transaction in the Partially Signed Transaction format.\nImplements the Creator and Updater roles.\nAll existing inputs must either have their previous output transaction be in the wallet\nor be in the UTXO set. Solving data must be provided for non-wallet inputs.")
        .param(Param::optional("inputs", ParamType::Arr, "Leave empty to add inputs automatically. See add_inputs option.").inner(input))
        .param(Param::required("outputs", ParamType::Arr, "The outputs specified as key-value pairs.\nEach key may only appear once, i.e. there can only be one 'data' output, and no address may be duplicated.\nAt least one output of either type must be specified.\nFor compatibility reasons, a dictionary, which holds the key-value pairs directly, is also\naccepted as second parameter.").inner(output).skip_type_check())
        .param(Param::default("locktime", ParamType::Num, 0, "Raw locktime. Non-0 value also locktime-activates inputs"))
        .param(Param::optional("options", ParamType::ObjNamedParams, "").inner(create_options()).oneline("options"))
        .param(Param::default("bip32derivs", ParamType::Bool, true, "Include BIP 32 derivation paths for public keys if we know them"))
        .param(Param::default("version", ParamType::Num, 2, "Transaction version"))
        .param(Param::hint("psbt_version", ParamType::Num, "0", "The PSBT version number to use (only 0 here)."))
        .result(&crate::rpc::rows(&[
            ("{", "(json object)"),
            ("  \"psbt\" : \"str\",", "(string) The resulting raw transaction (base64-encoded string)"),
            ("  \"fee\" : n,", "(numeric) Fee in BTC the resulting transaction pays"),
            ("  \"changepos\" : n", "(numeric) The position of the added change output, or -1"),
            ("}", ""),
        ]))
        .examples(format!(
            "\nCreate a PSBT with automatically picked inputs that sends 0.5 BTC to an address and has a fee rate of 2 sat/vB:\n{}\nCreate the same PSBT as the above one instead using named arguments:\n{}",
            example_cli("walletcreatefundedpsbt", "\"[]\" \"[{\\\"bcrt1qs758ursh4q9z627kt3pp5yysm78ddny6txaqgw\\\":0.5}]\" 0 \"{\\\"add_inputs\\\":true,\\\"fee_rate\\\":2}\""),
            example_cli("-named walletcreatefundedpsbt", "outputs=\"[{\\\"bcrt1qs758ursh4q9z627kt3pp5yysm78ddny6txaqgw\\\":0.5}]\" add_inputs=true fee_rate=2"),
        ))
        .handler(move |p| create_funded(&loader, p))
}

/// `walletprocesspsbt`'s handler.
fn process(loader: &LocalWalletLoader, p: &Params<'_>) -> RpcResult {
    let wallet = synced_wallet(loader, p)?;
    let text = p.arg::<&str>("psbt")?;
    let mut psbt = Psbt::from_str(text)
        .map_err(|e| RpcError::new(RPC_DESERIALIZATION_ERROR, format!("TX decode failed {e}")))?;
    match p.arg::<&str>("sighashtype")? {
        "DEFAULT" | "ALL" => {}
        other => {
            return Err(invalid(format!(
                "The sighash type {other} is not supported by this wallet"
            )))
        }
    }
    let finalize = p.arg::<bool>("finalize")?;
    let complete = wallet
        .process_psbt(&mut psbt, p.arg::<bool>("sign")?, finalize)
        .map_err(wallet_error)?;
    let mut out = Map::new();
    out.insert("psbt".into(), psbt.to_string().into());
    out.insert("complete".into(), complete.into());
    if complete && finalize {
        let tx = psbt.extract_tx_unchecked_fee_rate();
        out.insert(
            "hex".into(),
            bdk_wallet::bitcoin::consensus::encode::serialize_hex(&tx).into(),
        );
    }
    Ok(Value::Object(out))
}

/// `walletprocesspsbt`.
pub fn walletprocesspsbt(loader: Arc<LocalWalletLoader>) -> Method {
    Method::new("walletprocesspsbt", "wallet", "Update a PSBT with input information from our wallet and then sign inputs\nthat we can sign for.\nRequires wallet passphrase to be set with walletpassphrase call if wallet is encrypted.")
        .param(Param::required("psbt", ParamType::Str, "The transaction base64 string"))
        .param(Param::default("sign", ParamType::Bool, true, "Also sign the transaction when updating (requires wallet to be unlocked)"))
        .param(Param::default("sighashtype", ParamType::Str, "DEFAULT", "The signature hash type to sign with if not specified by the PSBT. Must be one of\n       \"DEFAULT\"\n       \"ALL\"\n       \"NONE\"\n       \"SINGLE\"\n       \"ALL|ANYONECANPAY\"\n       \"NONE|ANYONECANPAY\"\n       \"SINGLE|ANYONECANPAY\""))
        .param(Param::default("bip32derivs", ParamType::Bool, true, "Include BIP 32 derivation paths for public keys if we know them"))
        .param(Param::default("finalize", ParamType::Bool, true, "Also finalize inputs if possible"))
        .result(&crate::rpc::rows(&[
            ("{", "(json object)"),
            ("  \"psbt\" : \"str\",", "(string) The base64-encoded partially signed transaction"),
            ("  \"complete\" : true|false,", "(boolean) If the transaction has a complete set of signatures"),
            ("  \"hex\" : \"hex\"", "(string, optional) The hex-encoded network transaction if complete"),
            ("}", ""),
        ]))
        .examples(example_cli("walletprocesspsbt", "\"psbt\"") + &example_rpc("walletprocesspsbt", "\"psbt\""))
        .handler(move |p| process(&loader, p))
}
