//! `getblocktemplate` (BIP22/23/9/145, Core's `rpc/mining.cpp`): a template from the same
//! assembler the IPC `Mining` interface uses, `proposal` mode checked like `checkBlock`, and
//! long polling on the tip and the mempool.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bitcoin::consensus::encode::{deserialize, serialize_hex};
use bitcoin::hashes::Hash;
use bitcoin::{Block, CompactTarget, Target};
use serde_json::{json, Value};

use crate::chain::ChainState;
use crate::mining::template::{MAX_BLOCK_SIGOPS_COST, MAX_BLOCK_WEIGHT};
use crate::mining::MiningContext;
use rpc::help::{example_cli, example_rpc};
use rpc::hex::hex;
use rpc::protocol::{
    RpcError, RPC_CLIENT_NOT_CONNECTED, RPC_DESERIALIZATION_ERROR, RPC_INTERNAL_ERROR,
    RPC_INVALID_PARAMETER,
};
use rpc::{Method, Param, ParamType};

/// How long a long poll waits for the mempool to change before answering with what it has
/// (Core: one minute).
const LONGPOLL_MEMPOOL_WAIT: Duration = Duration::from_secs(60);

fn closed() -> RpcError {
    RpcError::new(RPC_CLIENT_NOT_CONNECTED, "Shutting down")
}

/// `mode: "proposal"`: Core's BIP22 answer for a proposed block.
fn proposal(
    mining: &MiningContext,
    request: &serde_json::Map<String, Value>,
) -> Result<Value, RpcError> {
    let data = request.get("data").and_then(Value::as_str).ok_or_else(|| {
        RpcError::new(
            RPC_INVALID_PARAMETER,
            "Missing data String key for proposal",
        )
    })?;
    let bytes = rpc::hex::parse_hex(data)
        .ok_or_else(|| RpcError::new(RPC_DESERIALIZATION_ERROR, "Block decode failed"))?;
    let block: Block = deserialize(&bytes)
        .map_err(|_| RpcError::new(RPC_DESERIALIZATION_ERROR, "Block decode failed"))?;
    let hash = block.block_hash();
    if let Some(info) = mining.chain.block_info(&hash) {
        return Ok(if info.in_active_chain {
            "duplicate"
        } else {
            "duplicate-inconclusive"
        }
        .into());
    }
    let verdict = crate::mining::check::check_block(
        &mining.chain,
        &block,
        &interfaces::BlockCheckOptions {
            check_merkle_root: true,
            check_pow: false,
        },
    );
    Ok(if verdict.result {
        Value::Null
    } else {
        verdict.reason.into()
    })
}

/// Core's long-poll id: the tip hash and the mempool's update counter.
fn longpoll_id(tip: &bitcoin::BlockHash, updates: u64) -> String {
    format!("{tip}{updates}")
}

/// Waits as Core's long poll does: until the tip differs from the id's, or the mempool
/// changed and a minute passed.
fn long_poll(mining: &MiningContext, id: &str) -> Result<(), RpcError> {
    let (hash, updates) = id.split_at(id.len().min(64));
    let updates: u64 = updates.parse().unwrap_or(0);
    let started = Instant::now();
    loop {
        let tip = mining.chain.tip().ok_or_else(closed)?;
        if tip.hash.to_string() != hash {
            return Ok(());
        }
        if started.elapsed() >= LONGPOLL_MEMPOOL_WAIT
            && mining.source.transactions_updated() != updates
        {
            return Ok(());
        }
        let current = tip.hash.to_byte_array();
        let deadline = Instant::now() + Duration::from_secs(10);
        mining.watcher.wait_for_change(&current, deadline);
        if mining.watcher.is_shut_down() {
            return Err(closed());
        }
    }
}

