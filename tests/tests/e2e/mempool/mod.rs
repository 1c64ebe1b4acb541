//! The mempool through RPC on real nodes: acceptance and Core's result shapes, every
//! rejection reason by its exact text, replace-by-fee rules, chain limits, blocks and reorgs
//! removing and returning transactions, eviction at a small `-maxmempool`, persistence across
//! restarts (also after SIGKILL and with a corrupt `mempool.dat`). This file holds the
//! helpers, result shapes, fee estimation and expiry; [`policy`] the rejections, TRUC and
//! packages; [`chain`] replacement, limits, blocks, reorgs, eviction and persistence.

mod chain;
mod policy;

use std::time::Duration;

use bitcoin::consensus::encode::serialize_hex;
use bitcoin::script::{Builder, PushBytesBuf};
use bitcoin::{
    absolute, transaction, Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxOut, Witness,
};
use nix::sys::signal::Signal;
use serde_json::{json, Value};
use tests::miniwallet::{op_true_address, send, tx_hex, MiniWallet, Utxo};
use tests::{eventually, RpcNode, DEADLINE};

/// A node with `extra` arguments and a wallet with `blocks` blocks mined to it.
pub(super) fn setup(dir: &std::path::Path, extra: &[&str], blocks: u64) -> (RpcNode, MiniWallet) {
    let node = RpcNode::start_with(dir, "regtest", extra);
    let mut wallet = MiniWallet::op_true();
    wallet.generate(&node, blocks);
    (node, wallet)
}

pub(super) fn mempool(node: &RpcNode) -> Vec<String> {
    let list = node.call("getrawmempool", json!([]));
    let mut txids: Vec<String> = list
        .as_array()
        .expect("array")
        .iter()
        .map(|t| t.as_str().expect("txid").to_string())
        .collect();
    txids.sort();
    txids
}

pub(super) fn sorted(mut txids: Vec<String>) -> Vec<String> {
    txids.sort();
    txids
}

pub(super) fn wait_for_mempool(node: &RpcNode, expected: &[String]) {
    let expected = sorted(expected.to_vec());
    assert!(
        eventually(DEADLINE, || mempool(node) == expected),
        "mempool {:?} != {expected:?}",
        mempool(node)
    );
}

/// Core's vsize of a transaction without many sigops.
pub(super) fn vsize(tx: &Transaction) -> u64 {
    tx.weight().to_wu().div_ceil(4)
}

/// Core's `CFeeRate(fee, vsize).ToString()`.
pub(super) fn rate_text(fee: u64, vsize: u64) -> String {
    let rate = fee * 1000 / vsize;
    format!("{}.{:08} BTC/kvB", rate / 100_000_000, rate % 100_000_000)
}

/// Core's `FormatMoney`.
pub(super) fn money(sats: u64) -> String {
    let mut text = format!("{}.{:08}", sats / 100_000_000, sats % 100_000_000);
    while text.ends_with('0') && text.len() - text.find('.').expect("point") > 3 {
        text.pop();
    }
    text
}

/// `testmempoolaccept` of one transaction: (allowed, reject-reason, reject-details).
pub(super) fn test_accept(node: &RpcNode, tx: &Transaction) -> Value {
    let result = node.call("testmempoolaccept", json!([[tx_hex(tx)]]));
    result[0].clone()
}

pub(super) fn assert_rejected(
    node: &RpcNode,
    tx: &Transaction,
    reason: &str,
    details: Option<&str>,
) {
    let result = test_accept(node, tx);
    assert_eq!(result["allowed"], false, "{reason}: {result}");
    assert_eq!(result["reject-reason"], reason, "{result}");
    match details {
        Some(d) => assert_eq!(result["reject-details"], d, "{result}"),
        None => assert!(result.get("reject-details").is_none(), "{result}"),
    }
}

/// A transaction spending `utxos` to one OP_TRUE output of their value minus `fee`.
pub(super) fn pay(wallet: &MiniWallet, utxos: &[Utxo], fee: u64) -> Transaction {
    let total: Amount = utxos.iter().map(|u| u.value).sum();
    wallet.spend(
        utxos,
        vec![TxOut {
            value: total - Amount::from_sat(fee),
            script_pubkey: op_true_address().script_pubkey(),
        }],
    )
}

/// Confirms `txs` in a block made by `generateblock`.
pub(super) fn confirm(node: &RpcNode, wallet: &mut MiniWallet, txs: &[&Transaction]) -> String {
    let hexes: Vec<String> = txs.iter().map(|t| tx_hex(t)).collect();
    let block = node.call("generateblock", json!([wallet.address(), hexes]));
    let hash = block["hash"].as_str().expect("hash").to_string();
    wallet.scan_block(node, &hash);
    hash
}

