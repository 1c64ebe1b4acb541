//! Mining methods (Core's `rpc/mining.cpp`): `getmininginfo`, `getnetworkhashps`,
//! `generatetoaddress`, `generatetodescriptor` (blocks from the shared template assembler,
//! [`crate::mining::template`], so with mempool transactions) and `generateblock` (exactly
//! the given transactions or mempool txids; as in Core, it pays the subsidy without the
//! fees). Blocks are checked by submitting them (Core tests them first), so a block made with
//! `submit=false` is not validated.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use bitcoin::consensus::encode::serialize_hex;
use bitcoin::{Block, CompactTarget, Script, Target, Transaction};
use serde_json::{json, Value};

use crate::chain::{ChainState, SubmitOutcome};
use crate::mining::template::{header_at, next_bits};
use crate::mining::{
    assemble_block, block_time, coinbase, grind, needs_witness_commitment, witness_commitment,
    Grind, MiningContext, TxSource,
};
use crate::rpc::blockchain::{difficulty, network};
use rpc::address::decode_destination;
use rpc::descriptor::{single_script, DescriptorError};
use rpc::help::{example_cli, example_rpc};
use rpc::hex::hex;
use rpc::json::{btc, float};
use rpc::protocol::{
    type_name, RpcError, RPC_CLIENT_NOT_CONNECTED, RPC_DESERIALIZATION_ERROR, RPC_INTERNAL_ERROR,
    RPC_INVALID_ADDRESS_OR_KEY, RPC_INVALID_PARAMETER, RPC_MISC_ERROR, RPC_VERIFY_ERROR,
};
use rpc::{Method, Param, ParamType, RpcTable};

/// Core's `DEFAULT_MAX_TRIES`.
const DEFAULT_MAX_TRIES: u64 = 1_000_000;
/// Blocks between difficulty adjustments.
const INTERVAL: i32 = 2016;
/// Weight Core reserves for header and coinbase (`DEFAULT_BLOCK_RESERVED_WEIGHT`).
const RESERVED_WEIGHT: u64 = 8000;
/// The default signet's block challenge.
const SIGNET_CHALLENGE: &str = "512103ad5e0edad18cb1f0fc0d28a3d4f1f3e445640337489abb10404f2d1e086be430210359ef5021964fe22d6f8e05b2463c9540ce96883fe3b278760f048f5189f2e6c452ae";

/// The chainstate, the templates' transaction source and whether a block template was ever
/// assembled (for `getmininginfo`).
#[derive(Clone)]
struct Miner {
    chain: Arc<ChainState>,
    mining: Arc<MiningContext>,
    /// Weight (counting the reserved weight, as Core does) and transaction count of the last
    /// assembled block.
    assembled: Arc<Mutex<Option<(u64, usize)>>>,
}

fn now() -> u32 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    u32::try_from(secs).unwrap_or(u32::MAX)
}

fn closed() -> RpcError {
    RpcError::new(RPC_CLIENT_NOT_CONNECTED, "Shutting down")
}

fn target_hex(bits: u32) -> String {
    hex(&Target::from_compact(CompactTarget::from_consensus(bits)).to_be_bytes())
}

/// Core's `GetNetworkHashPS`: work over time of the `lookup` blocks up to `height`.
fn network_hash_ps(chain: &ChainState, lookup: i64, height: i64) -> Result<Value, RpcError> {
    if lookup < -1 || lookup == 0 {
        return Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            "Invalid nblocks. Must be a positive number or -1.",
        ));
    }
    let tip = chain.tip().ok_or_else(closed)?;
    if height < -1 || height > i64::from(tip.height) {
        return Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            "Block does not exist at specified height",
        ));
    }
    let end = if height >= 0 {
        i32::try_from(height).unwrap_or(tip.height)
    } else {
        tip.height
    };
    if end == 0 {
        return Ok(0.into());
    }
    let lookup = if lookup == -1 {
        i64::from(end % INTERVAL + 1)
    } else {
        lookup
    };
    let start = end - i32::try_from(lookup.min(i64::from(end))).unwrap_or(end);
    let headers = (start..=end)
        .map(|h| header_at(chain, h))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(closed)?;
    let times = headers.iter().map(|h| h.time);
    let (min, max) = (times.clone().min().unwrap_or(0), times.max().unwrap_or(0));
    if min == max {
        return Ok(0.into());
    }
    let work = headers[1..]
        .iter()
        .map(|h| h.target().to_work())
        .reduce(|a, b| a + b);
    let work = work.map_or(0.0, |w| {
        w.to_le_bytes()
            .iter()
            .rev()
            .fold(0.0, |acc, b| acc * 256.0 + f64::from(*b))
    });
    Ok(float(work / f64::from(max - min)))
}

