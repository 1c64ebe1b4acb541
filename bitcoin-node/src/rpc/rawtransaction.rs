//! Raw transaction methods (Core's `rpc/rawtransaction.cpp`, the parts that need no wallet
//! or coins view): `decoderawtransaction` and `getrawtransaction`.
//!
//! Without `-txindex`, `getrawtransaction` finds transactions in the mempool, or in the block
//! given, as Core does then. Verbosity 2 adds `fee` and `prevout` from undo data in Core; the
//! kernel gives no undo data to the node yet, so it has verbosity 1's shape.

use std::io::Cursor;
use std::sync::Arc;

use bitcoin::consensus::encode::serialize_hex;
use bitcoin::consensus::Decodable;
use bitcoin::hashes::Hash;
use bitcoin::{absolute, transaction, BlockHash, Transaction, TxIn, TxOut, Txid};
use serde_json::{Map, Value};

use crate::chain::ChainState;
use crate::mempool::Mempool;
use crate::rpc::blockchain::network;
use rpc::help::{example_cli, example_rpc};
use rpc::hex::parse_hex;
use rpc::json::tx_to_univ;
use rpc::params::Params;
use rpc::protocol::{
    type_name, RpcError, RPC_CLIENT_NOT_CONNECTED, RPC_DESERIALIZATION_ERROR,
    RPC_INVALID_ADDRESS_OR_KEY, RPC_MISC_ERROR,
};
use rpc::{Method, Param, ParamType, RpcTable};

pub use rpc::hex::parse_hash_v;

/// Core's `CheckTxScriptsSanity`: every script parses, has only defined opcodes, and is at
/// most 10,000 bytes (input scripts of a coinbase excepted).
fn scripts_sane(tx: &Transaction) -> bool {
    let sane = |s: &bitcoin::Script| {
        s.len() <= 10_000
            && s.instructions().all(|i| match i {
                Ok(bitcoin::script::Instruction::Op(op)) => op.to_u8() <= 0xb9,
                Ok(_) => true,
                Err(_) => false,
            })
    };
    (tx.is_coinbase() || tx.input.iter().all(|i| sane(&i.script_sig)))
        && tx.output.iter().all(|o| sane(&o.script_pubkey))
}

/// The legacy serialization (no marker and flag), all of `bytes`.
fn decode_legacy(bytes: &[u8]) -> Option<Transaction> {
    let mut r = Cursor::new(bytes);
    let tx = Transaction {
        version: transaction::Version(i32::consensus_decode(&mut r).ok()?),
        input: Vec::<TxIn>::consensus_decode(&mut r).ok()?,
        output: Vec::<TxOut>::consensus_decode(&mut r).ok()?,
        lock_time: absolute::LockTime::consensus_decode(&mut r).ok()?,
    };
    (r.position() == bytes.len() as u64).then_some(tx)
}

/// Core's `DecodeHexTx`: tries the extended (witness) and the legacy serializations as
/// allowed, preferring one whose scripts are sane, then the extended one.
pub fn decode_hex_tx(text: &str, try_no_witness: bool, try_witness: bool) -> Option<Transaction> {
    let bytes = parse_hex(text)?;
    let extended = try_witness
        .then(|| bitcoin::consensus::deserialize::<Transaction>(&bytes).ok())
        .flatten();
    if let Some(tx) = extended.as_ref().filter(|tx| scripts_sane(tx)) {
        return Some(tx.clone());
    }
    let legacy = try_no_witness.then(|| decode_legacy(&bytes)).flatten();
    if let Some(tx) = legacy.as_ref().filter(|tx| scripts_sane(tx)) {
        return Some(tx.clone());
    }
    extended.or(legacy)
}

fn decoderawtransaction(chain: common::Chain) -> Method {
    Method::new("decoderawtransaction", "rawtransactions", "Return a JSON object representing the serialized, hex-encoded transaction.")
        .param(Param::required("hexstring", ParamType::StrHex, "The transaction hex string"))
        .param(Param::hint("iswitness", ParamType::Bool, "depends on heuristic tests", "Whether the transaction hex is a serialized witness transaction.\nIf iswitness is not present, heuristic tests will be used in decoding.\nIf true, only witness deserialization will be tried.\nIf false, only non-witness deserialization will be tried.\nThis boolean should reflect whether the transaction has inputs\n(e.g. fully valid, or on-chain transactions), if known by the caller."))
        .result("{ \"txid\", \"hash\", \"size\", \"vsize\", \"weight\", \"version\", \"locktime\", \"vin\", \"vout\" }    (json object) the decoded transaction")
        .examples(example_cli("decoderawtransaction", "\"hexstring\"") + &example_rpc("decoderawtransaction", "\"hexstring\""))
        .handler(move |p| {
            let iswitness = p.maybe_arg::<bool>("iswitness")?;
            let (no_witness, witness) = (iswitness != Some(true), iswitness != Some(false));
            let tx = decode_hex_tx(p.arg::<&str>("hexstring")?, no_witness, witness)
                .ok_or_else(|| RpcError::new(RPC_DESERIALIZATION_ERROR, "TX decode failed"))?;
            Ok(Value::Object(tx_to_univ(&tx, network(chain), false)))
        })
}

