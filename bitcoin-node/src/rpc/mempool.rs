//! Mempool methods (Core's `rpc/mempool.cpp`): `sendrawtransaction`, `testmempoolaccept`
//! (one transaction, or several tested as a package), `getmempoolinfo`, `getrawmempool`, `getmempoolentry`,
//! `getmempoolancestors`, `getmempooldescendants`, `savemempool`, `prioritisetransaction`
//! and `getprioritisedtransactions`, with Core's parameters, result shapes and errors.

use std::sync::Arc;

use bitcoin::hashes::Hash;
use bitcoin::{Amount, Transaction, Txid};
use serde_json::{json, Map, Value};

use crate::chain::ChainState;
use crate::mempool::package::PackageTest;
use crate::mempool::policy::{burned, fee_for, virtual_size};
use crate::mempool::{AcceptOptions, Entry, Mempool, RejectKind, Rejected};
use crate::rpc::rawtransaction::{decode_hex_tx, parse_hash_v};
use rpc::amount::{amount_from_value, amount_to_value, COIN};
use rpc::help::{example_cli, example_rpc};
use rpc::params::Params;
use rpc::protocol::{
    RpcError, RPC_DESERIALIZATION_ERROR, RPC_INVALID_ADDRESS_OR_KEY, RPC_INVALID_PARAMETER,
    RPC_MISC_ERROR, RPC_VERIFY_ALREADY_IN_UTXO_SET, RPC_VERIFY_ERROR, RPC_VERIFY_REJECTED,
};
use rpc::{Method, Param, ParamType, RpcTable};

/// Core's `DEFAULT_MAX_RAW_TX_FEE_RATE` (0.10 BTC/kvB).
const DEFAULT_MAX_FEE_RATE: &str = "0.10";
/// Core's `MAX_PACKAGE_COUNT`.
const MAX_PACKAGE_COUNT: usize = 25;

/// What the handlers share.
#[derive(Clone)]
struct Pool {
    mempool: Arc<Mempool>,
    chain: Arc<ChainState>,
}

/// Core's `ParseFeeRate`: an amount per kvB below 1 BTC/kvB, in sat/kvB.
fn parse_fee_rate(value: &Value) -> Result<u64, RpcError> {
    let sats = amount_from_value(value)?;
    if sats >= COIN {
        return Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            "Fee rates larger than or equal to 1BTC/kvB are not accepted",
        ));
    }
    Ok(sats as u64)
}

fn txid_param(p: &Params<'_>, name: &str) -> Result<Txid, RpcError> {
    Ok(Txid::from_byte_array(parse_hash_v(
        p.arg::<&str>(name)?,
        name,
    )?))
}

fn not_in_mempool() -> RpcError {
    RpcError::new(RPC_INVALID_ADDRESS_OR_KEY, "Transaction not in mempool")
}

/// Core's `entryToJSON`.
fn entry_to_json(pool: &Mempool, e: &Entry) -> Value {
    let mut depends: Vec<String> = e.parents.iter().map(|t| t.to_string()).collect();
    depends.sort();
    let mut spentby: Vec<String> = e.children.iter().map(|t| t.to_string()).collect();
    spentby.sort();
    let signals = |tx: &Transaction| tx.input.iter().any(|i| i.sequence.0 < 0xffff_fffe);
    let replaceable = signals(&e.tx)
        || pool
            .ancestors(&e.txid)
            .unwrap_or_default()
            .iter()
            .any(|a| signals(&a.tx));
    json!({
        "vsize": e.vsize,
        "weight": e.weight,
        "time": e.time,
        "height": e.height,
        "descendantcount": e.descendants.count,
        "descendantsize": e.descendants.vsize,
        "ancestorcount": e.ancestors.count,
        "ancestorsize": e.ancestors.vsize,
        "wtxid": e.wtxid.to_string(),
        "fees": {
            "base": amount_to_value(e.fee.to_sat() as i64),
            "modified": amount_to_value(e.modified_fee()),
            "ancestor": amount_to_value(e.ancestors.fee),
            "descendant": amount_to_value(e.descendants.fee),
        },
        "depends": depends,
        "spentby": spentby,
        "bip125-replaceable": replaceable,
        "unbroadcast": false,
    })
}