impl Miner {
    /// Core's `CreateNewBlock`: mempool transactions by ancestor fee rate, the coinbase
    /// paying subsidy and fees to `script`.
    fn assemble(&self, script: &Script) -> Result<Block, RpcError> {
        let options = interfaces::BlockCreateOptions::default();
        let t = self
            .mining
            .create(&options, script)
            .map_err(|e| RpcError::new(RPC_INTERNAL_ERROR, e))?;
        let weight = options.block_reserved_weight + t.weights.iter().sum::<u64>();
        self.note_assembled(weight, t.txs.len());
        Ok(t.block())
    }

    fn note_assembled(&self, weight: u64, txs: usize) {
        *self
            .assembled
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some((weight, txs));
    }

    /// `generateblock`'s block: exactly `txs`, the coinbase paying the subsidy only.
    fn template(&self, script: &Script, txs: Vec<Transaction>) -> Result<Block, RpcError> {
        let tip = self.chain.tip().ok_or_else(closed)?;
        let height = tip.height + 1;
        let commitment = needs_witness_commitment(&txs).then(|| witness_commitment(&txs));
        let coinbase = coinbase(height, script, self.chain.subsidy(height), commitment);
        let time = block_time(&tip, now());
        let bits = CompactTarget::from_consensus(next_bits(&self.chain, &tip, time));
        let weight = RESERVED_WEIGHT + txs.iter().map(|tx| tx.weight().to_wu()).sum::<u64>();
        self.note_assembled(weight, txs.len());
        Ok(assemble_block(&tip, coinbase, txs, time, bits))
    }

    /// Core's `generateBlocks`.
    fn generate(&self, script: &Script, count: i32, mut max_tries: u64) -> Result<Value, RpcError> {
        let mut hashes = Vec::new();
        let mut left = count;
        while left > 0 {
            let mut block = self.assemble(script)?;
            match grind(&mut block.header, &mut max_tries) {
                Grind::OutOfTries => break,
                Grind::NonceSpaceExhausted => continue,
                Grind::Found => {}
            }
            if let SubmitOutcome::Rejected(_) = self.chain.submit_block(&block) {
                return Err(RpcError::new(
                    RPC_INTERNAL_ERROR,
                    "ProcessNewBlock, block not accepted",
                ));
            }
            left -= 1;
            hashes.push(Value::from(block.block_hash().to_string()));
        }
        Ok(hashes.into())
    }
}

/// Core's `getScriptFromDescriptor` errors as RPC errors (a parse error as -5).
fn descriptor_error(e: DescriptorError) -> RpcError {
    match e {
        DescriptorError::Parse(message) => RpcError::new(RPC_INVALID_ADDRESS_OR_KEY, message),
        DescriptorError::Multipath => {
            RpcError::new(RPC_INVALID_PARAMETER, "Multipath descriptor not accepted")
        }
        DescriptorError::Ranged => RpcError::new(
            RPC_INVALID_PARAMETER,
            "Ranged descriptor not accepted. Maybe pass through deriveaddresses first?",
        ),
        DescriptorError::NoPrivateKeys => RpcError::new(
            RPC_INVALID_ADDRESS_OR_KEY,
            "Cannot derive script without private keys",
        ),
    }
}

