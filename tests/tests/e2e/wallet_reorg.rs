//! The node's spawned wallet through a reorg: a confirmed send whose block loses to a longer
//! competing chain (submitted with `submitblock`) turns unconfirmed, returns to the node's
//! mempool, the balances move back, the wallet's last processed block follows the new tip,
//! `listsinceblock` from the stale block lists the send as removed, and one more block
//! confirms the send again.

use std::time::Duration;

use serde_json::{json, Value};
use tests::RpcNode;

const COIN: i64 = 100_000_000;

fn sats(value: &Value) -> i64 {
    (value.as_f64().unwrap_or(f64::NAN) * 1e8).round() as i64
}

/// `getbalances`' `mine` part, in satoshis: (trusted, untrusted_pending, immature).
fn balances(node: &RpcNode, wallet: &str) -> (i64, i64, i64) {
    let mine = node.wallet_call(wallet, "getbalances", json!([]))["mine"].clone();
    (
        sats(&mine["trusted"]),
        sats(&mine["untrusted_pending"]),
        sats(&mine["immature"]),
    )
}

/// An address no wallet of the node owns.
fn outside_address(tag: u8) -> String {
    crate::chain::address(tag)
}

/// Waits until `wallet` has processed the node's tip, and returns its `getwalletinfo`.
fn synced_info(node: &RpcNode, wallet: &str) -> Value {
    let tip = node.call("getbestblockhash", json!([]));
    let mut info = Value::Null;
    let synced = tests::eventually(Duration::from_secs(10), || {
        info = node.wallet_call(wallet, "getwalletinfo", json!([]));
        info["lastprocessedblock"]["hash"] == tip
    });
    assert!(synced, "{wallet} did not reach the tip {tip}: {info}");
    info
}

/// Submits the blocks `from..=to` of `source`'s active chain to `target`, returning the
/// `submitblock` results.
fn copy_blocks(source: &RpcNode, target: &RpcNode, from: i64, to: i64) -> Vec<Value> {
    (from..=to)
        .map(|height| {
            let hash = source.call("getblockhash", json!([height]));
            let hex = source.call("getblock", json!([hash, 0]));
            target.call("submitblock", json!([hex]))
        })
        .collect()
}

#[test]
fn a_reorg_unconfirms_a_send_and_a_new_block_confirms_it_again() {
    let (dir_a, dir_b) = (
        tempfile::tempdir().expect("a"),
        tempfile::tempdir().expect("b"),
    );
    let node = RpcNode::start_with(dir_a.path(), "regtest", &["-fallbackfee=0.0002"]);
    for name in ["a", "b"] {
        node.call("createwallet", json!([name]));
    }
    let a_addr = node.wallet_call("a", "getnewaddress", json!([]));
    node.call("generatetoaddress", json!([101, a_addr]));
    synced_info(&node, "a");
    assert_eq!(balances(&node, "a"), (50 * COIN, 0, 100 * 50 * COIN));

    // The competing node shares blocks 1..=101, so the send's coin exists on both branches.
    let other = RpcNode::start(dir_b.path());
    let copied = copy_blocks(&node, &other, 1, 101);
    assert!(copied.iter().all(Value::is_null), "{copied:?}");

    let b_addr = node.wallet_call("b", "getnewaddress", json!([]));
    let txid = node.wallet_call("a", "sendtoaddress", json!([b_addr, 2]));
    let fee = -sats(&node.wallet_call("a", "gettransaction", json!([txid]))["fee"]);
    assert!(fee > 0 && fee < COIN / 100, "fee {fee}");
    let mined = node.call("generatetoaddress", json!([1, outside_address(1)]));
    let block_n = mined[0].clone();
    synced_info(&node, "b");
    let tx = node.wallet_call("a", "gettransaction", json!([txid]));
    assert_eq!(
        (
            tx["confirmations"].clone(),
            tx["blockhash"].clone(),
            tx["blockheight"].clone()
        ),
        (json!(1), block_n.clone(), json!(102)),
        "{tx}"
    );
    assert_eq!(balances(&node, "b"), (2 * COIN, 0, 0));
    assert_eq!(
        balances(&node, "a"),
        (100 * COIN - 2 * COIN - fee, 0, 99 * 50 * COIN)
    );

    // Two blocks on 101 without the send: more work than the node's chain.
    let competing = other.call("generatetoaddress", json!([2, outside_address(2)]));
    let outcomes = copy_blocks(&other, &node, 102, 103);
    assert_eq!(outcomes, [json!("inconclusive"), Value::Null]);
    assert_eq!(node.call("getbestblockhash", json!([])), competing[1]);
    assert_eq!(node.call("getblock", json!([block_n]))["confirmations"], -1);
    assert!(
        tests::eventually(Duration::from_secs(10), || node
            .call("getrawmempool", json!([]))
            .as_array()
            .is_some_and(|pool| pool.contains(&txid))),
        "the disconnected send did not return to the node's mempool"
    );

    let info = synced_info(&node, "a");
    assert_eq!(info["lastprocessedblock"]["height"], 103, "{info}");
    assert_eq!(synced_info(&node, "b")["lastprocessedblock"]["height"], 103);
    for wallet in ["a", "b"] {
        let tx = node.wallet_call(wallet, "gettransaction", json!([txid]));
        assert_eq!(tx["confirmations"], 0, "{wallet}: {tx}");
        assert!(tx["blockhash"].is_null(), "{wallet}: {tx}");
    }
    assert_eq!(
        balances(&node, "b"),
        (0, 2 * COIN, 0),
        "b's payment is pending again"
    );
    // listsinceblock from the stale block lists the send under "removed" (the wallet walks
    // back from it through the node's block index), as it is now: unconfirmed.
    for (wallet, category) in [("a", "send"), ("b", "receive")] {
        let since = node.wallet_call(wallet, "listsinceblock", json!([block_n]));
        let removed = since["removed"].as_array().expect("removed");
        assert_eq!(removed.len(), 1, "{wallet}: {since}");
        assert_eq!(removed[0]["txid"], txid, "{wallet}: {since}");
        assert_eq!(removed[0]["category"], category, "{wallet}: {since}");
        assert_eq!(removed[0]["confirmations"], 0, "{wallet}: {since}");
        let listed = since["transactions"].as_array().expect("transactions");
        assert!(
            listed.iter().any(|e| e["txid"] == txid),
            "{wallet}: {since}"
        );
    }
    // a: the coinbases of 1..=3 are mature at 103; the send's change is its own, trusted.
    assert_eq!(
        balances(&node, "a"),
        (150 * COIN - 2 * COIN - fee, 0, 98 * 50 * COIN)
    );

    // One more block on the new tip confirms the send again.
    let again = node.call("generatetoaddress", json!([1, outside_address(3)]));
    let info = synced_info(&node, "b");
    assert_eq!(info["lastprocessedblock"]["height"], 104, "{info}");
    let tx = node.wallet_call("b", "gettransaction", json!([txid]));
    assert_eq!(
        (
            tx["confirmations"].clone(),
            tx["blockhash"].clone(),
            tx["blockheight"].clone()
        ),
        (json!(1), again[0].clone(), json!(104)),
        "{tx}"
    );
    assert_eq!(balances(&node, "b"), (2 * COIN, 0, 0));
    synced_info(&node, "a");
    assert_eq!(
        balances(&node, "a"),
        (200 * COIN - 2 * COIN - fee, 0, 97 * 50 * COIN)
    );
    other.stop();
    node.stop();
}