fn entries_to_json(pool: &Mempool, entries: &[Entry], verbose: bool) -> Value {
    let mut sorted: Vec<&Entry> = entries.iter().collect();
    sorted.sort_by_key(|e| e.sequence);
    if verbose {
        let mut object = Map::new();
        for e in sorted {
            object.insert(e.txid.to_string(), entry_to_json(pool, e));
        }
        Value::Object(object)
    } else {
        Value::Array(sorted.iter().map(|e| e.txid.to_string().into()).collect())
    }
}

const ENTRY_HELP: &str = "{\n  \"vsize\" : n,                 (numeric) virtual transaction size as defined in BIP 141. This is different from actual serialized size for witness transactions as witness data is discounted.\n  \"weight\" : n,                (numeric) transaction weight as defined in BIP 141.\n  \"time\" : xxx,                (numeric) local time transaction entered pool in seconds since 1 Jan 1970 GMT\n  \"height\" : n,                (numeric) block height when transaction entered pool\n  \"descendantcount\" : n,       (numeric) number of in-mempool descendant transactions (including this one)\n  \"descendantsize\" : n,        (numeric) virtual transaction size of in-mempool descendants (including this one)\n  \"ancestorcount\" : n,         (numeric) number of in-mempool ancestor transactions (including this one)\n  \"ancestorsize\" : n,          (numeric) virtual transaction size of in-mempool ancestors (including this one)\n  \"wtxid\" : \"hex\",             (string) hash of serialized transaction, including witness data\n  \"fees\" : {                   (json object)\n    \"base\" : n,                (numeric) transaction fee, denominated in BTC\n    \"modified\" : n,            (numeric) transaction fee with fee deltas used for mining priority, denominated in BTC\n    \"ancestor\" : n,            (numeric) transaction fees of in-mempool ancestors (including this one) with fee deltas used for mining priority, denominated in BTC\n    \"descendant\" : n           (numeric) transaction fees of in-mempool descendants (including this one) with fee deltas used for mining priority, denominated in BTC\n  },\n  \"depends\" : [                (json array) unconfirmed transactions used as inputs for this transaction\n    \"hex\",                     (string) parent transaction id\n    ...\n  ],\n  \"spentby\" : [                (json array) unconfirmed transactions spending outputs from this transaction\n    \"hex\",                     (string) child transaction id\n    ...\n  ],\n  \"bip125-replaceable\" : true|false,    (boolean) Whether this transaction signals BIP125 replaceability or has an unconfirmed ancestor signaling BIP125 replaceability. (DEPRECATED)\n  \"unbroadcast\" : true|false   (boolean) Whether this transaction is currently unbroadcast (initial broadcast not yet acknowledged by any peers)\n}";

/// Core's `BroadcastTransaction` errors as RPC errors.
fn broadcast_error(rejected: &Rejected) -> RpcError {
    match rejected.kind {
        RejectKind::MissingInputs => RpcError::new(RPC_VERIFY_ERROR, "Inputs missing or spent"),
        RejectKind::MaxFeeExceeded => RpcError::new(
            RPC_VERIFY_ERROR,
            "Fee exceeds maximum configured by user (e.g. -maxtxfee, maxfeerate)",
        ),
        _ => RpcError::new(RPC_VERIFY_REJECTED, rejected.to_string()),
    }
}

