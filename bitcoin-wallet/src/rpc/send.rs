//! Sending (Core's `wallet/rpc/spend.cpp`): `sendtoaddress`, `sendmany`, with Core's fee
//! options (`conf_target`/`estimate_mode` or `fee_rate` in sat/vB, never both) and Core's
//! errors.

use std::sync::Arc;

use interfaces::{Recipient, SendRequest};
use rpc::amount::{amount_from_value, parse_fixed_point};
use rpc::help::example_cli;
use rpc::protocol::{RpcError, RPC_INVALID_ADDRESS_OR_KEY, RPC_INVALID_PARAMETER};
use rpc::{Method, Param, ParamType, Params, RpcResult};
use serde_json::{json, Value};

use crate::rpc::{check_avoid_reuse, synced_wallet, wallet_error};
use crate::wallet::{common_chain, FeeMode, LocalWallet, LocalWalletLoader, TxComments};

/// Core's `estimateMaxBlocks` for the confirmation target check.
const MAX_CONF_TARGET: i64 = 1008;
/// Core's `EXAMPLE_ADDRESS[0]`.
const EXAMPLE_ADDRESS: &str = "bc1q09vm5lfy0j5reeulh4x5752q25uqqvz34hufdl";
/// Core's `EXAMPLE_ADDRESS[1]`.
const EXAMPLE_ADDRESS_2: &str = "bc1q02ad21edsxd23d32dfgqqsz4vv4nmtfzuklhy3";

/// Core's `FeeModesDetail` for `sendtoaddress`.
pub(crate) const ESTIMATE_MODE_DESC: &str = "The fee estimate mode, must be one of (case insensitive):\nunset, economical, conservative \nunset means no mode set (economical mode is used if the transaction is replaceable;\notherwise, conservative mode is used). \neconomical estimates use a shorter time horizon, making them more\nresponsive to short-term drops in the prevailing fee market. This mode\npotentially returns a lower fee rate estimate.\nconservative estimates use a longer time horizon, making them\nless responsive to short-term drops in the prevailing fee market. This mode\npotentially returns a higher fee rate estimate.\n";

/// Core's `FeeModeFromString`.
fn fee_mode(text: &str) -> Result<FeeMode, RpcError> {
    match text.to_ascii_lowercase().as_str() {
        "unset" => Ok(FeeMode::Unset),
        "economical" => Ok(FeeMode::Economical),
        "conservative" => Ok(FeeMode::Conservative),
        _ => Err(RpcError::new(RPC_INVALID_PARAMETER, "Invalid estimate_mode parameter, must be one of: \"unset\", \"economical\", \"conservative\"")),
    }
}

/// Core's `SetFeeEstimateMode`: the explicit fee rate (sat/kvB), or the mode and target.
pub(crate) fn fee_settings(
    conf_target: &Value,
    estimate_mode: &Value,
    fee_rate: &Value,
) -> Result<(Option<i64>, Option<u32>, FeeMode), RpcError> {
    if !fee_rate.is_null() {
        if !conf_target.is_null() {
            return Err(RpcError::new(RPC_INVALID_PARAMETER, "Cannot specify both conf_target and fee_rate. Please provide either a confirmation target in blocks for automatic fee estimation, or an explicit fee rate."));
        }
        if estimate_mode.as_str().is_some_and(|m| m != "unset") {
            return Err(RpcError::new(
                RPC_INVALID_PARAMETER,
                "Cannot specify both estimate_mode and fee_rate",
            ));
        }
        let text = match fee_rate {
            Value::Number(n) => n.to_string(),
            Value::String(s) => s.clone(),
            _ => return Err(RpcError::type_error("Amount is not a number or string")),
        };
        let per_kvb =
            parse_fixed_point(&text, 3).ok_or_else(|| RpcError::type_error("Invalid amount"))?;
        if per_kvb < 0 {
            return Err(RpcError::type_error("Amount out of range"));
        }
        return Ok((Some(per_kvb), None, FeeMode::Unset));
    }
    let mode = estimate_mode
        .as_str()
        .map(fee_mode)
        .transpose()?
        .unwrap_or_default();
    let target = match conf_target {
        Value::Null => None,
        value => {
            let target = value
                .as_i64()
                .ok_or_else(|| RpcError::type_error("JSON value is not an integer as expected"))?;
            if !(1..=MAX_CONF_TARGET).contains(&target) {
                return Err(RpcError::new(
                    RPC_INVALID_PARAMETER,
                    format!("Invalid conf_target, must be between 1 and {MAX_CONF_TARGET}"),
                ));
            }
            u32::try_from(target).ok()
        }
    };
    Ok((None, target, mode))
}

fn nonempty(text: Option<String>) -> Option<String> {
    text.filter(|t| !t.is_empty())
}