/// Core's `ParseVerbosity` (booleans allowed): `true` is 1.
fn verbosity(p: &Params<'_>) -> Result<i64, RpcError> {
    match p.value("verbosity")? {
        None => Ok(0),
        Some(Value::Bool(b)) => Ok(i64::from(*b)),
        Some(Value::Number(_)) => p.arg::<i64>("verbosity"),
        Some(v) => Err(RpcError::misc(format!(
            "JSON value of type {} is not of expected type number",
            type_name(v)
        ))),
    }
}

fn not_found(what: &str) -> RpcError {
    RpcError::new(
        RPC_INVALID_ADDRESS_OR_KEY,
        format!("{what}. Use gettransaction for wallet transactions."),
    )
}

fn getrawtransaction(chain: Arc<ChainState>, mempool: Option<Arc<Mempool>>) -> Method {
    Method::new("getrawtransaction", "rawtransactions", "By default, this call only returns a transaction if it is in the mempool. If -txindex is enabled\nand no blockhash argument is passed, it will return the transaction if it is in the mempool or any block.\nIf a blockhash argument is passed, it will return the transaction if\nthe specified block is available and the transaction is in that block.\n\nHint: Use gettransaction for wallet transactions.\n\nIf verbosity is 0 or omitted, returns the serialized transaction as a hex-encoded string.\nIf verbosity is 1, returns a JSON Object with information about the transaction.\nIf verbosity is 2, returns a JSON Object with information about the transaction, including fee and prevout information.")
        .param(Param::required("txid", ParamType::StrHex, "The transaction id"))
        .param(Param::default("verbosity|verbose", ParamType::Num, 0, "0 for hex-encoded data, 1 for a JSON object, and 2 for JSON object with fee and prevout").skip_type_check())
        .param(Param::optional("blockhash", ParamType::StrHex, "The block in which to look for the transaction"))
        .result_when("if verbosity is not set or set to 0", "\"str\"    (string) The serialized transaction as a hex-encoded string for 'txid'")
        .result_when("if verbosity is set to 1", "{ \"in_active_chain\", \"blockhash\", \"confirmations\", \"blocktime\", \"time\", \"hex\", \"txid\", ... }    (json object) the transaction")
        .result_when("for verbosity = 2", "{ ... }    (json object) Same output as verbosity = 1 (fee and prevout need undo data)")
        .examples(example_cli("getrawtransaction", "\"mytxid\"") + &example_cli("getrawtransaction", "\"mytxid\" 1") + &example_rpc("getrawtransaction", "\"mytxid\", 1") + &example_cli("getrawtransaction", "\"mytxid\" 0 \"myblockhash\"") + &example_cli("getrawtransaction", "\"mytxid\" 1 \"myblockhash\"") + &example_cli("getrawtransaction", "\"mytxid\" 2 \"myblockhash\""))
        .handler(move |p| raw_transaction(&chain, mempool.as_deref(), p))
}

fn raw_transaction(
    chain: &ChainState,
    mempool: Option<&Mempool>,
    p: &Params<'_>,
) -> Result<Value, RpcError> {
    let net = network(chain.chain());
    let txid = Txid::from_byte_array(parse_hash_v(p.arg::<&str>("txid")?, "parameter 1")?);
    let genesis = bitcoin::constants::genesis_block(net);
    if txid.to_raw_hash() == genesis.header.merkle_root.to_raw_hash() {
        return Err(RpcError::new(RPC_INVALID_ADDRESS_OR_KEY, "The genesis block coinbase is not considered an ordinary transaction and cannot be retrieved"));
    }
    let verbosity = verbosity(p)?;
    let Some(text) = p.maybe_arg::<&str>("blockhash")? else {
        if let Some(tx) = mempool.and_then(|m| m.get(&txid)) {
            if verbosity <= 0 {
                return Ok(serialize_hex(&*tx).into());
            }
            return Ok(Value::Object(tx_to_univ(&tx, net, true)));
        }
        return Err(not_found("No such mempool transaction. Use -txindex or provide a block hash to enable blockchain transaction queries"));
    };
    let hash = BlockHash::from_byte_array(parse_hash_v(text, "parameter 3")?);
    let info = chain
        .block_info(&hash)
        .ok_or_else(|| RpcError::new(RPC_INVALID_ADDRESS_OR_KEY, "Block hash not found"))?;
    let block = chain
        .block(&hash)
        .ok_or_else(|| RpcError::new(RPC_MISC_ERROR, "Block not available"))?;
    let tx = block
        .txdata
        .into_iter()
        .find(|tx| tx.compute_txid() == txid)
        .ok_or_else(|| not_found("No such transaction found in the provided block"))?;
    if verbosity <= 0 {
        return Ok(serialize_hex(&tx).into());
    }
    let mut object = Map::new();
    object.insert("in_active_chain".into(), info.in_active_chain.into());
    object.extend(tx_to_univ(&tx, net, true));
    object.insert("blockhash".into(), hash.to_string().into());
    if info.in_active_chain {
        let tip = chain
            .tip()
            .ok_or_else(|| RpcError::new(RPC_CLIENT_NOT_CONNECTED, "Shutting down"))?;
        object.insert(
            "confirmations".into(),
            (tip.height - info.height + 1).into(),
        );
        object.insert("time".into(), info.header.time.into());
        object.insert("blocktime".into(), info.header.time.into());
    } else {
        object.insert("confirmations".into(), 0.into());
    }
    Ok(Value::Object(object))
}