fn sendrawtransaction(pool: Pool) -> Method {
    Method::new("sendrawtransaction", "rawtransactions", "Submit a raw transaction (serialized, hex-encoded) to local node and network.\n\nThe transaction will be sent unconditionally to all peers, so using sendrawtransaction\nfor manual rebroadcast may degrade privacy by leaking the transaction's origin, as\nnodes will normally not rebroadcast non-wallet transactions already in their mempool.\n\nA specific exception, RPC_TRANSACTION_ALREADY_IN_UTXO_SET, may throw if the transaction cannot be added to the mempool.\n\nRelated RPCs: createrawtransaction, signrawtransactionwithkey")
        .param(Param::required("hexstring", ParamType::StrHex, "The hex string of the raw transaction"))
        .param(Param::default("maxfeerate", ParamType::Amount, DEFAULT_MAX_FEE_RATE, "Reject transactions whose fee rate is higher than the specified value, expressed in BTC/kvB.\nFee rates larger than 1BTC/kvB are rejected.\nSet to 0 to accept any fee rate."))
        .param(Param::default("maxburnamount", ParamType::Amount, "0.00", "Reject transactions with provably unspendable outputs (e.g. 'datacarrier' outputs that use the OP_RETURN opcode) greater than the specified value, expressed in BTC.\nIf burning funds through unspendable outputs is desired, increase this value.\nThis check is based on heuristics and does not guarantee spendability of outputs.\n"))
        .result("\"hex\"    (string) The transaction hash in hex")
        .examples(format!("\nCreate a transaction\n{}Sign the transaction, and get back the hex\n{}\nSend the transaction (signed hex)\n{}\nAs a JSON-RPC call\n{}", example_cli("createrawtransaction", "\"[{\\\"txid\\\" : \\\"mytxid\\\",\\\"vout\\\":0}]\" \"{\\\"myaddress\\\":0.01}\""), example_cli("signrawtransactionwithwallet", "\"myhex\""), example_cli("sendrawtransaction", "\"signedhex\""), example_rpc("sendrawtransaction", "\"signedhex\"")))
        .handler(move |p| {
            let tx = decode_hex_tx(p.arg::<&str>("hexstring")?, true, true).ok_or_else(|| {
                RpcError::new(RPC_DESERIALIZATION_ERROR, "TX decode failed. Make sure the tx has at least one input.")
            })?;
            let max_burn = amount_from_value(p.arg::<&Value>("maxburnamount")?)?;
            if burned(&tx).to_sat() > max_burn as u64 {
                return Err(RpcError::new(RPC_VERIFY_ERROR, "Unspendable output exceeds maximum configured by user (maxburnamount)"));
            }
            let max_rate = parse_fee_rate(p.arg::<&Value>("maxfeerate")?)?;
            let vsize = virtual_size(tx.weight().to_wu(), 0);
            let max_fee = fee_for(max_rate, vsize);
            let txid = tx.compute_txid();
            if pool.mempool.get(&txid).is_some() {
                return Ok(txid.to_string().into());
            }
            let in_utxo_set = (0..tx.output.len()).any(|vout| {
                matches!(pool.chain.txout(&bitcoin::OutPoint::new(txid, vout as u32)), Ok((Some(_), _)))
            });
            if in_utxo_set {
                return Err(RpcError::new(RPC_VERIFY_ALREADY_IN_UTXO_SET, "Transaction outputs already in utxo set"));
            }
            let options = AcceptOptions {
                max_fee: (max_fee > 0).then(|| Amount::from_sat(max_fee)),
                ..AcceptOptions::default()
            };
            pool.mempool.accept(Arc::new(tx), options).map_err(|e| broadcast_error(&e))?;
            Ok(txid.to_string().into())
        })
}