/// `sendtoaddress`.
pub fn sendtoaddress(loader: Arc<LocalWalletLoader>) -> Method {
    let example =
        |text: &str, args: String| format!("\n{text}\n{}", example_cli("sendtoaddress", &args));
    let named = |args: String| example_cli("-named sendtoaddress", &args);
    Method::new("sendtoaddress", "wallet", "Send an amount to a given address.\nRequires wallet passphrase to be set with walletpassphrase call if wallet is encrypted.")
        .param(Param::required("address", ParamType::Str, "The bitcoin address to send to."))
        .param(Param::required("amount", ParamType::Amount, "The amount in BTC to send. eg 0.1"))
        .param(Param::optional("comment", ParamType::Str, "A comment used to store what the transaction is for.\nThis is not part of the transaction, just kept in your wallet."))
        .param(Param::optional("comment_to", ParamType::Str, "A comment to store the name of the person or organization\nto which you're sending the transaction. This is not part of the \ntransaction, just kept in your wallet."))
        .param(Param::default("subtractfeefromamount", ParamType::Bool, false, "The fee will be deducted from the amount being sent.\nThe recipient will receive less bitcoins than you enter in the amount field."))
        .param(Param::hint("replaceable", ParamType::Bool, "wallet default", "Signal that this transaction can be replaced by a transaction (BIP 125)"))
        .param(Param::hint("conf_target", ParamType::Num, "wallet -txconfirmtarget", "Confirmation target in blocks"))
        .param(Param::default("estimate_mode", ParamType::Str, "unset", ESTIMATE_MODE_DESC))
        .param(Param::default("avoid_reuse", ParamType::Bool, true, "(only available if avoid_reuse wallet flag is set) Avoid spending from dirty addresses; addresses are considered\ndirty if they have previously been used in a transaction. If true, this also activates avoidpartialspends, grouping outputs by their addresses."))
        .param(Param::hint("fee_rate", ParamType::Amount, "not set, fall back to wallet fee estimation", "Specify a fee rate in sat/vB."))
        .param(Param::default("verbose", ParamType::Bool, false, "If true, return extra information about the transaction."))
        .result_when("if verbose is not set or set to false", "\"hex\"    (string) The transaction id.")
        .result_when("if verbose is set to true", &crate::rpc::rows(&[
            ("{", "(json object)"),
            ("  \"txid\" : \"hex\",", "(string) The transaction id."),
            ("  \"fee_reason\" : \"str\"", "(string) The transaction fee reason."),
            ("}", ""),
        ]))
        .examples(
            example("Send 0.1 BTC", format!("\"{EXAMPLE_ADDRESS}\" 0.1"))
                + &example("Send 0.1 BTC with a confirmation target of 6 blocks in economical fee estimate mode using positional arguments", format!("\"{EXAMPLE_ADDRESS}\" 0.1 \"donation\" \"sean's outpost\" false true 6 economical"))
                + &example("Send 0.1 BTC with a fee rate of 1.1 sat/vB, subtract fee from amount, BIP125-replaceable, using positional arguments", format!("\"{EXAMPLE_ADDRESS}\" 0.1 \"drinks\" \"room77\" true true null \"unset\" null 1.1"))
                + "\nSend 0.2 BTC with a confirmation target of 6 blocks in economical fee estimate mode using named arguments\n"
                + &named(format!("address=\"{EXAMPLE_ADDRESS}\" amount=0.2 conf_target=6 estimate_mode=\"economical\""))
                + "\nSend 0.5 BTC with a fee rate of 25 sat/vB using named arguments\n"
                + &named(format!("address=\"{EXAMPLE_ADDRESS}\" amount=0.5 fee_rate=25"))
                + &named(format!("address=\"{EXAMPLE_ADDRESS}\" amount=0.5 fee_rate=25 subtractfeefromamount=false replaceable=true avoid_reuse=true comment=\"2 pizzas\" comment_to=\"jeremy\" verbose=true")),
        )
        .handler(move |p| {
            let wallet = synced_wallet(&loader, p)?;
            let comments = TxComments {
                comment: nonempty(p.maybe_arg::<String>("comment")?),
                comment_to: nonempty(p.maybe_arg::<String>("comment_to")?),
            };
            let replaceable = p.maybe_arg::<bool>("replaceable")?.unwrap_or(true);
            check_avoid_reuse(p.at(8))?;
            let (fee_per_kvb, conf_target, mode) = fee_settings(p.at(6), p.at(7), p.at(9))?;
            let address = p.arg::<String>("address")?;
            let amount = amount_from_value(p.at(1))?;
            let request = SendRequest {
                recipients: vec![Recipient { address, amount, subtract_fee: p.arg::<bool>("subtractfeefromamount")? }],
                fee_per_kvb,
                conf_target,
                replaceable,
            };
            let sent = wallet.send_with(&request, mode, comments).map_err(wallet_error)?;
            if p.arg::<bool>("verbose")? {
                return Ok(json!({"txid": sent.txid.to_string(), "fee_reason": sent.fee_reason}));
            }
            Ok(sent.txid.to_string().into())
        })
}

