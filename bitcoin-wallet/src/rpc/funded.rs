//! `send` (Core's `wallet/rpc/spend.cpp`): outputs funded by the wallet, signed, and
//! broadcast unless `add_to_wallet=false` or `psbt=true` ask for the transaction back.
//! Options that do not fit this wallet (change address, type or position, fee subtraction,
//! `minconf`/`maxconf`, `solving_data`, `max_tx_weight`, unsafe inputs, other transaction
//! versions) are refused with `-8`.

use std::sync::Arc;

use interfaces::SendRequest;
use rpc::help::example_cli;
use rpc::protocol::{RpcError, RPC_INVALID_PARAMETER};
use rpc::{Method, Param, ParamType, Params, RpcResult};
use serde_json::{json, Map, Value};

use crate::rpc::psbt::{inputs_of, outputs_of};
use crate::rpc::send::{fee_settings, ESTIMATE_MODE_DESC};
use crate::rpc::{synced_wallet, wallet_error};
use crate::wallet::psbt::PsbtRequest;
use crate::wallet::LocalWalletLoader;

/// Options refused with `-8` (and their old spellings, refused as Core refuses them).
const REFUSED: &[&str] = &[
    "change_address",
    "change_position",
    "change_type",
    "subtract_fee_from_outputs",
    "minconf",
    "maxconf",
    "solving_data",
    "max_tx_weight",
    "input_weights",
];

/// Core's `PreventOutdatedOptions`.
const OUTDATED: &[(&str, &str)] = &[
    ("feeRate", "Use fee_rate (sat/vB) instead of feeRate"),
    (
        "changeAddress",
        "Use change_address instead of changeAddress",
    ),
    (
        "changePosition",
        "Use change_position instead of changePosition",
    ),
    ("lockUnspents", "Use lock_unspents instead of lockUnspents"),
    (
        "subtractFeeFromOutputs",
        "Use subtract_fee_from_outputs instead of subtractFeeFromOutputs",
    ),
];

fn invalid(message: impl Into<String>) -> RpcError {
    RpcError::new(RPC_INVALID_PARAMETER, message)
}

/// Core's `InterpretFeeEstimationInstructions`: the fee arguments, given either as
/// arguments or in the options, never both.
fn fee_fields(p: &Params<'_>, options: &Map<String, Value>) -> Result<[Value; 3], RpcError> {
    let (target, mode, rate) = (p.at(1).clone(), p.at(2).clone(), p.at(3).clone());
    let has = |k: &str| options.get(k).is_some_and(|v| !v.is_null());
    let field = |k: &str| options.get(k).cloned().unwrap_or(Value::Null);
    let (target, mode) = if has("conf_target") || has("estimate_mode") {
        if !target.is_null() || !mode.is_null() {
            return Err(invalid("Pass conf_target and estimate_mode either as arguments or in the options object, but not both"));
        }
        (field("conf_target"), field("estimate_mode"))
    } else {
        (target, mode)
    };
    let rate = if has("fee_rate") {
        if !rate.is_null() {
            return Err(invalid(
                "Pass the fee_rate either as an argument, or in the options object, but not both",
            ));
        }
        field("fee_rate")
    } else {
        rate
    };
    if !target.is_null() && mode.as_str().is_none_or(|m| m == "unset") {
        return Err(invalid("Specify estimate_mode"));
    }
    Ok([target, mode, rate])
}

