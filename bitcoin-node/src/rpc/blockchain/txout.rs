//! The coins view through RPC: `gettxout` and `gettxoutsetinfo` (Core's
//! `rpc/blockchain.cpp`), answered from the node's coins view ([`crate::coins`]) and, for
//! `gettxout` with `include_mempool`, the mempool (outputs it spends are gone, outputs of its
//! transactions are there with 0 confirmations).

use std::sync::Arc;

use bitcoin::hashes::Hash;
use bitcoin::{OutPoint, Txid};
use serde_json::{Map, Value};

use super::{network, parse_hash};
use crate::chain::{ChainError, ChainState};
use crate::mempool::Mempool;
use rpc::help::{example_cli, example_rpc};
use rpc::json::{btc, script_pubkey};
use rpc::protocol::{RpcError, RPC_INTERNAL_ERROR, RPC_INVALID_PARAMETER};
use rpc::{Method, Param, ParamType};

fn failed(e: &ChainError) -> RpcError {
    match e {
        ChainError::Closed => {
            RpcError::new(rpc::protocol::RPC_CLIENT_NOT_CONNECTED, "Shutting down")
        }
        other => RpcError::new(
            RPC_INTERNAL_ERROR,
            format!("Unable to read UTXO set: {other}"),
        ),
    }
}

/// `gettxout`.
pub fn gettxout(chain: Arc<ChainState>, mempool: Option<Arc<Mempool>>) -> Method {
    Method::new("gettxout", "blockchain", "Returns details about an unspent transaction output.")
        .param(Param::required("txid", ParamType::StrHex, "The transaction id"))
        .param(Param::required("n", ParamType::Num, "vout number"))
        .param(Param::default("include_mempool", ParamType::Bool, true, "Whether to include the mempool. Note that an unspent output that is spent in the mempool won't appear."))
        .result_when("If the UTXO was not found", "null    (json null)")
        .result_when("Otherwise", "{                             (json object)\n  \"bestblock\" : \"hex\",        (string) The hash of the block at the tip of the chain\n  \"confirmations\" : n,        (numeric) The number of confirmations\n  \"value\" : n,                (numeric) The transaction value in BTC\n  \"scriptPubKey\" : {          (json object)\n    \"asm\" : \"str\",            (string) Disassembly of the output script\n    \"desc\" : \"str\",           (string) Inferred descriptor for the output\n    \"hex\" : \"hex\",            (string) The raw output script bytes, hex-encoded\n    \"type\" : \"str\",           (string) The type, eg pubkeyhash\n    \"address\" : \"str\"         (string, optional) The Bitcoin address (only if a well-defined address exists)\n  },\n  \"coinbase\" : true|false     (boolean) Coinbase or not\n}")
        .examples(format!(
            "\nGet unspent transactions\n{}\nView the details\n{}\nAs a JSON-RPC call\n{}",
            example_cli("listunspent", ""),
            example_cli("gettxout", "\"txid\" 1"),
            example_rpc("gettxout", "\"txid\", 1")
        ))
        .handler(move |p| {
            let txid = Txid::from_byte_array(parse_hash("txid", p.arg::<&str>("txid")?)?.to_byte_array());
            // Core reads an int and casts it: -1 asks for output 4294967295.
            let vout = p.arg::<i32>("n")? as u32;
            let outpoint = OutPoint { txid, vout };
            let pool = mempool.as_ref().filter(|_| p.maybe_arg::<bool>("include_mempool").ok().flatten().unwrap_or(true));
            if let Some(pool) = pool {
                if pool.spender(&outpoint).is_some() {
                    return Ok(Value::Null);
                }
                if let Some(tx) = pool.get(&txid) {
                    let Some(output) = tx.output.get(vout as usize) else {
                        return Ok(Value::Null);
                    };
                    let tip = chain.tip().ok_or_else(|| failed(&ChainError::Closed))?;
                    let mut object = Map::new();
                    object.insert("bestblock".into(), tip.hash.to_string().into());
                    object.insert("confirmations".into(), 0.into());
                    object.insert("value".into(), btc(output.value.to_sat()));
                    object.insert("scriptPubKey".into(), script_pubkey(&output.script_pubkey, network(chain.chain())));
                    object.insert("coinbase".into(), false.into());
                    return Ok(Value::Object(object));
                }
            }
            let (coin, best) = chain.txout(&outpoint).map_err(|e| failed(&e))?;
            let (Some(coin), Some(best)) = (coin, best) else {
                return Ok(Value::Null);
            };
            let mut object = Map::new();
            object.insert("bestblock".into(), best.hash.to_string().into());
            let confirmations = i64::from(best.height) - i64::from(coin.height) + 1;
            object.insert("confirmations".into(), confirmations.into());
            object.insert("value".into(), btc(coin.output.value.to_sat()));
            let net = network(chain.chain());
            object.insert("scriptPubKey".into(), script_pubkey(&coin.output.script_pubkey, net));
            object.insert("coinbase".into(), coin.coinbase.into());
            Ok(Value::Object(object))
        })
}