fn getmininginfo(miner: Miner) -> Method {
    Method::new("getmininginfo", "mining", "Returns a json object containing mining-related information.")
        .result("{ \"blocks\", \"currentblockweight\", \"currentblocktx\", \"bits\", \"difficulty\", \"target\", \"networkhashps\", \"pooledtx\", \"blockmintxfee\", \"chain\", \"signet_challenge\", \"next\": { \"height\", \"bits\", \"difficulty\", \"target\" }, \"warnings\" }")
        .examples(example_cli("getmininginfo", "") + &example_rpc("getmininginfo", ""))
        .handler(move |_| {
            let chain = &miner.chain;
            let tip = chain.tip().ok_or_else(closed)?;
            let mut object = serde_json::Map::new();
            object.insert("blocks".into(), tip.height.into());
            let last = *miner.assembled.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some((weight, txs)) = last {
                object.insert("currentblockweight".into(), weight.into());
                object.insert("currentblocktx".into(), txs.into());
            }
            object.insert("bits".into(), format!("{:08x}", tip.bits).into());
            object.insert("difficulty".into(), float(difficulty(tip.bits)));
            object.insert("target".into(), target_hex(tip.bits).into());
            object.insert("networkhashps".into(), network_hash_ps(chain, 120, -1)?);
            object.insert("pooledtx".into(), miner.mining.source.size().into());
            object.insert("blockmintxfee".into(), btc(miner.mining.block_min_fee));
            object.insert("chain".into(), chain.chain().name().into());
            if chain.chain() == common::Chain::Signet {
                object.insert("signet_challenge".into(), SIGNET_CHALLENGE.into());
            }
            let bits = next_bits(chain, &tip, block_time(&tip, now()));
            let next = json!({"height": tip.height + 1, "bits": format!("{bits:08x}"), "difficulty": float(difficulty(bits)), "target": target_hex(bits)});
            object.insert("next".into(), next);
            object.insert("warnings".into(), json!([]));
            Ok(Value::Object(object))
        })
}

fn getnetworkhashps(chain: Arc<ChainState>) -> Method {
    Method::new("getnetworkhashps", "mining", "Returns the estimated network hashes per second based on the last n blocks.\nPass in [blocks] to override # of blocks, -1 specifies since last difficulty change.\nPass in [height] to estimate the network speed at the time when a certain block was found.")
        .param(Param::default("nblocks", ParamType::Num, 120, "The number of previous blocks to calculate estimate from, or -1 for blocks since last difficulty change."))
        .param(Param::default("height", ParamType::Num, -1, "To estimate at the time of the given height."))
        .result("n    (numeric) Hashes per second estimated")
        .examples(example_cli("getnetworkhashps", "") + &example_rpc("getnetworkhashps", ""))
        .handler(move |p| network_hash_ps(&chain, i64::from(p.arg::<i32>("nblocks")?), i64::from(p.arg::<i32>("height")?)))
}

fn generatetodescriptor(miner: Miner) -> Method {
    Method::new(
        "generatetodescriptor",
        "generating",
        "Mine to a specified descriptor and return the block hashes.",
    )
    .param(Param::required(
        "num_blocks",
        ParamType::Num,
        "How many blocks are generated.",
    ))
    .param(Param::required(
        "descriptor",
        ParamType::Str,
        "The descriptor to send the newly generated bitcoin to.",
    ))
    .param(Param::default(
        "maxtries",
        ParamType::Num,
        DEFAULT_MAX_TRIES,
        "How many iterations to try.",
    ))
    .result("[ \"hex\", ... ]    (json array) hashes of blocks generated")
    .examples(format!(
        "\nGenerate 11 blocks to mydesc\n{}",
        example_cli("generatetodescriptor", "11 \"mydesc\"")
    ))
    .handler(move |p| {
        let count = p.arg::<i32>("num_blocks")?;
        let max_tries = p.arg::<u64>("maxtries")?;
        let script = single_script(p.arg::<&str>("descriptor")?, miner.chain.chain())
            .map_err(descriptor_error)?;
        miner.generate(&script, count, max_tries)
    })
}

