//! BIP152 compact blocks between two real `bitcoin-node` processes on loopback (B connects to
//! A): a block whose transaction B already has is rebuilt from B's mempool out of the
//! `cmpctblock` A pushes to its high-bandwidth peer, with no `getblocktxn`, `blocktxn` or
//! `block`; and a block with a transaction B never saw is fetched as a compact block
//! (low bandwidth: `getdata(MSG_CMPCT_BLOCK)` after A's header) and completed with
//! `getblocktxn`/`blocktxn`. Both show in `getpeerinfo` (`bytesrecv_per_msg`,
//! `bytessent_per_msg`, `bip152_hb_to`, `bip152_hb_from`). A raw peer breaking the protocol
//! (a `getblocktxn` index past the end of the block, a `cmpctblock` whose prefilled index is
//! past its end) is disconnected with the reason logged, and the node carries on.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use bitcoin::bip152::{BlockTransactionsRequest, HeaderAndShortIds, PrefilledTransaction};
use bitcoin::block::Header;
use bitcoin::consensus::encode::{deserialize_hex, serialize};
use bitcoin::p2p::message::{NetworkMessage, RawNetworkMessage};
use bitcoin::p2p::message_compact_blocks::{CmpctBlock, GetBlockTxn};
use bitcoin::p2p::message_network::VersionMessage;
use bitcoin::p2p::{Address, Magic, ServiceFlags};
use bitcoin::{Amount, BlockHash};
use serde_json::{json, Value};
use tests::miniwallet::{node_block, send, MiniWallet};
use tests::{eventually, RpcNode};

const WAIT: Duration = Duration::from_secs(120);

fn start(dir: &Path, extra: &[&str]) -> RpcNode {
    RpcNode::start_listening(dir, extra)
}

fn best(node: &RpcNode) -> Value {
    node.call("getbestblockhash", json!([]))
}

/// The node's only peer, if it has exactly one.
fn only_peer(node: &RpcNode) -> Option<Value> {
    let peers = node.call("getpeerinfo", json!([]));
    match peers.as_array().map(Vec::as_slice) {
        Some([peer]) => Some(peer.clone()),
        _ => None,
    }
}

fn peer(node: &RpcNode) -> Value {
    only_peer(node).expect("one peer")
}

/// Bytes of `msg` messages received from `peer` (`bytesrecv_per_msg`), if any.
fn received(peer: &Value, msg: &str) -> Option<u64> {
    peer["bytesrecv_per_msg"][msg].as_u64()
}

/// Bytes of `msg` messages sent to `peer` (`bytessent_per_msg`), if any.
fn sent(peer: &Value, msg: &str) -> Option<u64> {
    peer["bytessent_per_msg"][msg].as_u64()
}

fn in_mempool(node: &RpcNode, txid: &str) -> bool {
    node.call("getrawmempool", json!([]))
        .as_array()
        .is_some_and(|txs| txs.iter().any(|t| t == txid))
}

/// A, and B connected to it, with 101 blocks mined on A (a spendable coinbase) and synced.
fn pair(da: &Path, db: &Path) -> (RpcNode, RpcNode, MiniWallet) {
    let a = start(da, &["-debug=net"]);
    let b = start(db, &["-debug=net", &format!("-connect={}", a.p2p_addr())]);
    assert!(
        eventually(WAIT, || only_peer(&a).is_some() && only_peer(&b).is_some()),
        "B connected to A"
    );
    let mut wallet = MiniWallet::op_true();
    wallet.generate(&a, 101);
    assert!(
        eventually(WAIT, || best(&b) == best(&a)),
        "B synced A's 101 blocks"
    );
    (a, b, wallet)
}

/// Takes B off the network, runs `meanwhile`, and connects B to A again: a fresh connection,
/// whose per-message counters start at zero, once both sides have the other's `sendcmpct`.
fn reconnect(a: &RpcNode, b: &RpcNode, meanwhile: impl FnOnce()) {
    b.call("setnetworkactive", json!([false]));
    assert!(
        eventually(WAIT, || a
            .call("getpeerinfo", json!([]))
            .as_array()
            .is_some_and(Vec::is_empty)),
        "A saw B go"
    );
    meanwhile();
    b.call("setnetworkactive", json!([true]));
    assert!(
        eventually(WAIT, || {
            let both = only_peer(a).zip(only_peer(b));
            both.is_some_and(|(pa, pb)| {
                received(&pa, "sendcmpct").is_some() && received(&pb, "sendcmpct").is_some()
            })
        }),
        "B reconnected to A and both sent sendcmpct"
    );
}

