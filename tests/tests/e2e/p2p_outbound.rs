//! Automatic outbound connections between real `bitcoin-node` processes on loopback (regtest
//! keeps loopback addresses in the address table, so nodes can find each other there): A
//! learns B and C through the test-only `addpeeraddress` and connects to both as
//! `outbound-full-relay`, none with `-connect=0`; block-relay-only anchors (`anchors.json`)
//! are connected to first, get no transactions, are written back on a clean stop and the
//! file is deleted when read; and a node whose inbound slots are full evicts one inbound
//! peer for a new one (Core's `AttemptToEvictConnection`).

use std::path::Path;
use std::time::Duration;

use bitcoin::Amount;
use serde_json::{json, Value};
use tests::miniwallet::{send, MiniWallet};
use tests::wire::silent_peer;
use tests::{eventually, RpcNode};

const WAIT: Duration = Duration::from_secs(120);

fn start(dir: &Path, extra: &[&str]) -> RpcNode {
    RpcNode::start_listening(dir, extra)
}

fn peers(node: &RpcNode) -> Vec<Value> {
    node.call("getpeerinfo", json!([]))
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// `(addr, connection_type)` of each peer, sorted.
fn connection_types(node: &RpcNode) -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = peers(node)
        .iter()
        .map(|p| {
            (
                p["addr"].as_str().unwrap_or("").to_string(),
                p["connection_type"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    all.sort();
    all
}

fn best(node: &RpcNode) -> Value {
    node.call("getbestblockhash", json!([]))
}

fn mempool(node: &RpcNode) -> Vec<Value> {
    node.call("getrawmempool", json!([]))
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn p2p_outbound_connections_are_opened_to_known_addresses() {
    let (da, db, dc, dd) = (
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
    );
    let b = start(db.path(), &[]);
    let c = start(dc.path(), &[]);
    let (pb, pc) = (b.p2p_port(), c.p2p_port());
    let a = start(da.path(), &[]);
    assert_eq!(
        a.call("addpeeraddress", json!(["127.0.0.1", pb])),
        json!({"success": true})
    );
    assert_eq!(
        a.call("addpeeraddress", json!(["127.0.0.1", pc, true])),
        json!({"success": true})
    );
    assert_eq!(
        a.call("addpeeraddress", json!(["127.0.0.1", pc])),
        json!({"error": "failed-adding-to-new", "success": false})
    );
    assert_eq!(
        a.call("addpeeraddress", json!(["not an address", 1])),
        json!({"success": false})
    );
    let info = a.call("getaddrmaninfo", json!([]));
    assert_eq!(
        info["all_networks"],
        json!({"new": 1, "tried": 1, "total": 2})
    );
    assert_eq!(
        info["ipv4"]["total"], 0,
        "loopback is not publicly routable"
    );

    let mut expected = vec![
        (format!("127.0.0.1:{pb}"), "outbound-full-relay".to_string()),
        (format!("127.0.0.1:{pc}"), "outbound-full-relay".to_string()),
    ];
    expected.sort();
    assert!(
        eventually(WAIT, || connection_types(&a) == expected),
        "A connected to B and C: {:?}",
        connection_types(&a)
    );
    assert_eq!(a.call("getnetworkinfo", json!([]))["connections_out"], 2);
    // Both are tried now.
    assert!(eventually(WAIT, || a.call("getaddrmaninfo", json!([]))
        ["all_networks"]["tried"]
        == 2));

    let mut wallet = MiniWallet::op_true();
    wallet.generate(&b, 10);
    assert!(
        eventually(WAIT, || best(&a) == best(&b) && best(&c) == best(&b)),
        "B's blocks reached A, and C through A"
    );

    // With -connect=0 no automatic connection is made.
    let d = start(dd.path(), &["-connect=0"]);
    assert_eq!(
        d.call("addpeeraddress", json!(["127.0.0.1", pb])),
        json!({"success": true})
    );
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(d.call("getconnectioncount", json!([])), 0);
    d.stop();

    // No block-relay-only peer, so the anchors file lists none.
    a.stop();
    let anchors: Value = serde_json::from_str(
        &std::fs::read_to_string(da.path().join("regtest/anchors.json")).expect("anchors.json"),
    )
    .expect("json");
    assert_eq!(anchors, json!({"version": 1, "anchors": []}));
    b.stop();
    c.stop();
}

fn write_anchors(dir: &Path, ports: &[u64]) {
    let list: Vec<Value> = ports
        .iter()
        .map(|p| json!({"address": "127.0.0.1", "port": p, "services": 9}))
        .collect();
    std::fs::create_dir_all(dir.join("regtest")).expect("dir");
    std::fs::write(
        dir.join("regtest/anchors.json"),
        json!({"version": 1, "anchors": list}).to_string(),
    )
    .expect("write");
}

fn block_relay_peers(node: &RpcNode) -> Vec<String> {
    connection_types(node)
        .into_iter()
        .filter(|(_, t)| t == "block-relay-only")
        .map(|(a, _)| a)
        .collect()
}

#[test]
fn p2p_block_relay_only_anchors_get_blocks_not_transactions_and_survive_a_restart() {
    let (da, db, dc) = (
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
    );
    let b = start(db.path(), &[]);
    let c = start(dc.path(), &[]);
    let (pb, pc) = (b.p2p_port(), c.p2p_port());
    let c_addr = format!("127.0.0.1:{pc}");
    // C is A's anchor from a previous run; B is in its address table.
    write_anchors(da.path(), &[u64::from(pc)]);
    let a = start(da.path(), &[]);
    a.call("addpeeraddress", json!(["127.0.0.1", pb]));
    let mut expected = vec![
        (format!("127.0.0.1:{pb}"), "outbound-full-relay".to_string()),
        (c_addr.clone(), "block-relay-only".to_string()),
    ];
    expected.sort();
    assert!(
        eventually(WAIT, || connection_types(&a) == expected),
        "A connected to its anchor C (block-relay-only) and to B: {:?}",
        connection_types(&a)
    );
    assert!(!da.path().join("regtest/anchors.json").exists());
    // C sees A ask for no transactions.
    let from_a = peers(&c);
    assert_eq!(from_a.len(), 1);
    assert_eq!(from_a[0]["relaytxes"], false);

    // Blocks reach C through A; a transaction reaches A but A announces it only to B.
    let mut wallet = MiniWallet::op_true();
    wallet.generate(&b, 101);
    assert!(
        eventually(WAIT, || best(&c) == best(&b) && best(&a) == best(&b)),
        "B's blocks reached C through the block-relay-only connection"
    );
    let utxo = wallet.take_utxo();
    let (tx, _) = wallet.self_transfer(&utxo, Amount::from_sat(2_000));
    let txid = json!(send(&a, &tx).to_string());
    assert!(
        eventually(WAIT, || mempool(&b).contains(&txid)),
        "the full-relay peer got the transaction"
    );
    std::thread::sleep(Duration::from_secs(2));
    assert!(mempool(&c).is_empty(), "no transaction on block-relay-only");
    let a_at_c = &peers(&c)[0];
    assert!(
        a_at_c["bytesrecv_per_msg"].get("tx").is_none(),
        "C got no tx from A: {a_at_c}"
    );

    // A clean stop writes C as the anchor; the restart connects to it first and deletes
    // the file.
    a.stop();
    let anchors: Value = serde_json::from_str(
        &std::fs::read_to_string(da.path().join("regtest/anchors.json")).expect("anchors.json"),
    )
    .expect("json");
    assert_eq!(anchors["anchors"].as_array().map(Vec::len), Some(1));
    assert_eq!(anchors["anchors"][0]["address"], "127.0.0.1");
    assert_eq!(anchors["anchors"][0]["port"], pc);
    let a = start(da.path(), &[]);
    assert!(
        eventually(WAIT, || block_relay_peers(&a) == vec![c_addr.clone()]),
        "A reconnected to its anchor: {:?}",
        connection_types(&a)
    );
    assert!(!da.path().join("regtest/anchors.json").exists());
    a.stop();
    b.stop();
    c.stop();
}

#[test]
fn p2p_a_full_node_evicts_an_inbound_peer_for_a_new_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    // 51 connections leave 40 inbound slots (8 full-relay, 2 block-relay-only and a feeler
    // are reserved); Core's protections then keep 34 of 40 silent peers, so some are
    // evictable.
    let node = start(dir.path(), &["-maxconnections=51"]);
    let addr = node.p2p_addr();
    let count = || {
        node.call("getconnectioncount", json!([]))
            .as_u64()
            .expect("count")
    };
    let mut silent = Vec::new();
    for _ in 0..40 {
        silent.push(silent_peer(&addr, 0));
    }
    assert!(eventually(WAIT, || count() == 40), "40 inbound peers");
    let ids = |node: &RpcNode| -> Vec<u64> {
        peers(node)
            .iter()
            .filter_map(|p| p["id"].as_u64())
            .collect()
    };
    assert_eq!(ids(&node), (0..40).collect::<Vec<u64>>());
    silent.push(silent_peer(&addr, 0));
    assert!(
        eventually(WAIT, || {
            let now = ids(&node);
            now.len() == 40 && now.contains(&40)
        }),
        "the new peer took an evicted one's slot: {:?}",
        ids(&node)
    );
    let log = std::fs::read_to_string(dir.path().join("regtest/debug.log")).unwrap_or_default();
    assert!(log.contains("to make room for an inbound connection"));
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(count(), 40, "still at the inbound limit");
    node.stop();
    for peer in silent {
        let _ = peer.join();
    }
}
