//! The node's coins view through `gettxout` and `gettxoutsetinfo`: coinbases of mined blocks,
//! Core's errors, a restart, and a SIGKILL in the middle of a 500-block generate loop (the
//! view must come back in step with whatever tip the kernel restores).

use serde_json::{json, Value};
use tests::{bin, eventually, run, DEADLINE};

use crate::chain::{address, ChainNode};

/// The txid of the coinbase of block `hash`.
fn coinbase_txid(node: &ChainNode, hash: &Value) -> Value {
    node.call("getblock", json!([hash]))["tx"][0].clone()
}

/// `gettxout` of the coinbase of the active block at `height` agrees with the block itself.
fn check_coinbase_at(node: &ChainNode, height: i64, tip: i64) {
    let hash = node.call("getblockhash", json!([height]));
    let block = node.call("getblock", json!([hash, 2]));
    let coinbase = &block["tx"][0];
    let out = node.call("gettxout", json!([coinbase["txid"], 0]));
    assert_eq!(out["value"], coinbase["vout"][0]["value"], "{out}");
    assert_eq!(
        out["scriptPubKey"]["hex"],
        coinbase["vout"][0]["scriptPubKey"]["hex"]
    );
    assert_eq!(out["coinbase"], true);
    assert_eq!(out["confirmations"], tip - height + 1, "{out}");
    assert_eq!(out["bestblock"], node.call("getbestblockhash", json!([])));
}

#[test]
fn gettxout_shows_coinbases_of_mined_blocks_like_core() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = ChainNode::start(dir.path());
    let genesis = node.call("getblockhash", json!([0]));
    let genesis_coinbase = coinbase_txid(&node, &genesis);
    assert_eq!(
        node.call("gettxout", json!([genesis_coinbase, 0])),
        Value::Null,
        "the genesis coinbase is not spendable"
    );
    let hashes = node.call("generatetoaddress", json!([110, address(5)]));
    let txid = coinbase_txid(&node, &hashes[0]);
    let out = node.call("gettxout", json!([txid, 0]));
    assert_eq!(out["value"].to_string(), "50.00000000");
    assert_eq!(out["coinbase"], true);
    assert_eq!(out["confirmations"], 110);
    assert_eq!(out["bestblock"], hashes[109]);
    let script = &out["scriptPubKey"];
    assert_eq!(script["address"], address(5));
    assert_eq!(script["type"], "witness_v0_scripthash");
    assert_eq!(
        script["asm"],
        format!("0 {}", &script["hex"].as_str().expect("hex")[4..])
    );
    let desc = script["desc"].as_str().expect("desc");
    let checksum = desc.strip_prefix(&format!("addr({})#", address(5)));
    assert_eq!(checksum.map(str::len), Some(8), "{desc}");
    assert_eq!(
        node.call(
            "gettxout",
            json!({"txid": txid, "n": 0, "include_mempool": false})
        ),
        out
    );
    // Unknown outputs: another index, another txid.
    assert_eq!(node.call("gettxout", json!([txid, 1])), Value::Null);
    assert_eq!(node.call("gettxout", json!([txid, -1])), Value::Null);
    assert_eq!(
        node.call("gettxout", json!(["ab".repeat(32), 0])),
        Value::Null
    );
    let cases = [
        (
            json!(["abc", 0]),
            -8,
            "txid must be of length 64 (not 3, for 'abc')",
        ),
        (
            json!(["zz".repeat(32), 0]),
            -8,
            "txid must be hexadecimal string",
        ),
        (json!([txid]), -1, "gettxout \"txid\" n ( include_mempool )"),
        (json!([txid, "0"]), -3, "not of expected type number"),
    ];
    for (params, code, message) in cases {
        let reply = node.try_call("gettxout", params.clone());
        assert_eq!(reply["error"]["code"], code, "{params}: {reply}");
        let text = reply["error"]["message"].as_str().expect("message");
        assert!(text.contains(message), "{params}: {text}");
    }
    let info = node.call("gettxoutsetinfo", json!([]));
    assert_eq!(info["height"], 110);
    assert_eq!(info["bestblock"], hashes[109]);
    assert_eq!(info["txouts"], 110);
    assert_eq!(info["transactions"], 110);
    assert_eq!(info["total_amount"].to_string(), "5500.00000000");
    assert_eq!(info["bogosize"], 110 * (50 + 34));
    assert_eq!(info["hash_serialized_3"].as_str().map(str::len), Some(64));
    let keys: Vec<&String> = info.as_object().expect("object").keys().collect();
    assert_eq!(
        keys,
        [
            "height",
            "bestblock",
            "txouts",
            "bogosize",
            "hash_serialized_3",
            "total_amount",
            "transactions",
            "disk_size"
        ]
    );
    let none = node.call("gettxoutsetinfo", json!({"hash_type": "none"}));
    assert!(none.get("hash_serialized_3").is_none());
    let reply = node.try_call("gettxoutsetinfo", json!(["sha1"]));
    assert_eq!(reply["error"]["message"], "'sha1' is not a valid hash_type");
    node.stop();

    // The view persists across a clean restart.
    let node = ChainNode::start(dir.path());
    assert_eq!(
        node.call("gettxout", json!([txid, 0]))["confirmations"],
        110
    );
    assert_eq!(
        node.call("gettxoutsetinfo", json!([]))["hash_serialized_3"],
        info["hash_serialized_3"]
    );
    node.stop();
}