/// `gettxoutsetinfo` (without coinstatsindex: `hash_serialized_3` or `none`).
pub fn gettxoutsetinfo(chain: Arc<ChainState>) -> Method {
    Method::new("gettxoutsetinfo", "blockchain", "Returns statistics about the unspent transaction output set.\nNote this call may take some time if you are not using coinstatsindex.")
        .param(Param::default("hash_type", ParamType::Str, "hash_serialized_3", "Which UTXO set hash should be calculated. Options: 'hash_serialized_3' (the legacy algorithm), 'muhash', 'none'."))
        .param(Param::hint("hash_or_height", ParamType::Num, "the current best block", "The block hash or height of the target height (only available with coinstatsindex).").skip_type_check())
        .param(Param::default("use_index", ParamType::Bool, true, "Use coinstatsindex, if available."))
        .result("{                                     (json object)\n  \"height\" : n,                       (numeric) The block height (index) of the returned statistics\n  \"bestblock\" : \"hex\",                (string) The hash of the block at which these statistics are calculated\n  \"txouts\" : n,                       (numeric) The number of unspent transaction outputs\n  \"bogosize\" : n,                     (numeric) Database-independent, meaningless metric indicating the UTXO set size\n  \"hash_serialized_3\" : \"hex\",        (string, optional) The serialized hash (only present if 'hash_serialized_3' hash_type is chosen)\n  \"total_amount\" : n,                 (numeric) The total amount of coins in the UTXO set\n  \"transactions\" : n,                 (numeric, optional) The number of transactions with unspent outputs (not available when coinstatsindex is used)\n  \"disk_size\" : n                     (numeric, optional) The estimated size of the chainstate on disk (not available when coinstatsindex is used)\n}")
        .examples(example_cli("gettxoutsetinfo", "") + &example_cli("gettxoutsetinfo", "\"none\"") + &example_rpc("gettxoutsetinfo", ""))
        .handler(move |p| {
            let hash_type = p.maybe_arg::<&str>("hash_type")?.unwrap_or("hash_serialized_3");
            let hash = match hash_type {
                "hash_serialized_3" => true,
                "none" => false,
                "muhash" => return Err(RpcError::new(RPC_INVALID_PARAMETER, "muhash is not supported by this node yet")),
                other => return Err(RpcError::new(RPC_INVALID_PARAMETER, format!("'{other}' is not a valid hash_type"))),
            };
            if p.value("hash_or_height")?.is_some_and(|v| !v.is_null()) {
                return Err(RpcError::new(RPC_INVALID_PARAMETER, "Querying specific block heights requires coinstatsindex"));
            }
            let stats = chain.coins_stats(hash).map_err(|e| failed(&e))?;
            let best = stats.best.ok_or_else(|| RpcError::new(RPC_INTERNAL_ERROR, "Unable to read UTXO set"))?;
            let mut object = Map::new();
            object.insert("height".into(), best.height.into());
            object.insert("bestblock".into(), best.hash.to_string().into());
            object.insert("txouts".into(), stats.txouts.into());
            object.insert("bogosize".into(), stats.bogosize.into());
            if let Some(hash) = stats.hash_serialized {
                object.insert("hash_serialized_3".into(), hash.to_string().into());
            }
            object.insert("total_amount".into(), btc(stats.total_amount));
            object.insert("transactions".into(), stats.transactions.into());
            object.insert("disk_size".into(), stats.disk_size.into());
            Ok(Value::Object(object))
        })
}