/// `getmempoolentry`, `getrawmempool`, ancestors and descendants of a parent and child.
pub(super) fn check_entries(node: &RpcNode, parent: &Transaction, child: &Transaction) {
    let parent_id = parent.compute_txid().to_string();
    let child_id = child.compute_txid().to_string();
    let entry = node.call("getmempoolentry", json!([parent_id]));
    let keys: Vec<&String> = entry.as_object().expect("object").keys().collect();
    assert_eq!(
        keys,
        [
            "vsize",
            "weight",
            "time",
            "height",
            "descendantcount",
            "descendantsize",
            "ancestorcount",
            "ancestorsize",
            "wtxid",
            "fees",
            "depends",
            "spentby",
            "bip125-replaceable",
            "unbroadcast"
        ]
    );
    assert_eq!(entry["vsize"], vsize(parent));
    assert_eq!(entry["weight"], parent.weight().to_wu());
    assert_eq!(entry["height"], 101);
    assert_eq!(entry["descendantcount"], 2);
    assert_eq!(entry["descendantsize"], vsize(parent) + vsize(child));
    assert_eq!(entry["ancestorcount"], 1);
    assert_eq!(entry["fees"]["base"].to_string(), "0.00001000");
    assert_eq!(entry["fees"]["descendant"].to_string(), "0.00003000");
    assert_eq!(entry["spentby"], json!([child_id]));
    assert_eq!(entry["depends"], json!([]));
    assert_eq!(entry["bip125-replaceable"], true);
    let child_entry = node.call("getmempoolentry", json!([child_id]));
    assert_eq!(child_entry["depends"], json!([parent_id]));
    assert_eq!(child_entry["ancestorcount"], 2);
    assert_eq!(child_entry["fees"]["ancestor"].to_string(), "0.00003000");

    let verbose = node.call("getrawmempool", json!([true]));
    assert_eq!(verbose[&parent_id], entry);
    let with_sequence = node.call("getrawmempool", json!({"mempool_sequence": true}));
    assert_eq!(with_sequence["mempool_sequence"], 2);
    assert_eq!(with_sequence["txids"].as_array().map(Vec::len), Some(2));
    let (code, message) = node.error("getrawmempool", json!([true, true]));
    assert_eq!(
        (code, message.as_str()),
        (
            -8,
            "Verbose results cannot contain mempool sequence values."
        )
    );
    assert_eq!(
        node.call("getmempoolancestors", json!([child_id])),
        json!([parent_id])
    );
    assert_eq!(
        node.call("getmempooldescendants", json!([parent_id])),
        json!([child_id])
    );
    let verbose = node.call("getmempooldescendants", json!([parent_id, true]));
    assert_eq!(verbose[&child_id], child_entry);
    let missing = "00".repeat(32);
    for method in [
        "getmempoolentry",
        "getmempoolancestors",
        "getmempooldescendants",
    ] {
        let (code, message) = node.error(method, json!([missing]));
        assert_eq!(
            (code, message.as_str()),
            (-5, "Transaction not in mempool"),
            "{method}"
        );
    }
    let info = node.call("getmempoolinfo", json!([]));
    assert_eq!(info["size"], 2);
    assert_eq!(info["bytes"], vsize(parent) + vsize(child));
    assert_eq!(info["total_fee"].to_string(), "0.00003000");
    assert!(info["usage"].as_u64().expect("usage") > 0);
}