/// Mines through bitcoin-cli in a background thread, returning every block hash it was told.
fn mine_in_background(dir: &std::path::Path) -> std::thread::JoinHandle<Vec<String>> {
    let d = format!("-datadir={}", dir.display());
    let addr = address(6);
    std::thread::spawn(move || {
        let mut mined = Vec::new();
        for _ in 0..50 {
            let args = [
                "-regtest",
                &d,
                "-ipcconnect=unix",
                "generatetoaddress",
                "10",
                &addr,
            ];
            let (code, out, _) = run(&bin("bitcoin-cli"), &args);
            if code != 0 {
                break;
            }
            let hashes: Vec<String> = serde_json::from_str(&out).unwrap_or_default();
            mined.extend(hashes);
        }
        mined
    })
}

#[test]
fn sigkill_during_a_500_block_generate_loop_then_coins_agree_with_the_tip() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A clean stop first, so the kernel has flushed a chain to fall back to.
    let node = ChainNode::start(dir.path());
    node.call("generatetoaddress", json!([120, address(6)]));
    node.stop();
    let node = ChainNode::start(dir.path());
    let miner = mine_in_background(dir.path());
    assert!(eventually(DEADLINE * 6, || node
        .call("getblockcount", json!([]))
        .as_i64()
        .unwrap_or(0)
        >= 370));
    let ChainNode { mut process, .. } = node;
    process.signal(nix::sys::signal::Signal::SIGKILL);
    let _ = process.wait_timeout(DEADLINE);
    let mined = miner.join().expect("miner");

    let node = ChainNode::start(dir.path());
    let count = node
        .call("getblockcount", json!([]))
        .as_i64()
        .expect("count");
    eprintln!(
        "{} blocks reported mined after the clean restart at 120; the kernel restored {count}",
        mined.len()
    );
    assert!(count >= 120, "the cleanly flushed chain is kept");
    let info = node.call("gettxoutsetinfo", json!(["none"]));
    assert_eq!(info["height"], count, "{info}");
    assert_eq!(info["bestblock"], node.call("getbestblockhash", json!([])));
    // One coinbase output per block but genesis, so no coin of a block the kernel lost is
    // left, and the amounts add up to the subsidies.
    assert_eq!(info["txouts"], count, "{info}");
    assert_eq!(info["total_amount"].as_f64(), Some(subsidy_total(count)));
    check_coinbase_at(&node, count, count);
    check_coinbase_at(&node, count - 10, count);
    // And the node goes on from there.
    node.call("generatetoaddress", json!([3, address(7)]));
    check_coinbase_at(&node, count + 3, count + 3);
    check_coinbase_at(&node, count - 7, count + 3);
    assert_eq!(
        node.call("gettxoutsetinfo", json!(["none"]))["txouts"],
        count + 3
    );
    node.stop();
}

/// Regtest subsidies of blocks 1..=height, in BTC.
fn subsidy_total(height: i64) -> f64 {
    (1..=height)
        .map(|h| 50.0 / f64::from(1 << (h / 150).min(30)))
        .sum()
}