fn generatetoaddress(miner: Miner) -> Method {
    Method::new(
        "generatetoaddress",
        "generating",
        "Mine to a specified address and return the block hashes.",
    )
    .param(Param::required(
        "nblocks",
        ParamType::Num,
        "How many blocks are generated.",
    ))
    .param(Param::required(
        "address",
        ParamType::Str,
        "The address to send the newly generated bitcoin to.",
    ))
    .param(Param::default(
        "maxtries",
        ParamType::Num,
        DEFAULT_MAX_TRIES,
        "How many iterations to try.",
    ))
    .result("[ \"hex\", ... ]    (json array) hashes of blocks generated")
    .examples(example_cli("generatetoaddress", "11 \"myaddress\""))
    .handler(move |p| {
        let count = p.arg::<i32>("nblocks")?;
        let max_tries = p.arg::<u64>("maxtries")?;
        let address = p
            .arg::<&str>("address")?
            .parse::<bitcoin::Address<_>>()
            .ok()
            .and_then(|a| a.require_network(network(miner.chain.chain())).ok())
            .ok_or_else(|| RpcError::new(RPC_INVALID_ADDRESS_OR_KEY, "Error: Invalid address"))?;
        miner.generate(&address.script_pubkey(), count, max_tries)
    })
}

/// `generateblock`'s transactions: raw transactions, or txids of mempool transactions.
fn block_transactions(
    items: &[Value],
    source: &dyn TxSource,
) -> Result<Vec<Transaction>, RpcError> {
    items
        .iter()
        .map(|item| {
            let text = item.as_str().ok_or_else(|| {
                RpcError::misc(format!("JSON value of type {} is not of expected type string", type_name(item)))
            })?;
            if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
                let found = text.parse::<bitcoin::Txid>().ok().and_then(|txid| source.get(&txid));
                if let Some(tx) = found {
                    return Ok((*tx).clone());
                }
                return Err(RpcError::new(RPC_INVALID_ADDRESS_OR_KEY, format!("Transaction {text} not in mempool.")));
            }
            crate::rpc::rawtransaction::decode_hex_tx(text, false, true).ok_or_else(|| {
                RpcError::new(RPC_DESERIALIZATION_ERROR, format!("Transaction decode failed for {text}. Make sure the tx has at least one input."))
            })
        })
        .collect()
}