/// Core's `ParseOutputs` for a wallet send: `{address: amount}` in the given order, with
/// Core's errors for a bad or repeated address.
pub(crate) fn parse_amounts(
    wallet: &LocalWallet,
    amounts: &Value,
) -> Result<Vec<(String, i64)>, RpcError> {
    let object = amounts
        .as_object()
        .ok_or_else(|| RpcError::type_error("JSON value is not an object as expected"))?;
    let chain = common_chain(wallet.options().network);
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for (address, amount) in object {
        if address == "data" {
            return Err(RpcError::new(
                RPC_INVALID_PARAMETER,
                "Invalid parameter, data outputs are not supported by this wallet",
            ));
        }
        let destination = rpc::address::decode_destination(address, chain).map_err(|_| {
            RpcError::new(
                RPC_INVALID_ADDRESS_OR_KEY,
                format!("Invalid Bitcoin address: {address}"),
            )
        })?;
        if !seen.insert(destination.script_pubkey()) {
            return Err(RpcError::new(
                RPC_INVALID_PARAMETER,
                format!("Invalid parameter, duplicated address: {address}"),
            ));
        }
        out.push((address.clone(), amount_from_value(amount)?));
    }
    Ok(out)
}

/// Core's `InterpretSubtractFeeFromOutputInstructions`: positions, or addresses among
/// `destinations`.
pub(crate) fn sffo_positions(
    instructions: &Value,
    destinations: &[String],
) -> Result<Vec<usize>, RpcError> {
    let invalid = |m: String| {
        RpcError::new(
            RPC_INVALID_PARAMETER,
            format!("Invalid parameter 'subtract fee from output', {m}"),
        )
    };
    let Some(items) = instructions.as_array() else {
        return Ok(Vec::new());
    };
    let mut set = Vec::new();
    for item in items {
        let position = match item {
            Value::String(text) => destinations
                .iter()
                .position(|d| d == text)
                .map(|p| i64::try_from(p).unwrap_or(i64::MAX))
                .ok_or_else(|| invalid(format!("destination {text} not found in tx outputs")))?,
            Value::Number(n) => n
                .as_i64()
                .ok_or_else(|| RpcError::type_error("JSON integer out of range"))?,
            other => {
                return Err(invalid(format!(
                    "invalid value type: {}",
                    rpc::protocol::type_name(other)
                )))
            }
        };
        if set.iter().any(|p| i64::try_from(*p).ok() == Some(position)) {
            return Err(invalid(format!("duplicated position: {position}")));
        }
        if position < 0 {
            return Err(invalid(format!("negative position: {position}")));
        }
        let index = usize::try_from(position).unwrap_or(usize::MAX);
        if index >= destinations.len() {
            return Err(invalid(format!("position too large: {position}")));
        }
        set.push(index);
    }
    Ok(set)
}

/// `sendmany`'s handler.
fn send_many(loader: &LocalWalletLoader, p: &Params<'_>) -> RpcResult {
    let wallet = synced_wallet(loader, p)?;
    if p.at(0).as_str().is_some_and(|d| !d.is_empty()) {
        return Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            "Dummy value must be set to \"\"",
        ));
    }
    let comments = TxComments {
        comment: nonempty(p.maybe_arg::<String>("comment")?),
        comment_to: None,
    };
    let replaceable = p.maybe_arg::<bool>("replaceable")?.unwrap_or(true);
    let (fee_per_kvb, conf_target, mode) = fee_settings(p.at(6), p.at(7), p.at(8))?;
    let amounts = parse_amounts(&wallet, p.at(1))?;
    let destinations: Vec<String> = amounts.iter().map(|(a, _)| a.clone()).collect();
    let sffo = sffo_positions(p.at(4), &destinations)?;
    let recipients = amounts
        .into_iter()
        .enumerate()
        .map(|(i, (address, amount))| Recipient {
            address,
            amount,
            subtract_fee: sffo.contains(&i),
        })
        .collect();
    let request = SendRequest {
        recipients,
        fee_per_kvb,
        conf_target,
        replaceable,
    };
    let sent = wallet
        .send_with(&request, mode, comments)
        .map_err(wallet_error)?;
    if p.arg::<bool>("verbose")? {
        return Ok(json!({"txid": sent.txid.to_string(), "fee_reason": sent.fee_reason}));
    }
    Ok(sent.txid.to_string().into())
}