#[test]
fn p2p_compact_block_is_rebuilt_from_the_mempool_without_blocktxn() {
    let (da, db) = (
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
    );
    let (a, b, mut wallet) = pair(da.path(), db.path());
    reconnect(&a, &b, || {});
    // A new tip from A makes A one of B's high-bandwidth peers: B sends `sendcmpct(true)`.
    wallet.generate(&a, 1);
    assert!(
        eventually(WAIT, || best(&b) == best(&a)
            && peer(&b)["bip152_hb_to"] == true
            && peer(&a)["bip152_hb_from"] == true),
        "B selected A as a high-bandwidth peer: {} / {}",
        peer(&b),
        peer(&a)
    );
    assert_eq!(peer(&b)["bip152_hb_from"], false, "A did not select B");
    assert_eq!(peer(&a)["bip152_hb_to"], false);

    let utxo = wallet.take_utxo();
    let (tx, _) = wallet.self_transfer(&utxo, Amount::from_sat(1_000));
    assert_ne!(
        tx.compute_txid().to_string(),
        tx.compute_wtxid().to_string()
    );
    let txid = send(&a, &tx).to_string();
    assert!(
        eventually(WAIT, || in_mempool(&b, &txid)),
        "the transaction reached B"
    );
    let hash = wallet.generate(&a, 1).remove(0);
    assert!(
        eventually(WAIT, || best(&b) == json!(hash)),
        "B reached A's tip"
    );
    let block = b.call("getblock", json!([hash, 1]));
    assert!(
        block["tx"]
            .as_array()
            .is_some_and(|txs| txs.iter().any(|t| *t == json!(txid))),
        "B's block holds the transaction: {block}"
    );
    assert!(!in_mempool(&b, &txid));
    // A pushed it unasked (high bandwidth); B needed nothing but its mempool.
    let pushed = format!("sending cmpctblock {hash} to peer=");
    assert!(
        debug_log(da.path()).contains(&pushed),
        "A logged {pushed:?}"
    );
    let rebuilt = format!("rebuilt block {hash} from peer=");
    let line = debug_log(db.path())
        .lines()
        .find(|l| l.contains(&rebuilt))
        .map(str::to_string);
    assert!(
        line.as_deref()
            .is_some_and(|l| l.ends_with(": 1 from the mempool, 0 asked for")),
        "B logged {line:?}"
    );

    let from_a = peer(&b);
    assert!(
        received(&from_a, "cmpctblock").is_some_and(|n| n > 0),
        "B got compact blocks: {from_a}"
    );
    assert_eq!(received(&from_a, "blocktxn"), None, "{from_a}");
    assert_eq!(received(&from_a, "block"), None, "{from_a}");
    assert_eq!(sent(&from_a, "getblocktxn"), None, "{from_a}");
    let to_b = peer(&a);
    assert!(sent(&to_b, "cmpctblock").is_some_and(|n| n > 0), "{to_b}");
    assert_eq!(sent(&to_b, "block"), None, "{to_b}");
    assert!(received(&to_b, "sendcmpct").is_some(), "{to_b}");
    b.stop();
    a.stop();
}

#[test]
fn p2p_compact_block_missing_a_transaction_is_completed_with_blocktxn() {
    let (da, db) = (
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
    );
    let (a, b, mut wallet) = pair(da.path(), db.path());
    // The transaction goes to A while B is away, so B never hears of it.
    let utxo = wallet.take_utxo();
    let (tx, _) = wallet.self_transfer(&utxo, Amount::from_sat(1_000));
    let mut txid = String::new();
    reconnect(&a, &b, || {
        txid = send(&a, &tx).to_string();
        assert!(in_mempool(&a, &txid));
    });
    assert!(!in_mempool(&b, &txid));
    assert_eq!(
        peer(&b)["bip152_hb_to"],
        false,
        "a new connection is low bandwidth"
    );

    let hash = wallet.generate(&a, 1).remove(0);
    assert!(
        eventually(WAIT, || best(&b) == json!(hash)),
        "B reached A's tip"
    );
    let block = b.call("getblock", json!([hash, 1]));
    assert_eq!(block["tx"].as_array().map(Vec::len), Some(2), "{block}");
    assert_eq!(block["tx"][1], json!(txid));
    // Asked for as a compact block after A's header, not pushed.
    let pushed = format!("sending cmpctblock {hash} to peer=");
    assert!(!debug_log(da.path()).contains(&pushed), "A did not push it");
    let rebuilt = format!("rebuilt block {hash} from peer=");
    let line = debug_log(db.path())
        .lines()
        .find(|l| l.contains(&rebuilt))
        .map(str::to_string);
    assert!(
        line.as_deref()
            .is_some_and(|l| l.ends_with(": 0 from the mempool, 1 asked for")),
        "B logged {line:?}"
    );

    let from_a = peer(&b);
    assert!(
        received(&from_a, "cmpctblock").is_some_and(|n| n > 0),
        "{from_a}"
    );
    assert!(
        sent(&from_a, "getblocktxn").is_some_and(|n| n > 0),
        "{from_a}"
    );
    assert!(
        received(&from_a, "blocktxn").is_some_and(|n| n > 0),
        "{from_a}"
    );
    assert_eq!(received(&from_a, "block"), None, "{from_a}");
    let to_b = peer(&a);
    assert!(received(&to_b, "getblocktxn").is_some(), "{to_b}");
    assert!(sent(&to_b, "blocktxn").is_some(), "{to_b}");
    // B's new tip came from A: A is now one of B's high-bandwidth peers.
    assert!(
        eventually(WAIT, || peer(&b)["bip152_hb_to"] == true),
        "{}",
        peer(&b)
    );
    b.stop();
    a.stop();
}