fn generateblock(miner: Miner) -> Method {
    Method::new("generateblock", "generating", "Mine a set of ordered transactions to a specified address or descriptor and return the block hash.\nTransaction fees are not collected in the block reward.")
        .param(Param::required("output", ParamType::Str, "The address or descriptor to send the newly generated bitcoin to."))
        .param(Param::required("transactions", ParamType::Arr, "An array of hex strings which are either txids or raw transactions.\nTxids must reference transactions currently in the mempool.\nAll transactions must be valid and in valid order, otherwise the block will be rejected.")
            .inner(vec![Param::optional("rawtx/txid", ParamType::StrHex, "")]))
        .param(Param::default("submit", ParamType::Bool, true, "Whether to submit the block before the RPC call returns or to return it as hex."))
        .result("{\n  \"hash\" : \"hex\",    (string) hash of generated block\n  \"hex\" : \"hex\"      (string, optional) hex of generated block, only present when submit=false\n}")
        .examples(format!("\nGenerate a block to myaddress, with txs rawtx and mempool_txid\n{}", example_cli("generateblock", r#""myaddress" '["rawtx", "mempool_txid"]'"#)))
        .handler(move |p| {
            let chain = miner.chain.chain();
            let output = p.arg::<&str>("output")?;
            let script = match single_script(output, chain) {
                Ok(script) => script,
                Err(DescriptorError::Parse(_)) => decode_destination(output, chain)
                    .map(|d| d.script_pubkey())
                    .map_err(|_| RpcError::new(RPC_INVALID_ADDRESS_OR_KEY, "Error: Invalid address or descriptor"))?,
                Err(e) => return Err(descriptor_error(e)),
            };
            let txs = block_transactions(p.arg::<&Vec<Value>>("transactions")?, miner.mining.source.as_ref())?;
            let submit = p.arg::<bool>("submit")?;
            let mut block = miner.template(&script, txs)?;
            let mut max_tries = DEFAULT_MAX_TRIES;
            if grind(&mut block.header, &mut max_tries) != Grind::Found {
                return Err(RpcError::new(RPC_MISC_ERROR, "Failed to make block."));
            }
            let hash = block.block_hash().to_string();
            if !submit {
                return Ok(json!({"hash": hash, "hex": serialize_hex(&block)}));
            }
            match miner.chain.submit_block(&block) {
                SubmitOutcome::Rejected(reason) => Err(RpcError::new(RPC_VERIFY_ERROR, format!("TestBlockValidity failed: {reason}"))),
                _ => Ok(json!({"hash": hash})),
            }
        })
}

fn connection_json(c: &interfaces::IpcConnectionInfo) -> Value {
    let objects: serde_json::Map<String, Value> = c
        .objects
        .iter()
        .map(|o| (o.interface.clone(), json!(o.count)))
        .collect();
    let methods: serde_json::Map<String, Value> = c
        .methods
        .iter()
        .map(|m| {
            let figures = json!({"calls": m.calls, "p50_us": m.p50_us, "p90_us": m.p90_us, "p99_us": m.p99_us, "max_us": m.max_us});
            (m.name.clone(), figures)
        })
        .collect();
    json!({
        "id": c.id,
        "origin": c.origin,
        "peer_pid": c.peer_pid,
        "peer_uid": c.peer_uid,
        "connected_since": c.connected_since,
        "server_threads": c.server_threads,
        "objects": objects,
        "calls_in_flight": c.calls_in_flight,
        "methods": methods,
    })
}

const IPCINFO_RESULT: &str = "{
  \"objects\" : n,                 (numeric) objects served to IPC clients
  \"block_templates\" : n,         (numeric) block templates held by clients
  \"connections\" : [              (json array) one object per open IPC connection
    {
      \"id\" : n,                  (numeric) the connection's id in this process
      \"origin\" : \"str\",          (string) how it came: \"listener <path>\", \"spawned <exe> (pid n)\", \"parent (inherited fd)\", \"connected <path>\"
      \"peer_pid\" : n,            (numeric) the peer's process id (SO_PEERCRED), -1 when unknown
      \"peer_uid\" : n,            (numeric) the peer's user id (SO_PEERCRED), -1 when unknown
      \"connected_since\" : xxx,   (numeric) when it connected, UNIX epoch time
      \"server_threads\" : n,      (numeric) server threads made for the peer's threads
      \"objects\" : {              (json object) objects served to the peer now
        \"interface\" : n,         (numeric) how many of that interface
        ...
      },
      \"calls_in_flight\" : n,     (numeric) calls being served now
      \"methods\" : {              (json object) calls served, by method
        \"method\" : {             (json object)
          \"calls\" : n,           (numeric) calls served
          \"p50_us\" : n,          (numeric) median latency of the recent calls, microseconds
          \"p90_us\" : n,          (numeric) 90th percentile, microseconds
          \"p99_us\" : n,          (numeric) 99th percentile, microseconds
          \"max_us\" : n           (numeric) slowest call, microseconds
        },
        ...
      }
    },
    ...
  ]
}";

fn getipcinfo(mining: Arc<MiningContext>) -> Method {
    Method::new("getipcinfo", "control", "Returns what IPC clients hold on this node and do with it (not in Bitcoin Core): objects served\nto other processes, block templates alive, and each connection with its peer, threads, objects,\ncalls in flight and per-method call counts and latencies.")
        .result(IPCINFO_RESULT)
        .examples(example_cli("getipcinfo", "") + &example_rpc("getipcinfo", ""))
        .handler(move |_| {
            let connections: Vec<Value> = ipc::stats::connections().iter().map(connection_json).collect();
            Ok(json!({"objects": ipc::live_server_objects(), "block_templates": mining.live_templates(), "connections": connections}))
        })
}

/// Registers `getmininginfo`, `getnetworkhashps`, `generatetoaddress`, `generatetodescriptor`,
/// `generateblock` and `getipcinfo`.
pub fn register(table: &mut RpcTable, mining: &Arc<MiningContext>) {
    let chain = &mining.chain;
    let miner = Miner {
        chain: chain.clone(),
        mining: mining.clone(),
        assembled: Arc::default(),
    };
    table
        .register(getipcinfo(mining.clone()))
        .register(crate::rpc::blocktemplate::getblocktemplate(mining.clone()));
    table
        .register(getmininginfo(miner.clone()))
        .register(getnetworkhashps(chain.clone()))
        .register(generatetoaddress(miner.clone()))
        .register(generatetodescriptor(miner.clone()))
        .register(generateblock(miner));
}
