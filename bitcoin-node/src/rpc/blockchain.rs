//! Chain methods (Core's `rpc/blockchain.cpp` and `rpc/mining.cpp`, the parts that need only
//! the chainstate): block counts and hashes, blocks and headers, chain info, difficulty,
//! regtest mining and `submitblock`; `getchaintips` ([`tips`]); the coins view's `gettxout` and `gettxoutsetinfo`
//! ([`txout`]).

pub mod tips;
pub mod txout;

use bitcoin::hashes::Hash as _;
use std::sync::Arc;

use bitcoin::consensus::encode::{deserialize, serialize_hex};
use bitcoin::{Block, BlockHash};
use serde_json::{json, Value};

use crate::chain::{BlockInfo, ChainState, SubmitOutcome};
use rpc::help::{example_cli, example_rpc};
use rpc::hex::hex;
use rpc::json::transaction;
use rpc::protocol::{
    RpcError, RPC_DESERIALIZATION_ERROR, RPC_INVALID_ADDRESS_OR_KEY, RPC_INVALID_PARAMETER,
    RPC_MISC_ERROR, RPC_VERIFY_ERROR,
};
use rpc::{Method, Param, ParamType, RpcTable};

pub use crate::chain::network;

/// Registers the chain methods in `table` (`gettxout` sees `mempool` when given).
pub fn register(
    table: &mut RpcTable,
    chain: &Arc<ChainState>,
    mempool: Option<&Arc<crate::mempool::Mempool>>,
) {
    table
        .register(getblockcount(chain.clone()))
        .register(getbestblockhash(chain.clone()))
        .register(getblockhash(chain.clone()))
        .register(getblock(chain.clone()))
        .register(getblockheader(chain.clone()))
        .register(getblockchaininfo(chain.clone()))
        .register(getdifficulty(chain.clone()))
        .register(submitblock(chain.clone()))
        .register(submitheader(chain.clone()))
        .register(tips::getchaintips(chain.clone()))
        .register(txout::gettxout(chain.clone(), mempool.cloned()))
        .register(txout::gettxoutsetinfo(chain.clone()));
}

/// Parses a block hash parameter with Core's error texts.
fn parse_hash(name: &str, text: &str) -> Result<BlockHash, RpcError> {
    rpc::hex::parse_hash_v(text, name).map(BlockHash::from_byte_array)
}

fn closed() -> RpcError {
    RpcError::new(rpc::protocol::RPC_CLIENT_NOT_CONNECTED, "Shutting down")
}

fn tip(chain: &ChainState) -> Result<crate::chain::Tip, RpcError> {
    chain.tip().ok_or_else(closed)
}

fn not_found() -> RpcError {
    RpcError::new(RPC_INVALID_ADDRESS_OR_KEY, "Block not found")
}

/// Difficulty from compact bits, as Core's `GetDifficulty`.
pub fn difficulty(bits: u32) -> f64 {
    let mut shift = (bits >> 24) & 0xff;
    let mut diff = f64::from(0x0000_ffff) / f64::from(bits & 0x00ff_ffff);
    while shift < 29 {
        diff *= 256.0;
        shift += 1;
    }
    while shift > 29 {
        diff /= 256.0;
        shift -= 1;
    }
    diff
}

