//! Raw transactions, addresses and block generation through RPC on a regtest node:
//! `getrawtransaction`/`decoderawtransaction` round trips, `generateblock` with an address,
//! unsubmitted and with a signed segwit spend, `generatetodescriptor`, `validateaddress`,
//! `getmininginfo`, and Core's errors for each.

use bitcoin::consensus::encode::{deserialize_hex, serialize_hex};
use bitcoin::{
    absolute, transaction, Address, Amount, Block, Network, OutPoint, ScriptBuf, Sequence,
    Transaction, TxIn, TxOut, Txid, Witness,
};
use serde_json::{json, Value};
use tests::RpcNode;

const TPUB: &str = "tpubD6NzVbkrYhZ4XgiXtGrdW5XDAPFCL9h7we1vwNCpn8tGbBcgfVYjXyhWo4E1xkh56hjod1RhGjxbaTLV3X4FyWuejifB9jusQ46QzG87VKp";

/// The witness script `OP_TRUE`: its P2WSH output is spent by a witness holding only it.
fn op_true() -> ScriptBuf {
    ScriptBuf::from_bytes(vec![0x51])
}

fn anyone_can_spend() -> Address {
    Address::p2wsh(&op_true(), Network::Regtest)
}

fn block(node: &RpcNode, hash: &Value) -> Block {
    let hex = node.call("getblock", json!([hash, 0]));
    deserialize_hex(hex.as_str().expect("hex")).expect("block")
}

fn spend(coinbase: Txid, value: Amount) -> Transaction {
    Transaction {
        version: transaction::Version::TWO,
        lock_time: absolute::LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint::new(coinbase, 0),
            script_sig: ScriptBuf::new(),
            sequence: Sequence::MAX,
            witness: Witness::from_slice(&[op_true().into_bytes()]),
        }],
        output: vec![TxOut {
            value: value - Amount::from_sat(10_000),
            script_pubkey: anyone_can_spend().script_pubkey(),
        }],
    }
}

fn assert_error(node: &RpcNode, method: &str, params: Value, code: i64, message: &str) {
    let (got_code, got) = node.error(method, params.clone());
    assert_eq!(
        (got_code, got.as_str()),
        (code, message),
        "{method} {params}"
    );
}

#[test]
fn coinbase_round_trips_and_generateblock_mines_a_segwit_spend() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = RpcNode::start(dir.path());
    let address = anyone_can_spend().to_string();
    let first = node.call(
        "generatetodescriptor",
        json!([1, format!("addr({address})")]),
    );
    let filler = "raw(00140000000000000000000000000000000000000000)";
    let more = node.call(
        "generatetodescriptor",
        json!({"num_blocks": 100, "descriptor": filler}),
    );
    assert_eq!(more.as_array().map(Vec::len), Some(100));
    let mined = block(&node, &more[0]);
    assert_eq!(
        mined.txdata[0].output[0].script_pubkey.to_hex_string(),
        &filler[4..filler.len() - 1]
    );

    // getrawtransaction of the first coinbase, hex and JSON, through decoderawtransaction.
    let coinbase = block(&node, &first[0]).txdata[0].clone();
    let txid = coinbase.compute_txid().to_string();
    let hex = node.call("getrawtransaction", json!([txid, 0, first[0]]));
    assert_eq!(hex.as_str(), Some(serialize_hex(&coinbase).as_str()));
    let decoded = node.call("decoderawtransaction", json!([hex]));
    let verbose = node.call(
        "getrawtransaction",
        json!({"txid": txid, "verbose": true, "blockhash": first[0]}),
    );
    assert_eq!(verbose["in_active_chain"], true);
    assert_eq!(verbose["confirmations"], 101);
    assert_eq!(verbose["blockhash"], first[0]);
    assert_eq!(verbose["hex"], hex);
    assert!(verbose["time"].is_u64() && verbose["time"] == verbose["blocktime"]);
    let mut stripped = verbose.as_object().expect("object").clone();
    for key in [
        "in_active_chain",
        "hex",
        "blockhash",
        "confirmations",
        "time",
        "blocktime",
    ] {
        stripped.remove(key);
    }
    assert_eq!(Value::Object(stripped), decoded);
    assert_eq!(decoded["txid"], txid);
    assert_eq!(decoded["vout"][0]["scriptPubKey"]["address"], address);
    assert!(decoded["vout"][0]["scriptPubKey"]["desc"]
        .as_str()
        .is_some_and(|d| d.starts_with(&format!("addr({address})#"))));
    assert_eq!(
        node.call("getrawtransaction", json!([txid, 2, first[0]])),
        verbose
    );

    // generateblock: to an address, then unsubmitted, then with the spend of that coinbase.
    let empty = node.call("generateblock", json!([address, []]));
    assert_eq!(empty.as_object().map(|o| o.len()), Some(1));
    assert_eq!(node.call("getbestblockhash", json!([])), empty["hash"]);
    assert_eq!(block(&node, &empty["hash"]).txdata.len(), 1);
    let held = node.call(
        "generateblock",
        json!({"output": address, "transactions": [], "submit": false}),
    );
    assert_ne!(node.call("getbestblockhash", json!([])), held["hash"]);
    assert_eq!(node.call("submitblock", json!([held["hex"]])), Value::Null);
    assert_eq!(node.call("getbestblockhash", json!([])), held["hash"]);

    let tx = spend(coinbase.compute_txid(), coinbase.output[0].value);
    let raw = serialize_hex(&tx);
    let with_tx = node.call("generateblock", json!([address, [raw]]));
    let mined = block(&node, &with_tx["hash"]);
    assert_eq!(mined.txdata.len(), 2);
    assert_eq!(mined.txdata[1], tx);
    assert!(mined.check_witness_commitment() && mined.check_merkle_root());
    assert_eq!(mined.bip34_block_height().ok(), Some(104));
    assert_eq!(
        mined.txdata[0].output[0].value,
        Amount::from_int_btc(50),
        "subsidy only"
    );
    let spend_txid = tx.compute_txid().to_string();
    assert_eq!(
        node.call("getrawtransaction", json!([spend_txid, 0, with_tx["hash"]])),
        json!(raw)
    );
    let spent = node.call("decoderawtransaction", json!([raw, true]));
    assert_eq!(spent["vin"][0]["txinwitness"], json!(["51"]));
    assert_eq!(spent["hash"], tx.compute_wtxid().to_string());

    // Spending it again is a double spend.
    let (code, message) = node.error("generateblock", json!([address, [raw]]));
    assert_eq!(code, -25);
    assert!(
        message.starts_with("TestBlockValidity failed: "),
        "{message}"
    );
    assert_eq!(node.call("getblockcount", json!([])), 104);
    node.stop();
}