#[test]
fn accepted_transactions_show_in_cores_shapes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (node, mut wallet) = setup(dir.path(), &[], 101);
    let info = node.call("getmempoolinfo", json!([]));
    let keys: Vec<&String> = info.as_object().expect("object").keys().collect();
    assert_eq!(
        keys,
        [
            "loaded",
            "size",
            "bytes",
            "usage",
            "total_fee",
            "maxmempool",
            "mempoolminfee",
            "minrelaytxfee",
            "incrementalrelayfee",
            "unbroadcastcount",
            "fullrbf",
            "permitbaremultisig",
            "maxdatacarriersize"
        ]
    );
    assert_eq!(info["loaded"], true);
    assert_eq!(info["size"], 0);
    assert_eq!(info["maxmempool"], 300_000_000);
    assert_eq!(info["minrelaytxfee"].to_string(), "0.00000100");
    assert_eq!(info["mempoolminfee"].to_string(), "0.00000100");
    assert_eq!(info["maxdatacarriersize"], 100_000);

    let utxo = wallet.take_utxo();
    let (parent, out) = wallet.self_transfer(&utxo, Amount::from_sat(1000));
    let (child, _) = wallet.self_transfer(&out, Amount::from_sat(2000));
    let parent_id = parent.compute_txid().to_string();
    let child_id = child.compute_txid().to_string();
    // testmempoolaccept before sending: allowed, with Core's fields.
    let result = test_accept(&node, &parent);
    assert_eq!(
        result,
        json!({
            "txid": parent_id,
            "wtxid": parent.compute_wtxid().to_string(),
            "allowed": true,
            "vsize": vsize(&parent),
            "fees": {
                "base": serde_json::from_str::<Value>("0.00001000").expect("json"),
                "effective-feerate": serde_json::from_str::<Value>(&format!("0.{:08}", 1000 * 1000 / vsize(&parent))).expect("json"),
                "effective-includes": [parent.compute_wtxid().to_string()],
            }
        })
    );
    assert_eq!(mempool(&node), Vec::<String>::new(), "test only");
    // The child's parent is unknown yet: missing inputs.
    assert_rejected(&node, &child, "missing-inputs", None);
    assert_eq!(send(&node, &parent).to_string(), parent_id);
    // Sending it again is fine (Core returns the txid).
    assert_eq!(send(&node, &parent).to_string(), parent_id);
    assert_eq!(send(&node, &child).to_string(), child_id);
    assert_eq!(
        mempool(&node),
        sorted(vec![parent_id.clone(), child_id.clone()])
    );

    check_entries(&node, &parent, &child);
    // gettxout sees the mempool unless told not to.
    let spent = json!([utxo.outpoint.txid.to_string(), utxo.outpoint.vout]);
    assert_eq!(node.call("gettxout", spent.clone()), Value::Null);
    let confirmed = node.call(
        "gettxout",
        json!([utxo.outpoint.txid.to_string(), 0, false]),
    );
    assert_eq!(confirmed["confirmations"], 101, "{confirmed}");
    assert_eq!(
        node.call("gettxout", json!([parent_id, 0])),
        Value::Null,
        "spent by the child"
    );
    let unconfirmed = node.call("gettxout", json!([child_id, 0]));
    assert_eq!(unconfirmed["confirmations"], 0, "{unconfirmed}");
    assert_eq!(unconfirmed["coinbase"], false);
    // getrawtransaction finds pool transactions without a block hash.
    assert_eq!(
        node.call("getrawtransaction", json!([parent_id])),
        json!(serialize_hex(&parent))
    );
    let decoded = node.call("getrawtransaction", json!([parent_id, 1]));
    assert_eq!(decoded["txid"], parent_id);
    assert!(decoded.get("blockhash").is_none());
    let (code, message) = node.error("getrawtransaction", json!(["00".repeat(32)]));
    assert_eq!((code, message.as_str()), (-5, "No such mempool transaction. Use -txindex or provide a block hash to enable blockchain transaction queries. Use gettransaction for wallet transactions."));
    // Confirming the parent leaves the child, now without in-pool ancestors.
    confirm(&node, &mut wallet, &[&parent]);
    wait_for_mempool(&node, std::slice::from_ref(&child_id));
    let child_entry = node.call("getmempoolentry", json!([child_id]));
    assert_eq!(child_entry["ancestorcount"], 1);
    assert_eq!(child_entry["depends"], json!([]));
    confirm(&node, &mut wallet, &[&child]);
    wait_for_mempool(&node, &[]);
    assert_eq!(node.call("getmempoolinfo", json!([]))["bytes"], 0);
    node.stop();
}