/// `sendmany`.
pub fn sendmany(loader: Arc<LocalWalletLoader>) -> Method {
    let pair = format!("\\\"{EXAMPLE_ADDRESS}\\\":0.01,\\\"{EXAMPLE_ADDRESS_2}\\\":0.02");
    let txid_desc = "(string) The transaction id for the send. Only 1 transaction is created regardless of\nthe number of addresses.";
    Method::new("sendmany", "wallet", "Send multiple times. Amounts are double-precision floating point numbers.\nRequires wallet passphrase to be set with walletpassphrase call if wallet is encrypted.")
        .param(Param::default("dummy", ParamType::Str, "\"\"", "Must be set to \"\" for backwards compatibility.").oneline("\"\""))
        .param(Param::required("amounts", ParamType::ObjUserKeys, "The addresses and amounts").inner(vec![Param::required("address", ParamType::Amount, "The bitcoin address is the key, the numeric amount (can be string) in BTC is the value")]))
        .param(Param::optional("minconf", ParamType::Num, "Ignored dummy value"))
        .param(Param::optional("comment", ParamType::Str, "A comment"))
        .param(Param::optional("subtractfeefrom", ParamType::Arr, "The addresses.\nThe fee will be equally deducted from the amount of each selected address.\nThose recipients will receive less bitcoins than you enter in their corresponding amount field.\nIf no addresses are specified here, the sender pays the fee.").inner(vec![Param::optional("address", ParamType::Str, "Subtract fee from this address")]))
        .param(Param::hint("replaceable", ParamType::Bool, "wallet default", "Signal that this transaction can be replaced by a transaction (BIP 125)"))
        .param(Param::hint("conf_target", ParamType::Num, "wallet -txconfirmtarget", "Confirmation target in blocks"))
        .param(Param::default("estimate_mode", ParamType::Str, "unset", ESTIMATE_MODE_DESC))
        .param(Param::hint("fee_rate", ParamType::Amount, "not set, fall back to wallet fee estimation", "Specify a fee rate in sat/vB."))
        .param(Param::default("verbose", ParamType::Bool, false, "If true, return extra information about the transaction."))
        .result_when("if verbose is not set or set to false", &format!("\"hex\"    {txid_desc}"))
        .result_when("if verbose is set to true", &crate::rpc::rows(&[
            ("{", "(json object)"),
            ("  \"txid\" : \"hex\",", txid_desc),
            ("  \"fee_reason\" : \"str\"", "(string) The transaction fee reason."),
            ("}", ""),
        ]))
        .examples(format!(
            "\nSend two amounts to two different addresses:\n{}\nSend two amounts to two different addresses setting the confirmation and comment:\n{}\nSend two amounts to two different addresses, subtract fee from amount:\n{}\nAs a JSON-RPC call\n{}",
            example_cli("sendmany", &format!("\"\" \"{{{pair}}}\"")),
            example_cli("sendmany", &format!("\"\" \"{{{pair}}}\" 6 \"testing\"")),
            example_cli("sendmany", &format!("\"\" \"{{{pair}}}\" 1 \"\" \"[\\\"{EXAMPLE_ADDRESS}\\\",\\\"{EXAMPLE_ADDRESS_2}\\\"]\"")),
            rpc::help::example_rpc("sendmany", &format!("\"\", {{\"{EXAMPLE_ADDRESS}\":0.01,\"{EXAMPLE_ADDRESS_2}\":0.02}}, 6, \"testing\"")),
        ))
        .handler(move |p| send_many(&loader, p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fee_settings_follow_core() {
        let null = Value::Null;
        assert_eq!(
            fee_settings(&null, &null, &json!(1.1)).expect("rate"),
            (Some(1100), None, FeeMode::Unset)
        );
        assert_eq!(
            fee_settings(&json!(3), &json!("ECONOMICAL"), &null).expect("mode"),
            (None, Some(3), FeeMode::Economical)
        );
        assert_eq!(
            fee_settings(&json!(6), &null, &json!(1))
                .expect_err("both")
                .code,
            -8
        );
        assert_eq!(
            fee_settings(&null, &json!("economical"), &json!(1))
                .expect_err("both")
                .code,
            -8
        );
        assert!(fee_settings(&null, &json!("unset"), &json!(1)).is_ok());
        assert_eq!(
            fee_settings(&json!(0), &null, &null)
                .expect_err("target")
                .message,
            "Invalid conf_target, must be between 1 and 1008"
        );
        assert_eq!(
            fee_settings(&null, &json!("fast"), &null)
                .expect_err("mode")
                .code,
            -8
        );
        assert_eq!(
            fee_settings(&null, &null, &json!(0.0001))
                .expect_err("precision")
                .code,
            -3
        );
    }
}