#[test]
fn bad_raw_transaction_and_generation_requests_get_cores_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = RpcNode::start(dir.path());
    let address = anyone_can_spend().to_string();
    let hashes = node.call(
        "generatetodescriptor",
        json!([2, format!("addr({address})")]),
    );
    let txid = block(&node, &hashes[0]).txdata[0]
        .compute_txid()
        .to_string();
    let other = "00".repeat(32);
    let genesis = "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b";
    let not_in_block = "No such transaction found in the provided block. Use gettransaction for wallet transactions.";
    let cases = [
        ("getrawtransaction", json!([txid]), -5, "No such mempool transaction. Use -txindex or provide a block hash to enable blockchain transaction queries. Use gettransaction for wallet transactions."),
        ("getrawtransaction", json!([txid, 1, other]), -5, "Block hash not found"),
        ("getrawtransaction", json!([txid, 1, hashes[1]]), -5, not_in_block),
        ("getrawtransaction", json!(["abc"]), -8, "parameter 1 must be of length 64 (not 3, for 'abc')"),
        ("getrawtransaction", json!([txid, 0, "xyz"]), -8, "parameter 3 must be of length 64 (not 3, for 'xyz')"),
        ("getrawtransaction", json!([genesis]), -5, "The genesis block coinbase is not considered an ordinary transaction and cannot be retrieved"),
        ("decoderawtransaction", json!(["zz"]), -22, "TX decode failed"),
        ("decoderawtransaction", json!(["0000"]), -22, "TX decode failed"),
        ("generateblock", json!([address, [other]]), -5, "Transaction 0000000000000000000000000000000000000000000000000000000000000000 not in mempool."),
        ("generateblock", json!([address, ["0000"]]), -22, "Transaction decode failed for 0000. Make sure the tx has at least one input."),
        ("generateblock", json!(["1234", []]), -5, "Error: Invalid address or descriptor"),
        ("generateblock", json!([format!("pkh({TPUB}/0/*)"), []]), -8, "Ranged descriptor not accepted. Maybe pass through deriveaddresses first?"),
        ("generateblock", json!([format!("pkh({TPUB}/0'/0)"), []]), -5, "Cannot derive script without private keys"),
        ("generatetodescriptor", json!([1, format!("pkh({TPUB}/0'/0)")]), -5, "Cannot derive script without private keys"),
        ("generatetodescriptor", json!([1, format!("wpkh({TPUB}/<0;1>)")]), -8, "Multipath descriptor not accepted"),
        ("generatetodescriptor", json!([1, "bogus"]), -5, "'bogus' is not a valid descriptor function"),
    ];
    for (method, params, code, message) in cases {
        assert_error(&node, method, params, code, message);
    }
    let (code, message) = node.error(
        "generatetodescriptor",
        json!([1, format!("addr({address})#00000000")]),
    );
    assert_eq!(code, -5);
    assert!(
        message.starts_with("Provided checksum '00000000' does not match computed checksum '"),
        "{message}"
    );
    assert_eq!(
        node.call("getblockcount", json!([])),
        2,
        "no block was made"
    );
    node.stop();
}