fn testmempoolaccept(pool: Pool) -> Method {
    Method::new("testmempoolaccept", "rawtransactions", "Returns result of mempool acceptance tests indicating if raw transaction(s) (serialized, hex-encoded) would be accepted by mempool.\n\nIf multiple transactions are passed in, parents must come before children and package policies apply: the transactions cannot conflict with any mempool transactions or each other.\n\nIf one transaction fails, other transactions may not be fully validated (the 'allowed' key will be blank).\n\nThe maximum number of transactions allowed is 25.\n\nThis checks if transactions violate the consensus or policy rules.\n\nSee sendrawtransaction call.")
        .param(Param::required("rawtxs", ParamType::Arr, "An array of hex strings of raw transactions.").inner(vec![Param::optional("rawtx", ParamType::StrHex, "")]))
        .param(Param::default("maxfeerate", ParamType::Amount, DEFAULT_MAX_FEE_RATE, "Reject transactions whose fee rate is higher than the specified value, expressed in BTC/kvB.\nFee rates larger than 1BTC/kvB are rejected.\nSet to 0 to accept any fee rate."))
        .result("[                               (json array) The result of the mempool acceptance test for each raw transaction in the input array.\n                                Returns results for each transaction in the same order they were passed in.\n                                Transactions that cannot be fully validated due to failures in other transactions will not contain an 'allowed' result.\n  {                             (json object)\n    \"txid\" : \"hex\",              (string) The transaction hash in hex\n    \"wtxid\" : \"hex\",             (string) The transaction witness hash in hex\n    \"package-error\" : \"str\",     (string, optional) Package validation error, if any (only possible if rawtxs had more than 1 transaction).\n    \"allowed\" : true|false,     (boolean, optional) Whether this tx would be accepted to the mempool and pass client-specified maxfeerate. If not present, the tx was not fully validated due to a failure in another tx in the list.\n    \"vsize\" : n,                (numeric, optional) Virtual transaction size as defined in BIP 141. This is different from actual serialized size for witness transactions as witness data is discounted (only present when 'allowed' is true)\n    \"fees\" : {                  (json object, optional) Transaction fees (only present if 'allowed' is true)\n      \"base\" : n,               (numeric) transaction fee in BTC\n      \"effective-feerate\" : n,  (numeric) the effective feerate in BTC per KvB. May differ from the base feerate if, for example, there are modified fees from prioritisetransaction or a package feerate was used.\n      \"effective-includes\" : [  (json array) transactions whose fees and vsizes are included in effective-feerate.\n        \"hex\",                  (string) transaction wtxid in hex\n        ...\n      ]\n    },\n    \"reject-reason\" : \"str\",     (string, optional) Rejection reason (only present when 'allowed' is false)\n    \"reject-details\" : \"str\"     (string, optional) Rejection details (only present when 'allowed' is false and rejection details exist)\n  },\n  ...\n]")
        .examples(format!("\nCreate a transaction\n{}Sign the transaction, and get back the hex\n{}\nTest acceptance of the transaction (signed hex)\n{}\nAs a JSON-RPC call\n{}", example_cli("createrawtransaction", "\"[{\\\"txid\\\" : \\\"mytxid\\\",\\\"vout\\\":0}]\" \"{\\\"myaddress\\\":0.01}\""), example_cli("signrawtransactionwithwallet", "\"myhex\""), example_cli("testmempoolaccept", "'[\"signedhex\"]'"), example_rpc("testmempoolaccept", "[\"signedhex\"]")))
        .handler(move |p| {
            let rawtxs = p.arg::<&Vec<Value>>("rawtxs")?;
            if rawtxs.is_empty() || rawtxs.len() > MAX_PACKAGE_COUNT {
                return Err(RpcError::invalid_parameter(format!("Array must contain between 1 and {MAX_PACKAGE_COUNT} transactions.")));
            }
            let max_rate = parse_fee_rate(p.arg::<&Value>("maxfeerate")?)?;
            let mut txs = Vec::with_capacity(rawtxs.len());
            for raw in rawtxs {
                let text = raw.as_str().ok_or_else(|| RpcError::type_error("JSON value of type number is not of expected type string"))?;
                txs.push(decode_hex_tx(text, true, true).ok_or_else(|| {
                    RpcError::new(RPC_DESERIALIZATION_ERROR, format!("TX decode failed: {text} Make sure the tx has at least one input."))
                })?);
            }
            if txs.len() > 1 {
                return Ok(test_package(&pool.mempool, txs, max_rate));
            }
            let tx = txs.remove(0);
            Ok(Value::Array(vec![test_accept(&pool.mempool, tx, max_rate)]))
        })
}

/// `testmempoolaccept` of several transactions (Core's package path).
fn test_package(mempool: &Mempool, txs: Vec<Transaction>, max_rate: u64) -> Value {
    let txs: Vec<Arc<Transaction>> = txs.into_iter().map(Arc::new).collect();
    let outcome = mempool.test_package(&txs);
    let mut exit_early = false;
    let mut out = Vec::with_capacity(txs.len());
    for (i, tx) in txs.iter().enumerate() {
        let mut result = Map::new();
        result.insert("txid".into(), tx.compute_txid().to_string().into());
        result.insert("wtxid".into(), tx.compute_wtxid().to_string().into());
        let found = match &outcome {
            PackageTest::Malformed(reason) => {
                result.insert("package-error".into(), reason.clone().into());
                None
            }
            PackageTest::Results(results) => results[i].clone(),
        };
        if let (Some(found), false) = (found, exit_early) {
            exit_early = fill_result(&mut result, found, tx.compute_wtxid(), max_rate);
        }
        out.push(Value::Object(result));
    }
    Value::Array(out)
}

fn test_accept(mempool: &Mempool, tx: Transaction, max_rate: u64) -> Value {
    let mut result = Map::new();
    result.insert("txid".into(), tx.compute_txid().to_string().into());
    result.insert("wtxid".into(), tx.compute_wtxid().to_string().into());
    let wtxid = tx.compute_wtxid();
    let options = AcceptOptions {
        test_only: true,
        ..AcceptOptions::default()
    };
    fill_result(
        &mut result,
        mempool.accept(Arc::new(tx), options),
        wtxid,
        max_rate,
    );
    Value::Object(result)
}