/// `send`'s handler.
fn send(loader: &LocalWalletLoader, p: &Params<'_>) -> RpcResult {
    let wallet = synced_wallet(loader, p)?;
    let empty = Map::new();
    let options = match p.value("options")? {
        Some(Value::Object(map)) => map,
        _ => &empty,
    };
    let given = |k: &str| options.get(k).is_some_and(|v| !v.is_null());
    if let Some((_, message)) = OUTDATED.iter().find(|(k, _)| given(k)) {
        return Err(invalid(*message));
    }
    if let Some(key) = REFUSED.iter().find(|k| given(k)) {
        return Err(invalid(format!(
            "The {key} option is not supported by this wallet"
        )));
    }
    if options.get("include_unsafe").and_then(Value::as_bool) == Some(true) {
        return Err(invalid(
            "The include_unsafe option is not supported by this wallet",
        ));
    }
    if p.maybe_arg::<i64>("version")?.is_some_and(|v| v != 2) {
        return Err(invalid(
            "Only transaction version 2 is supported by this wallet",
        ));
    }
    let [target, mode, rate] = fee_fields(p, options)?;
    let (fee_per_kvb, conf_target, mode) = fee_settings(&target, &mode, &rate)?;
    let flag = |k: &str, default: bool| options.get(k).and_then(Value::as_bool).unwrap_or(default);
    let replaceable = flag("replaceable", true);
    let estimate = SendRequest {
        recipients: Vec::new(),
        fee_per_kvb,
        conf_target,
        replaceable,
    };
    let (rate_kvb, _) = wallet.fee_rate_for(&estimate, mode).map_err(wallet_error)?;
    let inputs = inputs_of(options.get("inputs").unwrap_or(&Value::Null))?;
    let locktime = options.get("locktime").and_then(Value::as_u64).unwrap_or(0);
    let request = PsbtRequest {
        outputs: outputs_of(&wallet, p.at(0))?,
        add_inputs: flag("add_inputs", inputs.is_empty()),
        inputs,
        rate_kvb,
        replaceable,
        locktime: u32::try_from(locktime)
            .map_err(|_| invalid("Invalid parameter, locktime out of range"))?,
        lock_unspents: flag("lock_unspents", false),
    };
    let mut funded = wallet.create_funded_psbt(&request).map_err(wallet_error)?;
    let complete = wallet
        .process_psbt(&mut funded.psbt, true, true)
        .map_err(wallet_error)?;
    let (psbt_opt_in, add_to_wallet) = (flag("psbt", false), flag("add_to_wallet", true));
    let mut out = Map::new();
    if psbt_opt_in || !complete || !add_to_wallet {
        out.insert("psbt".into(), funded.psbt.to_string().into());
    }
    if complete {
        let tx = funded.psbt.clone().extract_tx_unchecked_fee_rate();
        out.insert("txid".into(), tx.compute_txid().to_string().into());
        if add_to_wallet && !psbt_opt_in {
            wallet
                .commit_transaction(&tx, funded.fee)
                .map_err(wallet_error)?;
        } else {
            let hex = bdk_wallet::bitcoin::consensus::encode::serialize_hex(&tx);
            out.insert("hex".into(), hex.into());
        }
    }
    out.insert("complete".into(), complete.into());
    Ok(Value::Object(out))
}

/// `send`'s options (Core's list; the refused ones say so).
fn send_options() -> Vec<Param> {
    let refused = "Not supported by this wallet.";
    vec![
        Param::hint("add_inputs", ParamType::Bool, "false when \"inputs\" are specified, true otherwise", "Automatically include coins from the wallet to cover the target amount.\n"),
        Param::default("include_unsafe", ParamType::Bool, false, "Include inputs that are not safe to spend (not supported by this wallet: must be false)."),
        Param::default("minconf", ParamType::Num, 0, refused),
        Param::hint("maxconf", ParamType::Num, "0", refused),
        Param::default("add_to_wallet", ParamType::Bool, true, "When false, returns a serialized transaction which will not be added to the wallet or broadcast"),
        Param::hint("change_address", ParamType::Str, "automatic", refused),
        Param::hint("change_position", ParamType::Num, "random", refused),
        Param::hint("change_type", ParamType::Str, "set by -changetype", refused),
        Param::hint("fee_rate", ParamType::Amount, "not set, fall back to wallet fee estimation", "Specify a fee rate in sat/vB."),
        Param::default("include_watching", ParamType::Bool, false, "(DEPRECATED) No longer used"),
        Param::default("inputs", ParamType::Arr, json!([]), "Specify inputs instead of adding them automatically.").inner(vec![
            Param::optional("", ParamType::Obj, "").inner(vec![
                Param::required("txid", ParamType::StrHex, "The transaction id"),
                Param::required("vout", ParamType::Num, "The output number"),
            ]),
        ]),
        Param::default("locktime", ParamType::Num, 0, "Raw locktime. Non-0 value also locktime-activates inputs"),
        Param::default("lock_unspents", ParamType::Bool, false, "Lock selected unspent outputs"),
        Param::hint("psbt", ParamType::Bool, "automatic", "Always return a PSBT, implies add_to_wallet=false."),
        Param::default("subtract_fee_from_outputs", ParamType::Arr, json!([]), refused).inner(vec![Param::optional("vout_index", ParamType::Num, "The zero-based output index, before a change output is added.")]),
        Param::hint("conf_target", ParamType::Num, "wallet -txconfirmtarget", "Confirmation target in blocks"),
        Param::default("estimate_mode", ParamType::Str, "unset", ESTIMATE_MODE_DESC),
        Param::hint("replaceable", ParamType::Bool, "wallet default", "Marks this transaction as BIP125-replaceable.\nAllows this transaction to be replaced by a transaction with higher fees"),
        Param::optional("solving_data", ParamType::Obj, refused),
        Param::hint("max_tx_weight", ParamType::Num, "400000", refused),
    ]
}

