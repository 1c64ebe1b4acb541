//! The node's chainstate (libbitcoinkernel) through RPC: mining on regtest, reading blocks,
//! restarts, reorgs by `submitblock`, and a SIGKILL in the middle of mining.

use std::time::Duration;

use bitcoin::consensus::encode::{deserialize, serialize_hex};
use bitcoin::script::Builder;
use bitcoin::{
    absolute, transaction, Address, Amount, Block, Network, OutPoint, ScriptBuf, Sequence,
    Transaction, TxIn, TxOut, Witness,
};
use serde_json::{json, Value};
use tests::{bin, eventually, run, DEADLINE};

/// A regtest node in `dir` with IPC, and an `Rpc` object over IPC to call it.
pub(crate) use tests::RpcNode as ChainNode;

pub(crate) fn address(tag: u8) -> String {
    Address::p2wsh(&ScriptBuf::from_bytes(vec![0x51, tag]), Network::Regtest).to_string()
}

pub(crate) fn block(node: &ChainNode, hash: &str) -> Block {
    let hex = node.call("getblock", json!([hash, 0]));
    let bytes: Vec<u8> = (0..hex.as_str().expect("hex").len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex.as_str().expect("hex")[i..i + 2], 16).expect("hex digit"))
        .collect();
    deserialize(&bytes).expect("getblock 0 decodes as a block")
}

#[test]
fn mine_200_blocks_restart_and_read_them_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = ChainNode::start(dir.path());
    assert_eq!(node.call("getblockcount", json!([])), 0);
    let hashes = node.call("generatetoaddress", json!([200, address(1)]));
    assert_eq!(hashes.as_array().expect("array").len(), 200);
    assert_eq!(node.call("getblockcount", json!([])), 200);
    let best = node.call("getbestblockhash", json!([]));
    assert_eq!(best, hashes[199]);
    node.stop();

    let node = ChainNode::start(dir.path());
    assert_eq!(
        node.call("getblockcount", json!([])),
        200,
        "chain lost across restart"
    );
    assert_eq!(node.call("getblockhash", json!([100])), hashes[99]);
    let hash = hashes[99].as_str().expect("hash");
    let decoded = block(&node, hash);
    assert_eq!(decoded.block_hash().to_string(), hash);
    assert!(decoded.check_merkle_root());
    let verbose = node.call("getblock", json!([hash]));
    assert_eq!(verbose["height"], 100);
    assert_eq!(verbose["confirmations"], 101);
    assert_eq!(verbose["nTx"], 1);
    assert_eq!(verbose["previousblockhash"], hashes[98]);
    assert_eq!(verbose["nextblockhash"], hashes[100]);
    assert_eq!(
        verbose["tx"][0],
        decoded.txdata[0].compute_txid().to_string()
    );
    let full = node.call("getblock", json!({"blockhash": hash, "verbosity": 2}));
    let coinbase = &full["tx"][0];
    assert!(coinbase["vin"][0]["coinbase"].is_string());
    assert_eq!(coinbase["vout"][0]["value"].to_string(), "50.00000000");
    assert_eq!(coinbase["vout"][0]["scriptPubKey"]["address"], address(1));
    assert_eq!(
        coinbase["vout"][0]["scriptPubKey"]["type"],
        "witness_v0_scripthash"
    );
    let header = node.call("getblockheader", json!([hash]));
    assert_eq!(header["merkleroot"], verbose["merkleroot"]);
    let raw_header = node.call("getblockheader", json!([hash, false]));
    assert_eq!(raw_header.as_str().map(str::len), Some(160));
    let info = node.call("getblockchaininfo", json!([]));
    assert_eq!(
        (info["chain"].clone(), info["blocks"].clone()),
        (json!("regtest"), json!(200))
    );
    // Halving every 150 blocks on regtest.
    let late = node.call("getblock", json!([hashes[160].as_str().expect("hash"), 2]));
    assert_eq!(late["tx"][0]["vout"][0]["value"].to_string(), "25.00000000");
    node.stop();
}

#[test]
fn bad_chain_requests_get_cores_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = ChainNode::start(dir.path());
    let cases = [
        ("getblockhash", json!([5]), -8, "Block height out of range"),
        (
            "getblock",
            json!(["abc"]),
            -8,
            "blockhash must be of length 64 (not 3, for 'abc')",
        ),
        ("getblock", json!(["00".repeat(32)]), -5, "Block not found"),
        (
            "generatetoaddress",
            json!([1, "notanaddress"]),
            -5,
            "Error: Invalid address",
        ),
        (
            "generatetoaddress",
            json!([
                1,
                Address::p2wsh(&ScriptBuf::new(), Network::Bitcoin).to_string()
            ]),
            -5,
            "Error: Invalid address",
        ),
        ("submitblock", json!(["00ff"]), -22, "Block decode failed"),
        ("getblockhash", json!(["x"]), -3, ""),
    ];
    for (method, params, code, message) in cases {
        let reply = node.try_call(method, params.clone());
        assert_eq!(reply["error"]["code"], code, "{method} {params}: {reply}");
        assert!(
            reply["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains(message)),
            "{reply}"
        );
    }
    assert_eq!(
        node.call("getblockcount", json!([])),
        0,
        "the node keeps serving"
    );
    node.stop();
}