/// The fields `getblockheader` and `getblock` share.
fn header_json(
    chain: &ChainState,
    hash: &BlockHash,
    info: &BlockInfo,
) -> Result<serde_json::Map<String, Value>, RpcError> {
    let tip = tip(chain)?;
    let h = &info.header;
    let confirmations = if info.in_active_chain {
        tip.height - info.height + 1
    } else {
        -1
    };
    let mut object = serde_json::Map::new();
    object.insert("hash".into(), hash.to_string().into());
    object.insert("confirmations".into(), confirmations.into());
    object.insert("height".into(), info.height.into());
    object.insert("version".into(), h.version.to_consensus().into());
    object.insert(
        "versionHex".into(),
        format!("{:08x}", h.version.to_consensus()).into(),
    );
    object.insert("merkleroot".into(), h.merkle_root.to_string().into());
    object.insert("time".into(), h.time.into());
    object.insert("mediantime".into(), info.median_time_past.into());
    object.insert("nonce".into(), h.nonce.into());
    object.insert(
        "bits".into(),
        format!("{:08x}", h.bits.to_consensus()).into(),
    );
    object.insert("target".into(), hex(&h.target().to_be_bytes()).into());
    object.insert(
        "difficulty".into(),
        difficulty(h.bits.to_consensus()).into(),
    );
    if info.height > 0 {
        object.insert(
            "previousblockhash".into(),
            h.prev_blockhash.to_string().into(),
        );
    }
    if info.in_active_chain {
        if let Some(next) = chain.block_hash_at(info.height + 1) {
            object.insert("nextblockhash".into(), next.to_string().into());
        }
    }
    Ok(object)
}

fn getblockcount(chain: Arc<ChainState>) -> Method {
    Method::new("getblockcount", "blockchain", "Returns the height of the most-work fully-validated chain.\nThe genesis block has height 0.")
        .result("n    (numeric) The current block count")
        .examples(example_cli("getblockcount", "") + &example_rpc("getblockcount", ""))
        .handler(move |_| Ok(tip(&chain)?.height.into()))
}

fn getbestblockhash(chain: Arc<ChainState>) -> Method {
    Method::new(
        "getbestblockhash",
        "blockchain",
        "Returns the hash of the best (tip) block in the most-work fully-validated chain.",
    )
    .result("\"hex\"    (string) the block hash, hex-encoded")
    .examples(example_cli("getbestblockhash", "") + &example_rpc("getbestblockhash", ""))
    .handler(move |_| Ok(tip(&chain)?.hash.to_string().into()))
}

fn getblockhash(chain: Arc<ChainState>) -> Method {
    Method::new(
        "getblockhash",
        "blockchain",
        "Returns hash of block in best-block-chain at height provided.",
    )
    .param(Param::required(
        "height",
        ParamType::Num,
        "The height index",
    ))
    .result("\"hex\"    (string) The block hash")
    .examples(example_cli("getblockhash", "1000") + &example_rpc("getblockhash", "1000"))
    .handler(move |p| {
        let height = p.arg::<i64>("height")?;
        i32::try_from(height)
            .ok()
            .and_then(|h| chain.block_hash_at(h))
            .map(|h| h.to_string().into())
            .ok_or_else(|| RpcError::new(RPC_INVALID_PARAMETER, "Block height out of range"))
    })
}

fn getblockheader(chain: Arc<ChainState>) -> Method {
    Method::new("getblockheader", "blockchain", "If verbose is false, returns a string that is serialized, hex-encoded data for blockheader 'hash'.\nIf verbose is true, returns an Object with information about blockheader <hash>.")
        .param(Param::required("blockhash", ParamType::Str, "The block hash"))
        .param(Param::default("verbose", ParamType::Bool, true, "true for a json object, false for the hex-encoded data"))
        .result_when("for verbose = true", "{ ... }    (json object) the header's fields")
        .result_when("for verbose=false", "\"hex\"    (string) A string that is serialized, hex-encoded data for block 'hash'")
        .examples(example_cli("getblockheader", "\"00000000c937983704a73af28acdec37b049d214adbda81d7e2a3dd146f6ed09\""))
        .handler(move |p| {
            let hash = parse_hash("hash", p.arg::<&str>("blockhash")?)?;
            let verbose = p.maybe_arg::<bool>("verbose")?.unwrap_or(true);
            let info = chain.block_info(&hash).ok_or_else(|| RpcError::new(RPC_INVALID_ADDRESS_OR_KEY, "Block not found"))?;
            if !verbose {
                return Ok(serialize_hex(&info.header).into());
            }
            let mut object = header_json(&chain, &hash, &info)?;
            let n_tx = chain.block(&hash).map_or(0, |b| b.txdata.len());
            object.insert("nTx".into(), n_tx.into());
            Ok(Value::Object(object))
        })
}

