//! Sending (Core's `wallet/rpc/spend.cpp`): `sendtoaddress`, with Core's fee options
//! (`conf_target`/`estimate_mode` or `fee_rate` in sat/vB, never both) and Core's errors.

use std::sync::Arc;

use interfaces::{Recipient, SendRequest};
use rpc::amount::{amount_from_value, parse_fixed_point};
use rpc::help::example_cli;
use rpc::protocol::{RpcError, RPC_INVALID_PARAMETER};
use rpc::{Method, Param, ParamType};
use serde_json::{json, Value};

use crate::rpc::{check_avoid_reuse, synced_wallet, wallet_error};
use crate::wallet::{FeeMode, LocalWalletLoader, TxComments};

/// Core's `estimateMaxBlocks` for the confirmation target check.
const MAX_CONF_TARGET: i64 = 1008;
/// Core's `EXAMPLE_ADDRESS[0]`.
const EXAMPLE_ADDRESS: &str = "bc1q09vm5lfy0j5reeulh4x5752q25uqqvz34hufdl";

/// Core's `FeeModesDetail` for `sendtoaddress`.
const ESTIMATE_MODE_DESC: &str = "The fee estimate mode, must be one of (case insensitive):\nunset, economical, conservative \nunset means no mode set (economical mode is used if the transaction is replaceable;\notherwise, conservative mode is used). \neconomical estimates use a shorter time horizon, making them more\nresponsive to short-term drops in the prevailing fee market. This mode\npotentially returns a lower fee rate estimate.\nconservative estimates use a longer time horizon, making them\nless responsive to short-term drops in the prevailing fee market. This mode\npotentially returns a higher fee rate estimate.\n";

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
fn fee_settings(
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