/// Connects to `addr` as a v1 peer, sends `version`, `verack` and `messages`, and returns
/// the local address once the node closed the connection.
fn raw_peer(addr: &str, messages: Vec<NetworkMessage>) -> String {
    let unspecified = std::net::SocketAddr::from(([0, 0, 0, 0], 0));
    let mut version = VersionMessage::new(
        ServiceFlags::NONE,
        0,
        Address::new(&unspecified, ServiceFlags::NONE),
        Address::new(&unspecified, ServiceFlags::NONE),
        0x0c0f_fee0,
        "/raw:0.1/".into(),
        0,
    );
    version.version = 70016;
    let mut stream = TcpStream::connect(addr).expect("connect");
    let local = stream.local_addr().expect("local address").to_string();
    let all = [NetworkMessage::Version(version), NetworkMessage::Verack]
        .into_iter()
        .chain(messages);
    for message in all {
        let bytes = serialize(&RawNetworkMessage::new(Magic::REGTEST, message));
        stream.write_all(&bytes).expect("send");
    }
    stream.set_read_timeout(Some(WAIT)).expect("timeout");
    let mut buf = [0u8; 4096];
    while matches!(stream.read(&mut buf), Ok(n) if n > 0) {}
    local
}

fn debug_log(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("regtest/debug.log")).unwrap_or_default()
}

/// A header on `node`'s tip with valid regtest proof of work.
fn next_header(node: &RpcNode) -> Header {
    let tip: Header = deserialize_hex(
        node.call("getblockheader", json!([best(node), false]))
            .as_str()
            .expect("hex"),
    )
    .expect("header");
    let mut header = Header {
        prev_blockhash: tip.block_hash(),
        time: tip.time + 1,
        nonce: 0,
        ..tip
    };
    while header.validate_pow(header.target()).is_err() {
        header.nonce += 1;
    }
    header
}

#[test]
fn p2p_compact_protocol_violations_disconnect_with_the_reason_logged() {
    let da = tempfile::tempdir().expect("tempdir");
    let a = start(da.path(), &[]);
    let addr = a.p2p_addr();
    let mut wallet = MiniWallet::op_true();
    let tip = wallet.generate(&a, 3).remove(2);
    let tip_hash: BlockHash = tip.parse().expect("hash");

    // A getblocktxn for a transaction past the end of the block.
    let request = NetworkMessage::GetBlockTxn(GetBlockTxn {
        txs_request: BlockTransactionsRequest {
            block_hash: tip_hash,
            indexes: vec![0, 7],
        },
    });
    let local = raw_peer(&addr, vec![request]);
    let line = format!(
        "addr={local}: getblocktxn for block {tip}: invalid: getblocktxn with out-of-bounds tx \
         index 7 (block has 1)"
    );
    assert!(
        eventually(WAIT, || debug_log(da.path()).contains(&line)),
        "A logged {line:?}"
    );

    // A cmpctblock on A's tip (a valid header) whose prefilled index is past the end.
    let header = next_header(&a);
    let coinbase = node_block(&a, &tip).txdata.remove(0);
    let compact = NetworkMessage::CmpctBlock(CmpctBlock {
        compact_block: HeaderAndShortIds {
            header,
            nonce: 1,
            short_ids: Vec::new(),
            prefilled_txs: vec![PrefilledTransaction {
                idx: 5,
                tx: coinbase,
            }],
        },
    });
    let local = raw_peer(&addr, vec![compact]);
    let line = format!(
        "addr={local}: invalid cmpctblock {}: invalid: prefilled transaction index 5 out of range",
        header.block_hash()
    );
    assert!(
        eventually(WAIT, || debug_log(da.path()).contains(&line)),
        "A logged {line:?}"
    );
    // A is alive and still mines on its own tip.
    assert_eq!(best(&a), json!(tip));
    wallet.generate(&a, 1);
    assert_eq!(
        a.call("getblockcount", json!([])).as_u64(),
        Some(4),
        "A kept its chain"
    );
    a.stop();
}