/// Adds `allowed` and the fees or the rejection to a `testmempoolaccept` result; returns
/// whether the fee cap was exceeded (which ends a package's results in Core).
fn fill_result(
    result: &mut Map<String, Value>,
    outcome: Result<crate::mempool::Accepted, Rejected>,
    wtxid: bitcoin::Wtxid,
    max_rate: u64,
) -> bool {
    match outcome {
        Ok(accepted) => {
            let max_fee = fee_for(max_rate, accepted.vsize);
            if max_fee > 0 && accepted.fee.to_sat() > max_fee {
                result.insert("allowed".into(), false.into());
                result.insert("reject-reason".into(), "max-fee-exceeded".into());
                return true;
            } else {
                result.insert("allowed".into(), true.into());
                result.insert("vsize".into(), accepted.vsize.into());
                result.insert(
                    "fees".into(),
                    json!({
                        "base": amount_to_value(accepted.fee.to_sat() as i64),
                        "effective-feerate": amount_to_value(accepted.effective_fee_rate as i64),
                        "effective-includes": [wtxid.to_string()],
                    }),
                );
            }
        }
        Err(rejected) => {
            result.insert("allowed".into(), false.into());
            if rejected.kind == RejectKind::MissingInputs {
                result.insert("reject-reason".into(), "missing-inputs".into());
            } else {
                result.insert("reject-reason".into(), rejected.reason.clone().into());
                result.insert("reject-details".into(), rejected.to_string().into());
            }
        }
    }
    false
}

fn getmempoolinfo(pool: Pool) -> Method {
    Method::new("getmempoolinfo", "blockchain", "Returns details on the active state of the TX memory pool.")
        .result("{                            (json object)\n  \"loaded\" : true|false,       (boolean) True if the initial load attempt of the persisted mempool finished\n  \"size\" : n,                  (numeric) Current tx count\n  \"bytes\" : n,                 (numeric) Sum of all virtual transaction sizes as defined in BIP 141. Differs from actual serialized size because witness data is discounted\n  \"usage\" : n,                 (numeric) Total memory usage for the mempool\n  \"total_fee\" : n,             (numeric) Total fees for the mempool in BTC, ignoring modified fees through prioritisetransaction\n  \"maxmempool\" : n,            (numeric) Maximum memory usage for the mempool\n  \"mempoolminfee\" : n,         (numeric) Minimum fee rate in BTC/kvB for tx to be accepted. Is the maximum of minrelaytxfee and minimum mempool fee\n  \"minrelaytxfee\" : n,         (numeric) Current minimum relay fee for transactions\n  \"incrementalrelayfee\" : n,   (numeric) minimum fee rate increment for mempool limiting or replacement in BTC/kvB\n  \"unbroadcastcount\" : n,      (numeric) Current number of transactions that haven't passed initial broadcast yet\n  \"fullrbf\" : true|false,      (boolean) True if the mempool accepts RBF without replaceability signaling inspection (DEPRECATED)\n  \"permitbaremultisig\" : true|false, (boolean) True if the mempool accepts transactions with bare multisig outputs\n  \"maxdatacarriersize\" : n      (numeric) Maximum number of bytes that can be used by OP_RETURN outputs in the mempool\n}")
        .examples(example_cli("getmempoolinfo", "") + &example_rpc("getmempoolinfo", ""))
        .handler(move |_| {
            let m = &pool.mempool;
            let o = m.options();
            Ok(json!({
                "loaded": m.is_loaded(),
                "size": m.size(),
                "bytes": m.total_vsize(),
                "usage": m.usage(),
                "total_fee": amount_to_value(m.total_fee().to_sat() as i64),
                "maxmempool": o.max_size_bytes,
                "mempoolminfee": amount_to_value(m.min_fee().max(o.min_relay_fee) as i64),
                "minrelaytxfee": amount_to_value(o.min_relay_fee as i64),
                "incrementalrelayfee": amount_to_value(o.incremental_relay_fee as i64),
                "unbroadcastcount": 0,
                "fullrbf": true,
                "permitbaremultisig": o.permit_bare_multisig,
                "maxdatacarriersize": o.max_datacarrier_bytes.unwrap_or(0),
            }))
        })
}