#[test]
fn validateaddress_like_core() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = RpcNode::start(dir.path());
    let info = node.call("getmininginfo", json!([]));
    assert!(
        info.get("currentblockweight").is_none(),
        "no template yet: {info}"
    );
    assert_eq!(info["networkhashps"], 0);
    let address = anyone_can_spend();
    let valid = node.call("validateaddress", json!([address.to_string()]));
    let program = address.script_pubkey().as_bytes()[2..].to_vec();
    let program: String = program.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        valid,
        json!({
            "isvalid": true, "address": address.to_string(),
            "scriptPubKey": address.script_pubkey().to_hex_string(), "isscript": true,
            "iswitness": true, "witness_version": 0, "witness_program": program,
        })
    );
    let legacy = node.call(
        "validateaddress",
        json!(["mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn"]),
    );
    assert_eq!(
        (legacy["isscript"].clone(), legacy["iswitness"].clone()),
        (json!(false), json!(false))
    );
    let invalid = [
        (
            "notanaddress",
            "Invalid checksum or length of Base58 address (P2PKH or P2SH)",
            json!([]),
        ),
        (
            "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
            "Invalid or unsupported Segwit (Bech32) or Base58 encoding.",
            json!([]),
        ),
        (
            "17VZNX1SN5NtKa8UQFxwQbFeFc3iqRYhem",
            "Invalid or unsupported Base58-encoded address.",
            json!([]),
        ),
        (
            "bcrt1q049edschfnwystcqnsvyfpj23mpsg3jcedq9xv",
            "Invalid Bech32 checksum",
            json!([9]),
        ),
    ];
    for (text, error, locations) in invalid {
        let reply = node.call("validateaddress", json!({"address": text}));
        assert_eq!(
            reply,
            json!({"isvalid": false, "error_locations": locations, "error": error}),
            "{text}"
        );
    }
    assert_eq!(node.error("validateaddress", json!([])).0, -1);

    node.stop();
}

#[test]
fn getmininginfo_like_core() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = RpcNode::start(dir.path());
    let info = node.call("getmininginfo", json!([]));
    assert!(
        info.get("currentblockweight").is_none(),
        "no template yet: {info}"
    );
    assert_eq!(info["networkhashps"], 0);
    node.call("generatetodescriptor", json!([3, "raw(51)", 1_000_000]));
    let info = node.call("getmininginfo", json!([]));
    assert_eq!(info["blocks"], 3);
    assert_eq!(
        (
            info["currentblockweight"].clone(),
            info["currentblocktx"].clone()
        ),
        (json!(8000), json!(0))
    );
    assert_eq!(info["bits"], "207fffff");
    assert_eq!(info["target"], format!("7fffff{}", "0".repeat(58)));
    assert!(info["difficulty"]
        .as_f64()
        .is_some_and(|d| d > 0.0 && d < 1e-9));
    assert!(info["networkhashps"].as_f64().is_some_and(|h| h >= 0.0));
    assert_eq!(
        (info["pooledtx"].clone(), info["chain"].clone()),
        (json!(0), json!("regtest"))
    );
    assert_eq!(info["blockmintxfee"].to_string(), "0.00000001");
    assert_eq!(
        info["next"],
        json!({"height": 4, "bits": "207fffff", "difficulty": info["difficulty"], "target": info["target"]})
    );
    assert_eq!(info["warnings"], json!([]));
    let keys: Vec<&str> = info
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "blocks",
            "currentblockweight",
            "currentblocktx",
            "bits",
            "difficulty",
            "target",
            "networkhashps",
            "pooledtx",
            "blockmintxfee",
            "chain",
            "next",
            "warnings"
        ]
    );
    assert!(node.call("getnetworkhashps", json!([])).is_number());
    assert_error(
        &node,
        "getnetworkhashps",
        json!([0]),
        -8,
        "Invalid nblocks. Must be a positive number or -1.",
    );
    assert_error(
        &node,
        "getnetworkhashps",
        json!([120, 99]),
        -8,
        "Block does not exist at specified height",
    );
    // maxtries 0 makes nothing, as in Core.
    assert_eq!(
        node.call("generatetodescriptor", json!([1, "raw(51)", 0])),
        json!([])
    );
    node.stop();
}
