//! Orphan transactions over P2P (Core's orphanage): a child whose parent the node lacks is
//! kept, the parent is asked of the peer that sent the child, and both enter the mempool when
//! it comes; a parent below the fee floor enters with its child as a one-parent-one-child
//! package. The peer is a raw test peer speaking v1 bytes.

use std::path::Path;

use bitcoin::p2p::message::NetworkMessage;
use bitcoin::p2p::message_blockdata::Inventory;
use bitcoin::{Amount, Transaction, Txid};
use serde_json::{json, Value};
use tests::miniwallet::MiniWallet;
use tests::wire::RawPeer;
use tests::RpcNode;

/// A regtest node without a wallet, listening on a free loopback port.
fn start(dir: &Path) -> RpcNode {
    RpcNode::start_listening(dir, &[])
}

fn in_mempool(node: &RpcNode, txid: &Txid) -> bool {
    node.call("getrawmempool", json!([]))
        .as_array()
        .expect("array")
        .contains(&Value::String(txid.to_string()))
}

/// A parent paying `parent_fee` and its child paying `child_fee`, from a mature coinbase.
fn parent_and_child(
    wallet: &mut MiniWallet,
    parent_fee: u64,
    child_fee: u64,
) -> (Transaction, Transaction) {
    let coin = wallet.take_utxo();
    let (parent, out) = wallet.self_transfer(&coin, Amount::from_sat(parent_fee));
    let (child, _) = wallet.self_transfer(&out, Amount::from_sat(child_fee));
    (parent, child)
}

/// Sends `child` from `peer`, answers the node's request for its parent with `parent`, and
/// checks the request named the parent by txid.
fn deliver_orphan(node: &RpcNode, peer: &mut RawPeer, parent: &Transaction, child: &Transaction) {
    let parent_txid = parent.compute_txid();
    peer.send(NetworkMessage::Tx(child.clone()));
    let request = peer.wait_for(
        "a getdata for the parent",
        |m| matches!(m, NetworkMessage::GetData(items) if !items.is_empty()),
    );
    let NetworkMessage::GetData(items) = request else {
        unreachable!("waited for a getdata");
    };
    assert!(
        items.iter().any(|i| matches!(
            i,
            Inventory::WitnessTransaction(t) | Inventory::Transaction(t) if *t == parent_txid
        )),
        "the node asked for {items:?}, not the parent {parent_txid}"
    );
    // Meanwhile the child waits in the orphan pool (Core's getorphantxs).
    let orphans = node.call("getorphantxs", json!([2]));
    let child_txid = child.compute_txid().to_string();
    assert_eq!(orphans.as_array().map(Vec::len), Some(1), "{orphans}");
    assert_eq!(orphans[0]["txid"], json!(child_txid), "{orphans}");
    assert_eq!(orphans[0]["hex"], json!(tests::miniwallet::tx_hex(child)));
    assert_eq!(orphans[0]["from"].as_array().map(Vec::len), Some(1));
    assert_eq!(node.call("getorphantxs", json!([])), json!([child_txid]));
    peer.send(NetworkMessage::Tx(parent.clone()));
}

#[test]
fn p2p_an_orphan_waits_for_its_parent_which_is_fetched_from_the_sender() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start(dir.path());
    let mut wallet = MiniWallet::op_true();
    wallet.generate(&node, 101);
    let mut peer = RawPeer::connect(&node.p2p_addr());
    let (parent, child) = parent_and_child(&mut wallet, 1_000, 1_000);
    deliver_orphan(&node, &mut peer, &parent, &child);
    assert!(
        tests::eventually(std::time::Duration::from_secs(30), || {
            in_mempool(&node, &parent.compute_txid()) && in_mempool(&node, &child.compute_txid())
        }),
        "parent and child in the mempool"
    );
    assert_eq!(
        node.call("getorphantxs", json!([])),
        json!([]),
        "no orphan left"
    );
}

#[test]
fn p2p_a_child_pays_for_its_parent_as_a_one_parent_one_child_package() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start(dir.path());
    let mut wallet = MiniWallet::op_true();
    wallet.generate(&node, 101);
    let mut peer = RawPeer::connect(&node.p2p_addr());
    // The parent pays nothing: alone it misses the relay floor.
    let (parent, child) = parent_and_child(&mut wallet, 0, 20_000);
    let alone = node.call(
        "testmempoolaccept",
        json!([[tests::miniwallet::tx_hex(&parent)]]),
    );
    assert_eq!(alone[0]["allowed"], false, "{alone}");
    deliver_orphan(&node, &mut peer, &parent, &child);
    assert!(
        tests::eventually(std::time::Duration::from_secs(30), || {
            in_mempool(&node, &parent.compute_txid()) && in_mempool(&node, &child.compute_txid())
        }),
        "the package entered the mempool"
    );
    let entry = node.call(
        "getmempoolentry",
        json!([parent.compute_txid().to_string()]),
    );
    assert_eq!(entry["fees"]["base"], 0.0);
}