fn getrawmempool(pool: Pool) -> Method {
    Method::new("getrawmempool", "blockchain", "Returns all transaction ids in memory pool as a json array of string transaction ids.\n\nHint: use getmempoolentry to fetch a specific transaction from the mempool.")
        .param(Param::default("verbose", ParamType::Bool, false, "True for a json object, false for array of transaction ids"))
        .param(Param::default("mempool_sequence", ParamType::Bool, false, "If verbose=false, returns a json object with transaction list and mempool sequence number attached."))
        .result_when("for verbose = false", "[           (json array)\n  \"hex\",     (string) The transaction id\n  ...\n]")
        .result_when("for verbose = true", &format!("{{                           (json object)\n  \"transactionid\" : {{       (json object)\n{}\n  }},\n  ...\n}}", ENTRY_HELP.lines().skip(1).map(|l| format!("  {l}")).collect::<Vec<_>>().join("\n")))
        .result_when("for verbose = false and mempool_sequence = true", "{                            (json object)\n  \"txids\" : [                (json array)\n    \"hex\",                    (string) The transaction id\n    ...\n  ],\n  \"mempool_sequence\" : n     (numeric) The mempool sequence value.\n}")
        .examples(example_cli("getrawmempool", "true") + &example_rpc("getrawmempool", "true"))
        .handler(move |p| {
            let verbose = p.arg::<bool>("verbose")?;
            let sequence = p.arg::<bool>("mempool_sequence")?;
            if verbose && sequence {
                return Err(RpcError::invalid_parameter("Verbose results cannot contain mempool sequence values."));
            }
            if sequence {
                let (txids, seq) = pool.mempool.txids_with_sequence();
                let txids: Vec<String> = txids.iter().map(ToString::to_string).collect();
                return Ok(json!({"txids": txids, "mempool_sequence": seq}));
            }
            Ok(entries_to_json(&pool.mempool, &pool.mempool.entries(), verbose))
        })
}

fn getmempoolentry(pool: Pool) -> Method {
    Method::new(
        "getmempoolentry",
        "blockchain",
        "Returns mempool data for given transaction",
    )
    .param(Param::required(
        "txid",
        ParamType::StrHex,
        "The transaction id (must be in mempool)",
    ))
    .result(ENTRY_HELP)
    .examples(
        example_cli("getmempoolentry", "\"mytxid\"")
            + &example_rpc("getmempoolentry", "\"mytxid\""),
    )
    .handler(move |p| {
        let txid = txid_param(p, "txid")?;
        let entry = pool.mempool.entry(&txid).ok_or_else(not_in_mempool)?;
        Ok(entry_to_json(&pool.mempool, &entry))
    })
}

fn relatives(name: &'static str, ancestors: bool, pool: Pool) -> Method {
    let description = if ancestors {
        "If txid is in the mempool, returns all in-mempool ancestors."
    } else {
        "If txid is in the mempool, returns all in-mempool descendants."
    };
    let list = if ancestors {
        "[           (json array)\n  \"hex\",     (string) The transaction id of an in-mempool ancestor transaction\n  ...\n]"
    } else {
        "[           (json array)\n  \"hex\",     (string) The transaction id of an in-mempool descendant transaction\n  ...\n]"
    };
    Method::new(name, "blockchain", description)
        .param(Param::required("txid", ParamType::StrHex, "The transaction id (must be in mempool)"))
        .param(Param::default("verbose", ParamType::Bool, false, "True for a json object, false for array of transaction ids"))
        .result_when("for verbose = false", list)
        .result_when("for verbose = true", &format!("{{                           (json object)\n  \"transactionid\" : {{       (json object)\n{}\n  }},\n  ...\n}}", ENTRY_HELP.lines().skip(1).map(|l| format!("  {l}")).collect::<Vec<_>>().join("\n")))
        .examples(example_cli(name, "\"mytxid\"") + &example_rpc(name, "\"mytxid\""))
        .handler(move |p| {
            let txid = txid_param(p, "txid")?;
            let verbose = p.arg::<bool>("verbose")?;
            let found = if ancestors { pool.mempool.ancestors(&txid) } else { pool.mempool.descendants(&txid) };
            let entries = found.ok_or_else(not_in_mempool)?;
            Ok(entries_to_json(&pool.mempool, &entries, verbose))
        })
}