#[test]
fn estimatesmartfee_learns_from_confirmed_mempool_transactions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (node, mut wallet) = setup(dir.path(), &[], 150);
    let no_data = node.call("estimatesmartfee", json!([2]));
    assert_eq!(
        no_data,
        json!({"errors": ["Insufficient data or no feerate found"], "blocks": 0})
    );
    let (code, message) = node.error("estimatesmartfee", json!([0]));
    assert_eq!(
        (code, message.as_str()),
        (-8, "Invalid conf_target, must be between 1 and 1008")
    );
    let (code, message) = node.error("estimatesmartfee", json!([2, "fast"]));
    assert_eq!((code, message.as_str()), (-8, "Invalid estimate_mode parameter, must be one of: \"unset\", \"economical\", \"conservative\""));
    // Ten blocks, each confirming the four transactions (about 20 sat/vB) sent before it.
    for _ in 0..10 {
        std::thread::sleep(Duration::from_millis(50));
        let mut txs = Vec::new();
        for _ in 0..4 {
            let utxo = wallet.take_utxo();
            let tx = pay(&wallet, std::slice::from_ref(&utxo), 1920);
            send(&node, &tx);
            txs.push(tx);
        }
        let refs: Vec<&Transaction> = txs.iter().collect();
        confirm(&node, &mut wallet, &refs);
        wait_for_mempool(&node, &[]);
    }
    std::thread::sleep(Duration::from_millis(50));
    let estimate = node.call("estimatesmartfee", json!([2]));
    let rate = estimate["feerate"]
        .as_f64()
        .unwrap_or_else(|| panic!("an estimate: {estimate}"));
    assert!((0.00015..=0.00025).contains(&rate), "{estimate}");
    assert_eq!(estimate["blocks"], 2, "{estimate}");
    let conservative = node.call(
        "estimatesmartfee",
        json!({"conf_target": 2, "estimate_mode": "CONSERVATIVE"}),
    );
    assert!(conservative.get("blocks").is_some(), "{conservative}");
    node.stop();
    assert!(
        dir.path()
            .join("regtest")
            .join("fee_estimates.dat")
            .exists(),
        "written at shutdown"
    );
}

#[test]
fn signed_p2wpkh_spends_are_accepted_and_persistence_can_be_off() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = RpcNode::start_with(dir.path(), "regtest", &["-persistmempool=0"]);
    let mut keys = MiniWallet::p2wpkh(3);
    assert!(keys.address().starts_with("bcrt1q"), "{}", keys.address());
    keys.generate(&node, 101);
    let utxo = keys.take_utxo();
    let (fan, outs) = keys.fan_out(&utxo, 2, Amount::from_sat(2000));
    send(&node, &fan);
    let (spend, _) = keys.self_transfer(&outs[0], Amount::from_sat(1000));
    send(&node, &spend);
    // A wrong signature (another key) fails in the kernel.
    let other = MiniWallet::p2wpkh(4);
    let mut forged = keys.build(
        &outs[1..2],
        vec![coin(outs[1].value.to_sat() - 1000, keys.script_pubkey())],
    );
    other.sign(&mut forged, &outs[1..2]);
    let result = test_accept(&node, &forged);
    assert_eq!(
        result["reject-reason"], "mempool-script-verify-flag-failed (script verification failed)",
        "{result}"
    );
    assert_eq!(node.call("getmempoolinfo", json!([]))["size"], 2);
    node.stop();
    assert!(
        !dir.path().join("regtest").join("mempool.dat").exists(),
        "-persistmempool=0 writes nothing"
    );
    let node = RpcNode::start(dir.path());
    assert_eq!(mempool(&node), Vec::<String>::new());
    node.stop();
}

#[test]
fn entries_older_than_mempoolexpiry_leave() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (node, mut wallet) = setup(dir.path(), &["-mempoolexpiry=0"], 102);
    let (a, b) = (wallet.take_utxo(), wallet.take_utxo());
    let first = pay(&wallet, &[a], 1000);
    send(&node, &first);
    std::thread::sleep(Duration::from_millis(1100));
    // Expiry runs when a transaction is accepted (and on every block).
    let second = pay(&wallet, &[b], 1000);
    send(&node, &second);
    assert_eq!(mempool(&node), vec![second.compute_txid().to_string()]);
    std::thread::sleep(Duration::from_millis(1100));
    wallet.generate(&node, 1);
    wait_for_mempool(&node, &[]);
    node.stop();
}

pub(super) fn coin(value: u64, script: ScriptBuf) -> TxOut {
    TxOut {
        value: Amount::from_sat(value),
        script_pubkey: script,
    }
}

#[test]
fn node_status_over_ipc_counts_the_mempool() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (node, mut wallet) = setup(dir.path(), &[], 101);
    let (_conn, init) =
        ipc::connect_init(&dir.path().join("regtest").join("node.sock")).expect("connect");
    let remote = interfaces::Init::make_node(&init).expect("make_node");
    let empty = remote.get_status().expect("status");
    assert_eq!((empty.mempool_size, empty.mempool_usage), (0, 0));
    let utxo = wallet.take_utxo();
    send(&node, &pay(&wallet, &[utxo], 1000));
    let status = remote.get_status().expect("status");
    let info = node.call("getmempoolinfo", json!([]));
    assert_eq!(status.mempool_size, 1);
    assert_eq!(Some(status.mempool_usage), info["usage"].as_u64());
    drop(remote);
    node.stop();
}