#[test]
fn longer_competing_chain_reorgs_the_node_via_submitblock() {
    let (dir_a, dir_b) = (
        tempfile::tempdir().expect("a"),
        tempfile::tempdir().expect("b"),
    );
    let a = ChainNode::start(dir_a.path());
    let b = ChainNode::start(dir_b.path());
    let a_hashes = a.call("generatetoaddress", json!([5, address(1)]));
    let b_hashes = b.call("generatetoaddress", json!([7, address(2)]));
    assert_ne!(a_hashes[0], b_hashes[0]);
    let a_tip = a.call("getbestblockhash", json!([]));
    let mut outcomes = Vec::new();
    for hash in b_hashes.as_array().expect("array") {
        let hex = b.call("getblock", json!([hash, 0]));
        outcomes.push(a.call("submitblock", json!([hex])));
    }
    // Less or equal work than A's chain: stored, not active; then the reorg.
    assert_eq!(outcomes[4], json!("inconclusive"), "{outcomes:?}");
    assert_eq!(outcomes[6], Value::Null, "{outcomes:?}");
    assert_eq!(a.call("getbestblockhash", json!([])), b_hashes[6]);
    assert_eq!(a.call("getblockcount", json!([])), 7);
    let old = a.call("getblock", json!([a_tip]));
    assert_eq!(
        old["confirmations"], -1,
        "the old tip is no longer in the active chain"
    );
    // The coins view followed: the losing branch's coinbases are gone, the winner's are there.
    for hash in a_hashes.as_array().expect("array") {
        let txid = a.call("getblock", json!([hash]))["tx"][0].clone();
        assert_eq!(a.call("gettxout", json!([txid, 0])), Value::Null, "{hash}");
    }
    for (i, hash) in b_hashes.as_array().expect("array").iter().enumerate() {
        let txid = a.call("getblock", json!([hash]))["tx"][0].clone();
        let out = a.call("gettxout", json!([txid, 0]));
        assert_eq!(out["confirmations"], 7 - i, "{hash}: {out}");
        assert_eq!(out["scriptPubKey"]["address"], address(2));
        assert_eq!(out["bestblock"], b_hashes[6]);
    }
    let info = a.call("gettxoutsetinfo", json!(["none"]));
    assert_eq!(
        (info["height"].clone(), info["txouts"].clone()),
        (json!(7), json!(7))
    );
    // Submitting a known block again.
    let hex = b.call("getblock", json!([b_hashes[6], 0]));
    assert_eq!(a.call("submitblock", json!([hex])), json!("duplicate"));
    // Both branches are tips: the active one, and the old one as a validated fork of 5.
    let tips = json!([
        {"height": 7, "hash": b_hashes[6], "branchlen": 0, "status": "active"},
        {"height": 5, "hash": a_tip, "branchlen": 5, "status": "valid-fork"},
    ]);
    assert_eq!(a.call("getchaintips", json!([])), tips);
    // A block paying its coinbase too much is rejected and shows as an invalid tip.
    let tip = b_hashes[6].as_str().expect("hash");
    let bad = overpaying_block(&block(&a, tip), 8);
    let outcome = a.call("submitblock", json!([serialize_hex(&bad)]));
    assert!(
        outcome.is_string() && outcome != "inconclusive",
        "{outcome}"
    );
    let tips = a.call("getchaintips", json!([]));
    assert_eq!(tips.as_array().map(Vec::len), Some(3), "{tips}");
    assert_eq!(
        tips[0],
        json!({"height": 8, "hash": bad.block_hash().to_string(), "branchlen": 1, "status": "invalid"})
    );
    assert_eq!(tips[1]["status"], "active", "{tips}");
    a.stop();
    // The tips survive a restart.
    let a = ChainNode::start(dir_a.path());
    assert_eq!(a.call("getchaintips", json!([])), tips);
    a.stop();
    b.stop();
}