fn savemempool(pool: Pool) -> Method {
    Method::new("savemempool", "blockchain", "Dumps the mempool to disk. It will fail until the previous dump is fully loaded.")
        .result("{                    (json object)\n  \"filename\" : \"str\"   (string) the directory and file where the mempool was saved\n}")
        .examples(example_cli("savemempool", "") + &example_rpc("savemempool", ""))
        .handler(move |_| {
            if !pool.mempool.is_loaded() {
                return Err(RpcError::new(RPC_MISC_ERROR, "The mempool was not loaded yet"));
            }
            let file = pool.mempool.options().file.clone().ok_or_else(|| RpcError::new(RPC_MISC_ERROR, "Unable to dump mempool to disk"))?;
            pool.mempool.save(&file).map_err(|e| {
                tracing::warn!(target: "mempool", "{e}");
                RpcError::new(RPC_MISC_ERROR, "Unable to dump mempool to disk")
            })?;
            Ok(json!({"filename": file.display().to_string()}))
        })
}

fn prioritisetransaction(pool: Pool) -> Method {
    Method::new("prioritisetransaction", "mining", "Accepts the transaction into mined blocks at a higher (or lower) priority")
        .param(Param::required("txid", ParamType::StrHex, "The transaction id."))
        .param(Param::optional("dummy", ParamType::Num, "API-Compatibility for previous API. Must be zero or null.\nDEPRECATED. For forward compatibility use named arguments and omit this parameter."))
        .param(Param::required("fee_delta", ParamType::Num, "The fee value (in satoshis) to add (or subtract, if negative).\nNote, that this value is not a fee rate. It is a value to modify absolute fee of the TX.\nThe fee is not actually paid, only the algorithm for selecting transactions into a block\nconsiders the transaction as it would have paid a higher (or lower) fee."))
        .result("true|false    (boolean) Returns true")
        .examples(example_cli("prioritisetransaction", "\"txid\" 0.0 10000") + &example_rpc("prioritisetransaction", "\"txid\", 0.0, 10000"))
        .handler(move |p| {
            let txid = txid_param(p, "txid")?;
            let delta = p.arg::<i64>("fee_delta")?;
            if let Some(dummy) = p.value("dummy")? {
                if dummy.as_f64() != Some(0.0) {
                    return Err(RpcError::invalid_parameter("Priority is no longer supported, dummy argument to prioritisetransaction must be 0."));
                }
            }
            pool.mempool.prioritise(&txid, delta);
            Ok(true.into())
        })
}

fn getprioritisedtransactions(pool: Pool) -> Method {
    Method::new("getprioritisedtransactions", "mining", "Returns a map of all user-created (see prioritisetransaction) fee deltas by txid, and whether the tx is present in mempool.")
        .result("{                                 (json object) prioritisation keyed by txid\n  \"<transactionid>\" : {           (json object)\n    \"fee_delta\" : n,               (numeric) transaction fee delta in satoshis\n    \"in_mempool\" : true|false,     (boolean) whether this transaction is currently in mempool\n    \"modified_fee\" : n             (numeric, optional) modified fee in satoshis. Only returned if in_mempool=true\n  },\n  ...\n}")
        .examples(example_cli("getprioritisedtransactions", "") + &example_rpc("getprioritisedtransactions", ""))
        .handler(move |_| {
            let mut out = Map::new();
            let mut deltas = pool.mempool.deltas();
            deltas.sort_by_key(|(t, _)| t.to_string());
            for (txid, delta) in deltas {
                let mut item = Map::new();
                item.insert("fee_delta".into(), delta.into());
                match pool.mempool.entry(&txid) {
                    Some(e) => {
                        item.insert("in_mempool".into(), true.into());
                        item.insert("modified_fee".into(), e.modified_fee().into());
                    }
                    None => {
                        item.insert("in_mempool".into(), false.into());
                    }
                }
                out.insert(txid.to_string(), Value::Object(item));
            }
            Ok(Value::Object(out))
        })
}

/// Registers the mempool methods (`savemempool` writes the pool's `mempool.dat`).
pub fn register(table: &mut RpcTable, mempool: &Arc<Mempool>, chain: &Arc<ChainState>) {
    let pool = Pool {
        mempool: mempool.clone(),
        chain: chain.clone(),
    };
    table
        .register(sendrawtransaction(pool.clone()))
        .register(testmempoolaccept(pool.clone()))
        .register(getmempoolinfo(pool.clone()))
        .register(getrawmempool(pool.clone()))
        .register(getmempoolentry(pool.clone()))
        .register(relatives("getmempoolancestors", true, pool.clone()))
        .register(relatives("getmempooldescendants", false, pool.clone()))
        .register(savemempool(pool.clone()))
        .register(prioritisetransaction(pool.clone()))
        .register(getprioritisedtransactions(pool));
}