fn getblock(chain: Arc<ChainState>) -> Method {
    Method::new("getblock", "blockchain", "If verbosity is 0, returns a string that is serialized, hex-encoded data for block 'hash'.\nIf verbosity is 1, returns an Object with information about block <hash>.\nIf verbosity is 2, returns an Object with information about block <hash> and information about each transaction.")
        .param(Param::required("blockhash", ParamType::Str, "The block hash"))
        .param(Param::default("verbosity|verbose", ParamType::Num, 1, "0 for hex-encoded data, 1 for a JSON object, 2 for JSON object with transaction data"))
        .result_when("for verbosity = 0", "\"hex\"    (string) A string that is serialized, hex-encoded data for block 'hash'")
        .result_when("for verbosity = 1", "{ ... }    (json object) the block's fields and its txids")
        .result_when("for verbosity = 2", "{ ... }    (json object) as verbosity 1, with decoded transactions")
        .examples(example_cli("getblock", "\"00000000c937983704a73af28acdec37b049d214adbda81d7e2a3dd146f6ed09\""))
        .handler(move |p| {
            let hash = parse_hash("blockhash", p.arg::<&str>("blockhash")?)?;
            let verbosity = match p.value("verbosity")? {
                Some(Value::Bool(b)) => i64::from(*b),
                Some(_) => p.arg::<i64>("verbosity")?,
                None => 1,
            };
            let info = chain.block_info(&hash).ok_or_else(not_found)?;
            let block = chain.block(&hash).ok_or_else(|| RpcError::new(RPC_MISC_ERROR, "Block not available (not fully downloaded)"))?;
            if verbosity <= 0 {
                return Ok(serialize_hex(&block).into());
            }
            let net = network(chain.chain());
            let mut object = header_json(&chain, &hash, &info)?;
            let stripped = 80
                + bitcoin::VarInt::from(block.txdata.len()).size()
                + block.txdata.iter().map(bitcoin::Transaction::base_size).sum::<usize>();
            object.insert("strippedsize".into(), stripped.into());
            object.insert("size".into(), block.total_size().into());
            object.insert("weight".into(), block.weight().to_wu().into());
            let txs: Vec<Value> = if verbosity >= 2 {
                block.txdata.iter().map(|tx| transaction(tx, net)).collect()
            } else {
                block.txdata.iter().map(|tx| tx.compute_txid().to_string().into()).collect()
            };
            object.insert("nTx".into(), block.txdata.len().into());
            object.insert("tx".into(), txs.into());
            Ok(Value::Object(object))
        })
}

fn getblockchaininfo(chain: Arc<ChainState>) -> Method {
    Method::new("getblockchaininfo", "blockchain", "Returns an object containing various state info regarding blockchain processing.")
        .result("{ \"chain\", \"blocks\", \"headers\", \"bestblockhash\", \"bits\", \"target\", \"difficulty\", \"time\", \"mediantime\", \"verificationprogress\", \"initialblockdownload\", \"size_on_disk\", \"pruned\", \"warnings\" }")
        .examples(example_cli("getblockchaininfo", "") + &example_rpc("getblockchaininfo", ""))
        .handler(move |_| {
            let tip = tip(&chain)?;
            let target = bitcoin::CompactTarget::from_consensus(tip.bits);
            Ok(json!({
                "chain": chain.chain().name(),
                "blocks": tip.height,
                "headers": chain.best_header_height().unwrap_or(tip.height),
                "bestblockhash": tip.hash.to_string(),
                "bits": format!("{:08x}", tip.bits),
                "target": hex(&bitcoin::Target::from_compact(target).to_be_bytes()),
                "difficulty": difficulty(tip.bits),
                "time": tip.time,
                "mediantime": tip.median_time_past,
                "verificationprogress": chain.verification_progress(),
                "initialblockdownload": chain.initial_block_download(),
                "size_on_disk": chain.size_on_disk(),
                "pruned": false,
                "warnings": [],
            }))
        })
}