/// A block on `parent` at `height` whose coinbase pays 100 BTC (`bad-cb-amount`).
fn overpaying_block(parent: &Block, height: i64) -> Block {
    let coinbase = Transaction {
        version: transaction::Version::TWO,
        lock_time: absolute::LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint::null(),
            script_sig: Builder::new()
                .push_int(height)
                .push_opcode(bitcoin::opcodes::OP_0)
                .into_script(),
            sequence: Sequence::MAX,
            witness: Witness::new(),
        }],
        output: vec![TxOut {
            value: Amount::from_int_btc(100),
            script_pubkey: ScriptBuf::new_op_return([]),
        }],
    };
    let mut bad = Block {
        header: parent.header,
        txdata: vec![coinbase],
    };
    bad.header.prev_blockhash = parent.block_hash();
    bad.header.time += 1;
    bad.header.merkle_root = bad.compute_merkle_root().expect("one transaction");
    while bad.header.validate_pow(bad.header.target()).is_err() {
        bad.header.nonce = bad.header.nonce.wrapping_add(1);
    }
    bad
}

#[test]
fn sigkill_while_mining_then_restart_is_consistent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = ChainNode::start(dir.path());
    let d = format!("-datadir={}", dir.path().display());
    let addr = address(3);
    // Mine through bitcoin-cli in the background while the node gets killed.
    let miner = std::thread::spawn({
        let d = d.clone();
        move || {
            for _ in 0..50 {
                let (code, _, _) = run(
                    &bin("bitcoin-cli"),
                    &[
                        "-regtest",
                        &d,
                        "-ipcconnect=unix",
                        "generatetoaddress",
                        "10",
                        &addr,
                    ],
                );
                if code != 0 {
                    break;
                }
            }
        }
    });
    assert!(eventually(DEADLINE, || node
        .call("getblockcount", json!([]))
        .as_i64()
        .unwrap_or(0)
        >= 100));
    let ChainNode { mut process, .. } = node;
    process.signal(nix::sys::signal::Signal::SIGKILL);
    let _ = process.wait_timeout(DEADLINE);
    miner.join().expect("miner");
    let node = ChainNode::start(dir.path());
    // Like Core, the kernel writes its block index and UTXO set in periodic flushes, so blocks
    // mined just before a SIGKILL may be gone; what must hold is a consistent, usable state.
    let count = node
        .call("getblockcount", json!([]))
        .as_i64()
        .expect("count");
    assert!(count >= 0);
    let best = node.call("getbestblockhash", json!([]));
    assert_eq!(
        node.call("getblockhash", json!([count])),
        best,
        "tip and height disagree"
    );
    let more = node.call("generatetoaddress", json!([5, address(4)]));
    assert_eq!(
        more.as_array().map(Vec::len),
        Some(5),
        "the node mines on after the crash"
    );
    assert_eq!(node.call("getblockcount", json!([])), count + 5);
    std::thread::sleep(Duration::from_millis(10));
    node.stop();
}

#[test]
fn submitheader_extends_the_header_chain_and_names_what_is_wrong() {
    use tests::headers::{mine_headers, spaced_times, unix_now};
    let dir = tempfile::tempdir().expect("tempdir");
    let node = ChainNode::start(dir.path());
    let genesis: bitcoin::BlockHash = node
        .call("getblockhash", json!([0]))
        .as_str()
        .expect("hash")
        .parse()
        .expect("block hash");
    let headers = mine_headers(genesis, &spaced_times(30, 100, unix_now()), 7);
    // A header whose parent the node has not seen.
    let (code, message) = node.error("submitheader", json!([serialize_hex(&headers[1])]));
    assert_eq!(code, -25);
    assert_eq!(
        message,
        format!(
            "Must submit previous header ({}) first",
            headers[0].block_hash()
        )
    );
    for header in &headers {
        assert_eq!(
            node.call("submitheader", json!([serialize_hex(header)])),
            Value::Null
        );
    }
    let info = node.call("getblockchaininfo", json!([]));
    assert_eq!(info["headers"], 30);
    assert_eq!(info["blocks"], 0);
    let tips = node.call("getchaintips", json!([]));
    let tip = format!("{}", headers[29].block_hash());
    assert!(
        tips.as_array()
            .expect("tips")
            .iter()
            .any(|t| t["hash"] == tip.as_str() && t["status"] == "headers-only"),
        "{tips}"
    );
    // Bad input: not hex, not a header, and a header without valid proof of work.
    let (code, message) = node.error("submitheader", json!(["zz"]));
    assert_eq!(
        (code, message.as_str()),
        (-22, "Block header decode failed")
    );
    let (code, _) = node.error("submitheader", json!(["00ff"]));
    assert_eq!(code, -22);
    let mut weak = mine_headers(headers[29].block_hash(), &[headers[29].time + 600], 8)[0];
    while weak.validate_pow(weak.target()).is_ok() {
        weak.nonce += 1;
    }
    let (code, message) = node.error("submitheader", json!([serialize_hex(&weak)]));
    assert_eq!((code, message.as_str()), (-25, "high-hash"));
    assert_eq!(node.call("getblockchaininfo", json!([]))["headers"], 30);
}