fn template_json(chain: &ChainState, mining: &MiningContext) -> Result<Value, RpcError> {
    let tip = chain.tip().ok_or_else(closed)?;
    let updates = mining.source.transactions_updated();
    let options = interfaces::BlockCreateOptions::default();
    // The coinbase is the miner's: pay to OP_TRUE as the IPC templates do.
    let script = bitcoin::ScriptBuf::from_bytes(vec![0x51]);
    let t = mining
        .create(&options, &script)
        .map_err(|e| RpcError::new(RPC_INTERNAL_ERROR, e))?;
    // Core's `depends` count from 1 (the coinbase is not listed).
    let index: HashMap<_, _> = t
        .txids
        .iter()
        .enumerate()
        .map(|(i, txid)| (*txid, i + 1))
        .collect();
    let transactions: Vec<Value> = t
        .txs
        .iter()
        .enumerate()
        .map(|(i, tx)| {
            let mut depends: Vec<usize> = tx
                .input
                .iter()
                .filter_map(|input| index.get(&input.previous_output.txid).copied())
                .collect();
            depends.sort_unstable();
            depends.dedup();
            json!({
                "data": serialize_hex(&**tx),
                "txid": t.txids[i].to_string(),
                "hash": t.wtxids[i].to_string(),
                "depends": depends,
                "fee": t.fees[i],
                "sigops": t.sigops[i],
                "weight": t.weights[i],
            })
        })
        .collect();
    let header = &t.header;
    let target = Target::from_compact(CompactTarget::from_consensus(header.bits.to_consensus()));
    let commitment = t
        .coinbase_tx
        .output
        .iter()
        .rev()
        .find(|o| {
            o.script_pubkey
                .as_bytes()
                .starts_with(&[0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed])
        })
        .map(|o| hex(o.script_pubkey.as_bytes()));
    let mut result = json!({
        "capabilities": ["proposal"],
        "version": header.version.to_consensus(),
        "rules": ["csv", "!segwit", "taproot"],
        "vbavailable": {},
        "vbrequired": 0,
        "previousblockhash": tip.hash.to_string(),
        "transactions": transactions,
        "coinbaseaux": {},
        "coinbasevalue": t.coinbase.block_reward_remaining,
        "longpollid": longpoll_id(&tip.hash, updates),
        "target": hex(&target.to_be_bytes()),
        "mintime": tip.median_time_past + 1,
        "mutable": ["time", "transactions", "prevblock"],
        "noncerange": "00000000ffffffff",
        "sigoplimit": MAX_BLOCK_SIGOPS_COST,
        "sizelimit": MAX_BLOCK_WEIGHT,
        "weightlimit": MAX_BLOCK_WEIGHT,
        "curtime": header.time,
        "bits": format!("{:08x}", header.bits.to_consensus()),
        "height": t.height,
    });
    if let (Some(commitment), Some(object)) = (commitment, result.as_object_mut()) {
        object.insert("default_witness_commitment".into(), commitment.into());
    }
    Ok(result)
}

/// The `getblocktemplate` method.
pub fn getblocktemplate(mining: Arc<MiningContext>) -> Method {
    Method::new("getblocktemplate", "mining", "If the request parameters include a 'mode' key, that is used to explicitly select between the default 'template' request or a 'proposal'.\nIt returns data needed to construct a block to work on.\nFor full specification, see BIPs 22, 23, 9, and 145:\n    https://github.com/bitcoin/bips/blob/master/bip-0022.mediawiki\n    https://github.com/bitcoin/bips/blob/master/bip-0023.mediawiki\n    https://github.com/bitcoin/bips/blob/master/bip-0009.mediawiki#getblocktemplate_changes\n    https://github.com/bitcoin/bips/blob/master/bip-0145.mediawiki")
        .param(Param::default("template_request", ParamType::Obj, json!({}), "Format of the template"))
        .result("{ \"version\", \"rules\", \"vbavailable\", \"vbrequired\", \"previousblockhash\", \"transactions\": [ { \"data\", \"txid\", \"hash\", \"depends\", \"fee\", \"sigops\", \"weight\" } ], \"coinbaseaux\", \"coinbasevalue\", \"longpollid\", \"target\", \"mintime\", \"mutable\", \"noncerange\", \"sigoplimit\", \"sizelimit\", \"weightlimit\", \"curtime\", \"bits\", \"height\", \"default_witness_commitment\" }")
        .examples(example_cli("getblocktemplate", "'{\"rules\": [\"segwit\"]}'") + &example_rpc("getblocktemplate", "{\"rules\": [\"segwit\"]}"))
        .handler(move |p| {
            let empty = serde_json::Map::new();
            let request = p.value("template_request")?.and_then(Value::as_object).unwrap_or(&empty);
            let mode = match request.get("mode") {
                None | Some(Value::Null) => "template",
                Some(Value::String(mode)) => mode.as_str(),
                Some(_) => return Err(RpcError::new(RPC_INVALID_PARAMETER, "Invalid mode")),
            };
            if mode == "proposal" {
                return proposal(&mining, request);
            }
            if mode != "template" {
                return Err(RpcError::new(RPC_INVALID_PARAMETER, "Invalid mode"));
            }
            let chain = &mining.chain;
            if chain.chain() == common::Chain::Main {
                // Core's check for a chain that is not a test chain: without P2P there are no
                // peers, so the node is never connected.
                return Err(RpcError::new(RPC_CLIENT_NOT_CONNECTED, "Bitcoin Core is not connected!"));
            }
            let segwit = request
                .get("rules")
                .and_then(Value::as_array)
                .is_some_and(|rules| rules.iter().any(|r| r.as_str() == Some("segwit")));
            if !segwit {
                return Err(RpcError::new(RPC_INVALID_PARAMETER, "getblocktemplate must be called with the segwit rule set (call with {\"rules\": [\"segwit\"]})"));
            }
            if let Some(id) = request.get("longpollid") {
                let id = id.as_str().ok_or_else(|| RpcError::new(RPC_INVALID_PARAMETER, "Invalid longpollid"))?;
                long_poll(&mining, id)?;
            }
            template_json(chain, &mining)
        })
}
