//! Fee estimation methods (Core's `rpc/fees.cpp`): `estimatesmartfee`, answered by the fee
//! estimator the mempool feeds ([`crate::mempool::estimator::SharedEstimator`]).

use std::sync::Arc;

use serde_json::{json, Map, Value};

use crate::mempool::estimator::SharedEstimator;
use crate::mempool::Mempool;
use rpc::amount::amount_to_value;
use rpc::help::{example_cli, example_rpc};
use rpc::protocol::{RpcError, RPC_INVALID_PARAMETER};
use rpc::{Method, Param, ParamType, RpcTable};

/// Core's `FeeModesDetail`.
const FEE_MODES: &str = "The fee estimate mode.\nWhether to return a more conservative estimate which also satisfies\na longer history. A conservative estimate potentially returns a\nhigher feerate and is more likely to be sufficient for the desired\ntarget, but is not as responsive to short term drops in the\nprevailing fee market. Must be one of (case insensitive):\n\"unset\"\n\"economical\"\n\"conservative\"";

fn estimatesmartfee(estimator: Arc<SharedEstimator>, mempool: Arc<Mempool>) -> Method {
    Method::new("estimatesmartfee", "util", "Estimates the approximate fee per kilobyte needed for a transaction to begin\nconfirmation within conf_target blocks if possible and return the number of blocks\nfor which the estimate is valid. Uses virtual transaction size as defined\nin BIP 141 (witness data is discounted).")
        .param(Param::required("conf_target", ParamType::Num, "Confirmation target in blocks (1 - 1008)"))
        .param(Param::default("estimate_mode", ParamType::Str, "economical", FEE_MODES))
        .result("{                   (json object)\n  \"feerate\" : n,     (numeric, optional) estimate fee rate in BTC/kvB (only present if no errors were encountered)\n  \"errors\" : [       (json array, optional) Errors encountered during processing (if there are any)\n    \"str\",           (string) error\n    ...\n  ],\n  \"blocks\" : n       (numeric) block number where estimate was found\n                     The request target will be clamped between 2 and the highest target\n                     fee estimation is able to return based on how long it has been running.\n                     An error is returned if not enough transactions and blocks\n                     have been observed to make an estimate for any number of blocks.\n}")
        .examples(example_cli("estimatesmartfee", "6") + &example_rpc("estimatesmartfee", "6"))
        .handler(move |p| {
            let max_target = estimator.lock().max_target();
            let target = p.arg::<i64>("conf_target")?;
            if target < 1 || target > i64::from(max_target) {
                return Err(RpcError::new(RPC_INVALID_PARAMETER, format!("Invalid conf_target, must be between 1 and {max_target}")));
            }
            let conservative = match p.maybe_arg::<&str>("estimate_mode")?.map(str::to_ascii_lowercase).as_deref() {
                None | Some("unset" | "economical") => false,
                Some("conservative") => true,
                Some(_) => {
                    return Err(RpcError::new(RPC_INVALID_PARAMETER, "Invalid estimate_mode parameter, must be one of: \"unset\", \"economical\", \"conservative\""));
                }
            };
            let estimate = estimator.lock().estimate_smart_fee(target as u32, conservative);
            let mut result = Map::new();
            match estimate {
                Some(e) => {
                    let floor = mempool.min_fee().max(mempool.options().min_relay_fee);
                    result.insert("feerate".into(), amount_to_value(e.fee_rate.max(floor) as i64));
                    result.insert("blocks".into(), e.blocks.into());
                }
                None => {
                    result.insert("errors".into(), json!(["Insufficient data or no feerate found"]));
                    result.insert("blocks".into(), 0.into());
                }
            }
            Ok(Value::Object(result))
        })
}

/// Registers `estimatesmartfee`.
pub fn register(table: &mut RpcTable, estimator: &Arc<SharedEstimator>, mempool: &Arc<Mempool>) {
    table.register(estimatesmartfee(estimator.clone(), mempool.clone()));
}