/// Registers `decoderawtransaction`, `getrawtransaction` (finding transactions in
/// `mempool` when no block is given) and `validateaddress`.
pub fn register(table: &mut RpcTable, chain: &Arc<ChainState>, mempool: Option<&Arc<Mempool>>) {
    table
        .register(decoderawtransaction(chain.chain()))
        .register(getrawtransaction(chain.clone(), mempool.cloned()));
    crate::rpc::util::register(table, chain.chain());
}

#[cfg(test)]
mod tests {
    use super::*;

    // The first transaction of block 170 (mainnet): 1 input with a DER signature, 2 outputs.
    const F4184: &str = "0100000001c997a5e56e104102fa209c6a852dd90660a20b2d9c352423edce25857fcd3704000000004847304402204e45e16932b8af514961a1d3a1a25fdf3f4f7732e9d624c6c61548ab5fb8cd410220181522ec8eca07de4860a4acdd12909d831cc56cbbac4622082221a8768d1d0901ffffffff0200ca9a3b00000000434104ae1a62fe09c5f51b13905f07f06b99a2f7159b2225f374cd378d71302fa28414e7aab37397f554a7df5f142c21c1b7303b8a0626f1baded5c72a704f7e6cd84cac00286bee0000000043410411db93e1dcdb8a016b49840f8c53bc1eb68a382e97b1482ecad7b148a6909a5cb2e0eaddfb84ccf9744464f82e160bfa9b8b64f9d4c03f999b8643f656b412a3ac00000000";

    #[test]
    fn decodes_like_core() {
        let tx = decode_hex_tx(F4184, true, true).expect("decodes");
        let json = tx_to_univ(&tx, bitcoin::Network::Bitcoin, false);
        assert_eq!(
            json["txid"],
            "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16"
        );
        assert!(json.get("hex").is_none());
        let asm = json["vin"][0]["scriptSig"]["asm"].as_str().expect("asm");
        assert!(asm.ends_with("1d09[ALL]"), "{asm}");
        assert_eq!(json["vout"][0]["scriptPubKey"]["type"], "pubkey");
        assert!(json["vout"][0]["scriptPubKey"]["desc"]
            .as_str()
            .is_some_and(|d| d.starts_with("pk(04ae1a")));
        assert!(decode_hex_tx("zz", true, true).is_none());
        assert!(decode_hex_tx("", true, true).is_none());
        assert!(decode_hex_tx(&F4184[..F4184.len() - 2], true, true).is_none());
        // A transaction without inputs, as Core serializes it, decodes only as legacy.
        let no_inputs = "02000000000101000000000000000000000000";
        let tx = decode_hex_tx(no_inputs, true, true).expect("legacy");
        assert_eq!((tx.input.len(), tx.output.len()), (0, 1));
        assert_eq!(decode_hex_tx(no_inputs, false, true), None);
    }

    #[test]
    fn hashes_are_checked_with_cores_words() {
        let e = parse_hash_v("abc", "parameter 1").expect_err("short");
        assert_eq!(
            e.message,
            "parameter 1 must be of length 64 (not 3, for 'abc')"
        );
        let e = parse_hash_v(&"g".repeat(64), "parameter 3").expect_err("not hex");
        assert_eq!(
            e.message,
            format!(
                "parameter 3 must be hexadecimal string (not '{}')",
                "g".repeat(64)
            )
        );
        let id = "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16";
        let parsed = Txid::from_byte_array(parse_hash_v(id, "txid").expect("hash"));
        assert_eq!(parsed.to_string(), id);
    }
}