/// `send`.
pub fn send_method(loader: Arc<LocalWalletLoader>) -> Method {
    let output = vec![Param::optional("", ParamType::ObjUserKeys, "").inner(vec![Param::required("address", ParamType::Amount, "A key-value pair. The key (string) is the bitcoin address, the value (float or string) is the amount in BTC")])];
    Method::new("send", "wallet", "EXPERIMENTAL warning: this call may be changed in future releases.\n\nSend a transaction.")
        .param(Param::required("outputs", ParamType::Arr, "The outputs specified as key-value pairs.\nEach key may only appear once, i.e. there can only be one 'data' output, and no address may be duplicated.\nAt least one output of either type must be specified.\nFor convenience, a dictionary, which holds the key-value pairs directly, is also accepted.").inner(output).skip_type_check())
        .param(Param::hint("conf_target", ParamType::Num, "wallet -txconfirmtarget", "Confirmation target in blocks"))
        .param(Param::default("estimate_mode", ParamType::Str, "unset", ESTIMATE_MODE_DESC))
        .param(Param::hint("fee_rate", ParamType::Amount, "not set, fall back to wallet fee estimation", "Specify a fee rate in sat/vB."))
        .param(Param::optional("options", ParamType::ObjNamedParams, "").inner(send_options()).oneline("options"))
        .param(Param::default("version", ParamType::Num, 2, "Transaction version"))
        .result(&crate::rpc::rows(&[
            ("{", "(json object)"),
            ("  \"complete\" : true|false,", "(boolean) If the transaction has a complete set of signatures"),
            ("  \"txid\" : \"hex\",", "(string, optional) The transaction id for the send. Only 1 transaction is created regardless of the number of addresses."),
            ("  \"hex\" : \"hex\",", "(string, optional) If add_to_wallet is false, the hex-encoded raw transaction with signature(s)"),
            ("  \"psbt\" : \"str\"", "(string, optional) If more signatures are needed, or if add_to_wallet is false, the base64-encoded (partially) signed transaction"),
            ("}", ""),
        ]))
        .examples(format!(
            "\nSend 0.1 BTC with a confirmation target of 6 blocks in economical fee estimate mode\n{}\nSend 0.2 BTC with a fee rate of 1.1 sat/vB using positional arguments\n{}\nSend 0.3 BTC with a fee rate of 25 sat/vB using named arguments\n{}\nCreate a transaction that should confirm the next block, with a specific input, and return result without adding to wallet or broadcasting to the network\n{}",
            example_cli("send", "'{\"bc1q09vm5lfy0j5reeulh4x5752q25uqqvz34hufdl\": 0.1}' 6 economical"),
            example_cli("send", "'{\"bc1q09vm5lfy0j5reeulh4x5752q25uqqvz34hufdl\": 0.2}' null \"unset\" 1.1"),
            example_cli("-named send", "outputs='{\"bc1q09vm5lfy0j5reeulh4x5752q25uqqvz34hufdl\": 0.3}' fee_rate=25"),
            example_cli("send", "'{\"bc1q09vm5lfy0j5reeulh4x5752q25uqqvz34hufdl\": 0.1}' 1 economical '{\"add_to_wallet\": false, \"inputs\": [{\"txid\":\"a08e6907dbbd3d809776dbfc5d82e371b764ed838b5655e72f463568df1aadf0\", \"vout\":1}]}'"),
        ))
        .handler(move |p| send(&loader, p))
}