fn getdifficulty(chain: Arc<ChainState>) -> Method {
    Method::new(
        "getdifficulty",
        "blockchain",
        "Returns the proof-of-work difficulty as a multiple of the minimum difficulty.",
    )
    .result("n    (numeric) the proof-of-work difficulty as a multiple of the minimum difficulty.")
    .examples(example_cli("getdifficulty", "") + &example_rpc("getdifficulty", ""))
    .handler(move |_| Ok(difficulty(tip(&chain)?.bits).into()))
}

fn submitblock(chain: Arc<ChainState>) -> Method {
    Method::new("submitblock", "mining", "Attempts to submit new block to network.\nSee https://en.bitcoin.it/wiki/BIP_0022 for full specification.")
        .param(Param::required("hexdata", ParamType::Str, "the hex-encoded block data to submit"))
        .param(Param::hint("dummy", ParamType::Str, "ignored", "dummy value, for compatibility with BIP22. This value is ignored."))
        .result_when("If the block was accepted", "null")
        .result_when("Otherwise", "\"str\"    (string) According to BIP22")
        .examples(example_cli("submitblock", "\"mydata\""))
        .handler(move |p| {
            let text = p.arg::<&str>("hexdata")?;
            let bytes = rpc::hex::parse_hex(text).ok_or_else(|| RpcError::new(RPC_DESERIALIZATION_ERROR, "Block decode failed"))?;
            let block: Block = deserialize(&bytes).map_err(|_| RpcError::new(RPC_DESERIALIZATION_ERROR, "Block decode failed"))?;
            if block.txdata.first().is_none_or(|tx| !tx.is_coinbase()) {
                return Err(RpcError::new(RPC_DESERIALIZATION_ERROR, "Block does not start with a coinbase"));
            }
            Ok(match chain.submit_block(&block) {
                SubmitOutcome::Accepted => Value::Null,
                SubmitOutcome::Duplicate => "duplicate".into(),
                SubmitOutcome::Inconclusive => "inconclusive".into(),
                SubmitOutcome::Rejected(reason) => reason.into(),
            })
        })
}

fn submitheader(chain: Arc<ChainState>) -> Method {
    Method::new(
        "submitheader",
        "mining",
        "Decode the given hexdata as a header and submit it as a candidate chain tip if valid.\nThrows when the header is invalid.",
    )
    .param(Param::required("hexdata", ParamType::Str, "the hex-encoded block header data"))
    .result("null    (json null)")
    .examples(example_cli("submitheader", "\"aabbcc\"") + &example_rpc("submitheader", "\"aabbcc\""))
    .handler(move |p| {
        let decode_failed = || RpcError::new(RPC_DESERIALIZATION_ERROR, "Block header decode failed");
        let bytes = rpc::hex::parse_hex(p.arg::<&str>("hexdata")?).ok_or_else(decode_failed)?;
        let header: bitcoin::block::Header = deserialize(&bytes).map_err(|_| decode_failed())?;
        if chain.header_height(&header.prev_blockhash).is_none() {
            let prev = header.prev_blockhash;
            return Err(RpcError::new(RPC_VERIFY_ERROR, format!("Must submit previous header ({prev}) first")));
        }
        chain
            .process_header(&header)
            .map(|()| Value::Null)
            .map_err(|reason| RpcError::new(RPC_VERIFY_ERROR, reason))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn difficulty_like_core() {
        assert!((difficulty(0x1d00ffff) - 1.0).abs() < 1e-12);
        assert!((difficulty(0x207fffff) - 4.656542373906925e-10).abs() < 1e-20);
    }

    #[test]
    fn hashes_are_checked_with_cores_words() {
        let e = parse_hash("blockhash", "abc").expect_err("short");
        assert_eq!(
            e.message,
            "blockhash must be of length 64 (not 3, for 'abc')"
        );
        let e = parse_hash("blockhash", &"z".repeat(64)).expect_err("not hex");
        assert!(e.message.contains("must be hexadecimal string"));
        assert_eq!(rpc::hex::parse_hex("0aff"), Some(vec![0x0a, 0xff]));
        assert_eq!(rpc::hex::parse_hex("0"), None);
    }
}
