//! P2P networking between real `bitcoin-node` processes on loopback: a line of three nodes
//! syncing blocks and relaying a transaction over BIP324 v2 transport, v1 between a node with
//! `-v2transport=0` and a v2 node either way, bad peers (garbage, a bad checksum, an oversized
//! length on v1; garbage after a v2 key) disconnected with the reason logged while good peers
//! keep syncing, a node restarted mid-sync resuming from its tip, and bans (`setban`,
//! `listbanned`, `clearbanned`, `banlist.json`), addresses (learned through `getaddr`, kept in
//! `peers.json`, rate limited, an oversized `addr` disconnected) and BIP133 fee filters. Every
//! node listens on
//! `127.0.0.1:0` and reports the port the system chose in `getnetworkinfo`, so parallel tests
//! cannot race for ports.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use bitcoin::hashes::{sha256d, Hash};
use bitcoin::Amount;
use serde_json::{json, Value};
use tests::miniwallet::{send, MiniWallet};
use tests::wire::{silent_peer, version_frame};
use tests::{eventually, RpcNode};

const WAIT: Duration = Duration::from_secs(120);
/// Regtest's network magic.
const MAGIC: [u8; 4] = [0xfa, 0xbf, 0xb5, 0xda];

fn start(dir: &Path, extra: &[&str]) -> RpcNode {
    RpcNode::start_listening(dir, extra)
}

fn height(node: &RpcNode) -> u64 {
    node.call("getblockcount", json!([]))
        .as_u64()
        .expect("height")
}

fn best(node: &RpcNode) -> Value {
    node.call("getbestblockhash", json!([]))
}

fn connections(node: &RpcNode) -> u64 {
    node.call("getconnectioncount", json!([]))
        .as_u64()
        .expect("count")
}

fn debug_log(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("regtest/debug.log")).unwrap_or_default()
}

#[test]
fn p2p_line_of_three_syncs_blocks_and_relays_a_transaction() {
    let (da, db, dc) = (
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
    );
    let a = start(da.path(), &[]);
    let connect_a = format!("-connect={}", a.p2p_addr());
    // `-bind` (from `start`) keeps B listening although it has `-connect`, as in Core.
    let b = start(db.path(), &[&connect_a]);
    let connect_b = format!("-connect={}", b.p2p_addr());
    let c = start(dc.path(), &[&connect_b]);
    assert!(
        eventually(WAIT, || connections(&b) == 2),
        "B has A and C as peers"
    );

    let mut wallet = MiniWallet::op_true();
    wallet.generate(&a, 200);
    assert!(
        eventually(WAIT, || height(&c) == 200 && best(&c) == best(&a)),
        "C reached A's tip: C at {}",
        height(&c)
    );
    assert_eq!(best(&b), best(&a));

    let peers = b.call("getpeerinfo", json!([]));
    let peers = peers.as_array().expect("peers");
    assert_eq!(peers.len(), 2);
    for peer in peers {
        assert_eq!(peer["transport_protocol_type"], "v2");
        assert_eq!(peer["session_id"].as_str().map(str::len), Some(64));
        assert_eq!(peer["version"], 70016);
        assert_eq!(
            peer["servicesnames"],
            json!(["NETWORK", "WITNESS", "P2P_V2"])
        );
        assert!(peer["bytesrecv"].as_u64().expect("bytesrecv") > 0);
    }
    // Each v2 session id is the same on both ends of its connection.
    let session = |node: &RpcNode, inbound: bool| {
        let peers = node.call("getpeerinfo", json!([]));
        let peer = peers
            .as_array()
            .and_then(|p| p.iter().find(|p| p["inbound"] == inbound).cloned())
            .expect("a peer");
        assert_eq!(peer["transport_protocol_type"], "v2");
        peer["session_id"].clone()
    };
    assert_eq!(session(&a, true), session(&b, false));
    assert_eq!(session(&b, true), session(&c, false));
    assert_ne!(session(&a, true), session(&c, false));
    // The first ping goes right after the handshake.
    assert!(
        eventually(WAIT, || b
            .call("getpeerinfo", json!([]))
            .as_array()
            .is_some_and(|peers| peers
                .iter()
                .all(|p| p["pingtime"].as_f64().is_some()))),
        "both peers answered a ping"
    );
    assert!(peers
        .iter()
        .any(|p| p["inbound"] == true && p["connection_type"] == "inbound"));
    assert!(peers
        .iter()
        .any(|p| p["inbound"] == false && p["connection_type"] == "manual"));
    let totals = b.call("getnettotals", json!([]));
    assert!(totals["totalbytesrecv"].as_u64().expect("recv") > 200 * 80);
    let info = b.call("getnetworkinfo", json!([]));
    assert_eq!(info["connections_in"], 1);
    assert_eq!(info["connections_out"], 1);
    assert_eq!(info["networkactive"], true);
    assert_eq!(info["localservices"], "0000000000000809");
    assert_eq!(
        info["localservicesnames"],
        json!(["NETWORK", "WITNESS", "P2P_V2"])
    );

    // A transaction sent to C reaches A's mempool through B.
    let utxo = wallet.take_utxo();
    let (tx, _) = wallet.self_transfer(&utxo, Amount::from_sat(1_000));
    let txid = send(&c, &tx).to_string();
    let in_mempool = |node: &RpcNode| {
        node.call("getrawmempool", json!([]))
            .as_array()
            .is_some_and(|txs| txs.iter().any(|t| t == txid.as_str()))
    };
    assert!(
        eventually(WAIT, || in_mempool(&a)),
        "the transaction reached A"
    );
    assert!(in_mempool(&b));

    // Mined on A, the transaction leaves every mempool.
    wallet.generate(&a, 1);
    assert!(
        eventually(WAIT, || height(&c) == 201 && !in_mempool(&c)),
        "C saw the block"
    );
    c.stop();
    b.stop();
    a.stop();
}

/// A v1 frame with `command` and `payload` (checksum correct).
fn frame(command: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    let mut name = [0u8; 12];
    name[..command.len()].copy_from_slice(command.as_bytes());
    out.extend_from_slice(&name);
    out.extend_from_slice(&u32::try_from(payload.len()).expect("small").to_le_bytes());
    out.extend_from_slice(&sha256d::Hash::hash(payload).as_byte_array()[..4]);
    out.extend_from_slice(payload);
    out
}

/// Connects to `addr`, sends `bytes` and returns the local address once the node closed the
/// connection.
fn send_bad(addr: &str, bytes: &[u8]) -> String {
    send_more(TcpStream::connect(addr).expect("connect"), bytes)
}

#[test]
fn p2p_bad_peers_are_disconnected_with_the_reason_logged() {
    let (da, db) = (
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
    );
    let a = start(da.path(), &[]);
    let addr = a.p2p_addr();
    let b = start(db.path(), &[&format!("-connect={addr}")]);
    let mut wallet = MiniWallet::op_true();
    wallet.generate(&a, 20);
    assert!(
        eventually(WAIT, || height(&b) == 20),
        "B synced before the bad peers"
    );

    let mut garbage = vec![0xde, 0xad, 0xbe, 0xef];
    garbage.extend_from_slice(&[0x42; 60]);
    let mut bad_checksum = frame("ping", &7u64.to_le_bytes());
    bad_checksum[20] ^= 0xff;
    let mut oversized = frame("block", &[]);
    oversized[16..20].copy_from_slice(&4_000_001u32.to_le_bytes());
    let undecodable = frame("ping", &[1, 2, 3]);
    let cases: [(&[u8], &str); 4] = [
        (&garbage, "wrong network magic deadbeef"),
        (&bad_checksum, "bad checksum for ping message"),
        (&oversized, "oversized message (4000001 bytes, max 4000000)"),
        (&undecodable, "undecodable ping message"),
    ];
    for (bytes, reason) in cases {
        // A valid `version` first, so the node (v2 on) sees a v1 peer.
        let mut stream = version_frame();
        stream.extend_from_slice(bytes);
        let local = send_bad(&addr, &stream);
        let line = format!("addr={local}: {reason}");
        assert!(
            eventually(WAIT, || debug_log(da.path()).contains(&line)),
            "A logged {line:?}"
        );
        wallet.generate(&a, 5);
    }
    // A connection to ourselves is refused (the version nonce is ours).
    a.call("addnode", json!([addr, "onetry"]));
    assert!(
        eventually(WAIT, || debug_log(da.path())
            .contains("connected to self, disconnecting")),
        "A refused to talk to itself"
    );
    // The good peer kept syncing through all of it.
    assert!(
        eventually(WAIT, || height(&b) == 40 && best(&b) == best(&a)),
        "B at {}",
        height(&b)
    );
    assert_eq!(connections(&a), 1, "only B is left");
    b.stop();
    a.stop();
}

#[test]
fn p2p_restarted_node_resumes_from_its_tip() {
    let (da, dc) = (
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
    );
    let a = start(da.path(), &[]);
    let addr = a.p2p_addr();
    let mut wallet = MiniWallet::op_true();
    wallet.generate(&a, 200);
    // C downloads from A and from a peer that sits on what it is asked for, so C's blocks
    // stop short of its headers for a stalling window: stop C as soon as it has the headers.
    let c = start(dc.path(), &["-connect=0"]);
    let _silent = silent_peer(&c.p2p_addr(), 200);
    assert!(
        eventually(WAIT, || connections(&c) == 1),
        "the silent peer is connected"
    );
    c.call("addnode", json!([addr, "onetry"]));
    let headers = |node: &RpcNode| node.call("getblockchaininfo", json!([]))["headers"].as_u64();
    assert!(
        eventually(WAIT, || headers(&c) == Some(200)),
        "C has A's headers"
    );
    c.stop();

    // Restarted without peers, C is at the tip it had stored, with all the headers.
    let c = start(dc.path(), &["-connect=0"]);
    let resumed = height(&c);
    assert_eq!(headers(&c), Some(200), "the header chain was kept");
    assert_eq!(connections(&c), 0);
    eprintln!("C stopped at {resumed} of 200 blocks");

    // Connected again with addnode, it syncs the rest from there.
    c.call("addnode", json!([addr, "add"]));
    let (code, _) = c.error("addnode", json!([addr, "add"]));
    assert_eq!(code, -23, "already added");
    assert!(
        eventually(WAIT, || height(&c) == 200 && best(&c) == best(&a)),
        "C at {}",
        height(&c)
    );
    assert!(height(&c) >= resumed);

    let added = c.call("getaddednodeinfo", json!([]));
    assert_eq!(added[0]["addednode"], addr.as_str());
    assert_eq!(added[0]["connected"], true);
    assert_eq!(c.error("getaddednodeinfo", json!(["10.0.0.1:1"])).0, -24);
    let pinged = |node: &RpcNode| node.call("getpeerinfo", json!([]))[0]["pingtime"].as_f64();
    assert!(
        eventually(WAIT, || pinged(&c).is_some()),
        "first ping answered"
    );
    let ping_bytes = |node: &RpcNode| {
        node.call("getpeerinfo", json!([]))[0]["bytessent_per_msg"]["ping"]
            .as_u64()
            .unwrap_or(0)
    };
    let before = ping_bytes(&c);
    // 32 bytes on v1; 29 on v2 (3 length, 1 header, 1 short id, 8 nonce, 16 tag).
    assert!(before >= 29, "a ping is 29 bytes on the wire over v2");
    c.call("ping", json!([]));
    assert!(
        eventually(WAIT, || ping_bytes(&c) >= before + 29),
        "the ping RPC sent one"
    );
    // disconnectnode and setnetworkactive.
    let peer_id = c.call("getpeerinfo", json!([]))[0]["id"].clone();
    c.call("setnetworkactive", json!([false]));
    assert!(
        eventually(WAIT, || connections(&c) == 0),
        "network disabled"
    );
    assert_eq!(c.call("getnetworkinfo", json!([]))["networkactive"], false);
    c.call("setnetworkactive", json!([true]));
    assert!(
        eventually(WAIT, || connections(&c) == 1),
        "reconnected to the added node"
    );
    let (code, _) = c.error("disconnectnode", json!({"nodeid": peer_id}));
    assert_eq!(code, -29, "the first connection is gone");
    c.stop();
    a.stop();
}

#[test]
fn p2p_blocks_stalled_by_one_peer_are_fetched_from_another() {
    let (da, dc) = (
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
    );
    let a = start(da.path(), &[]);
    let addr_a = a.p2p_addr();
    let mut wallet = MiniWallet::op_true();
    wallet.generate(&a, 200);
    let c = start(dc.path(), &["-connect=0"]);
    let _silent = silent_peer(&c.p2p_addr(), 200);
    assert!(
        eventually(WAIT, || c.call("getpeerinfo", json!([]))[0]["version"]
            == 70016),
        "the silent peer completed the handshake"
    );
    // Headers come from A; blocks are asked of both, and what the silent peer sits on is
    // asked of A once the stalling window passes.
    c.call("addnode", json!([addr_a, "onetry"]));
    assert!(
        eventually(WAIT, || height(&c) == 200 && best(&c) == best(&a)),
        "C at {}",
        height(&c)
    );
    assert!(debug_log(dc.path()).contains("stalled from peer=0, requesting it elsewhere"));
    c.stop();
    a.stop();
}

#[test]
fn p2p_a_silent_connection_times_out_in_the_handshake() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start(dir.path(), &["-peertimeout=1"]);
    let local = send_bad(&node.p2p_addr(), &[]);
    let line = format!("addr={local}: version handshake timeout");
    assert!(
        eventually(WAIT, || debug_log(dir.path()).contains(&line)),
        "logged {line:?}"
    );
    assert_eq!(connections(&node), 0);
    node.stop();
}

struct Counts(std::sync::mpsc::Sender<u32>);

impl interfaces::NotifyNumConnectionsChanged for Counts {
    fn call(&self, num_connections: u32) -> Result<(), interfaces::Error> {
        let _ = self.0.send(num_connections);
        Ok(())
    }
}

#[test]
fn p2p_the_node_interface_reports_connections_and_traffic() {
    let (da, db) = (
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
    );
    let a = start(da.path(), &[]);
    let (_conn, init) = ipc::connect_init(&da.path().join("regtest/node.sock")).expect("connect");
    let remote = interfaces::Init::make_node(&init).expect("make_node");
    let (sender, counts) = std::sync::mpsc::channel();
    let _handler = remote
        .handle_notify_num_connections_changed(std::sync::Arc::new(Counts(sender)))
        .expect("subscribe");
    let b = start(db.path(), &[&format!("-connect={}", a.p2p_addr())]);
    assert_eq!(counts.recv_timeout(WAIT).ok(), Some(1), "B connected");
    MiniWallet::op_true().generate(&b, 3);
    assert!(eventually(WAIT, || height(&a) == 3), "A synced from B");
    let status = remote.get_status().expect("status");
    assert_eq!(status.num_connections, 1);
    assert!(status.network_active);
    assert_eq!(status.header_tip_height, 3);
    assert!(status.total_bytes_recv > 3 * 80 && status.total_bytes_sent > 0);
    b.stop();
    assert_eq!(counts.recv_timeout(WAIT).ok(), Some(0), "B disconnected");
    a.stop();
}

#[test]
fn p2p_a_longer_chain_mined_while_disconnected_reorgs_the_other_node() {
    let (da, dc) = (
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
    );
    let a = start(da.path(), &[]);
    let c = start(dc.path(), &[&format!("-connect={}", a.p2p_addr())]);
    let mut wallet = MiniWallet::op_true();
    wallet.generate(&a, 5);
    assert!(eventually(WAIT, || height(&c) == 5), "C synced");
    c.call("setnetworkactive", json!([false]));
    assert!(eventually(WAIT, || connections(&a) == 0), "A saw C go");
    wallet.generate(&a, 2);
    let stale = best(&a);
    // Another payee, so C's blocks differ from A's even when mined in the same second.
    MiniWallet::p2wpkh(3).generate(&c, 5);
    let winner = best(&c);
    c.call("setnetworkactive", json!([true]));
    assert!(
        eventually(WAIT, || best(&a) == winner),
        "A reorged to C's longer chain (A at {})",
        height(&a)
    );
    assert_eq!(height(&a), 10);
    let old = a.call("getblockheader", json!([stale]));
    assert_eq!(
        old["confirmations"], -1,
        "A's old tip left the active chain: {old}"
    );
    c.stop();
    a.stop();
}

#[test]
fn p2p_connections_beyond_maxconnections_are_refused() {
    let (da, db) = (
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
    );
    // Core's accounting: 12 connections leave one inbound slot once 8 full-relay, 2
    // block-relay-only and a feeler slot are reserved.
    let a = start(da.path(), &["-maxconnections=12"]);
    let addr = a.p2p_addr();
    let b = start(db.path(), &[&format!("-connect={addr}")]);
    assert!(eventually(WAIT, || connections(&a) == 1), "B connected");
    let local = send_bad(&addr, &[]);
    assert!(
        eventually(WAIT, || debug_log(da.path()).contains(&format!(
            "connection from {local} dropped (full, 1 peers)"
        ))),
        "A refused the second connection"
    );
    assert_eq!(connections(&a), 1, "B is still connected");
    b.stop();
    a.stop();
}

fn peer_transports(node: &RpcNode) -> Vec<(String, String)> {
    node.call("getpeerinfo", json!([]))
        .as_array()
        .expect("peers")
        .iter()
        .map(|p| {
            (
                p["transport_protocol_type"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
                p["session_id"].as_str().unwrap_or("?").to_string(),
            )
        })
        .collect()
}

#[test]
fn p2p_a_node_without_v2transport_and_a_v2_node_use_v1_either_way() {
    let (da, db, dc) = (
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
    );
    let v2 = start(da.path(), &[]);
    let v2_addr = v2.p2p_addr();
    let v1 = start(db.path(), &["-v2transport=0"]);
    let v1_addr = v1.p2p_addr();
    let info = v1.call("getnetworkinfo", json!([]));
    assert_eq!(info["localservicesnames"], json!(["NETWORK", "WITNESS"]));
    let (code, message) = v1.error("addnode", json!([v2_addr, "onetry", true]));
    assert_eq!(code, -8);
    assert_eq!(
        message,
        "Error: v2transport requested but not enabled (see -v2transport)"
    );

    // The v1-only node connects to the v2 node: the v2 node sees a v1 `version` and answers
    // in v1.
    v1.call("addnode", json!([v2_addr, "add"]));
    let mut wallet = MiniWallet::op_true();
    wallet.generate(&v2, 10);
    assert!(eventually(WAIT, || height(&v1) == 10), "v1 node synced");
    assert_eq!(peer_transports(&v1), [("v1".into(), String::new())]);
    assert_eq!(peer_transports(&v2), [("v1".into(), String::new())]);

    // A v2 node connects to the v1-only node: it closes on our key (a wrong magic to it), and
    // we connect again with v1.
    let c = start(dc.path(), &[&format!("-connect={v1_addr}")]);
    assert!(
        eventually(WAIT, || height(&c) == 10),
        "C synced from the v1 node"
    );
    assert_eq!(peer_transports(&c), [("v1".into(), String::new())]);
    assert!(debug_log(dc.path()).contains(&format!(
        "retrying with v1 transport protocol for addr={v1_addr}"
    )));
    assert!(
        eventually(WAIT, || debug_log(db.path())
            .contains(": wrong network magic")),
        "the v1 node read our v2 key as a wrong magic"
    );
    // Blocks flow from C too, over v1.
    wallet.generate(&c, 2);
    assert!(
        eventually(WAIT, || height(&v2) == 12),
        "C -> v1 node -> v2 node"
    );
    c.stop();
    v1.stop();
    v2.stop();
}

#[test]
fn p2p_garbage_after_a_v2_key_disconnects_the_sender() {
    let (da, db) = (
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
    );
    let a = start(da.path(), &[]);
    let addr = a.p2p_addr();
    let b = start(db.path(), &[&format!("-connect={addr}")]);
    let mut wallet = MiniWallet::op_true();
    wallet.generate(&a, 5);
    assert!(eventually(WAIT, || height(&b) == 5), "B synced");

    // Something that is not a v1 `version` starts a v2 handshake: the node answers with its
    // key; then more garbage than BIP324 allows before the terminator.
    let mut stream = TcpStream::connect(&addr).expect("connect");
    stream.write_all(&[0x42; 64]).expect("write key");
    stream.set_read_timeout(Some(WAIT)).expect("timeout");
    let mut key = [0u8; 64];
    stream.read_exact(&mut key).expect("the node's key");
    let local = send_more(stream, &[0x17; 4096 + 16]);
    let line =
        format!("addr={local}: v2 handshake: no garbage terminator after 4095 bytes of garbage");
    assert!(
        eventually(WAIT, || debug_log(da.path()).contains(&line)),
        "A logged {line:?}"
    );
    // A node with v2 off reads the same key as a wrong magic.
    let dc = tempfile::tempdir().expect("tempdir");
    let v1 = start(dc.path(), &["-v2transport=0"]);
    let local = send_bad(&v1.p2p_addr(), &[0x42; 64]);
    let line = format!("addr={local}: wrong network magic 42424242");
    assert!(
        eventually(WAIT, || debug_log(dc.path()).contains(&line)),
        "the v1 node logged {line:?}"
    );
    // The good peer is unaffected.
    wallet.generate(&a, 2);
    assert!(eventually(WAIT, || height(&b) == 7), "B kept syncing");
    assert_eq!(connections(&a), 1);
    v1.stop();
    b.stop();
    a.stop();
}

/// Sends `bytes` on an open connection and returns its local address once the node closed it.
fn send_more(mut stream: TcpStream, bytes: &[u8]) -> String {
    let local = stream.local_addr().expect("local").to_string();
    // The node may close before reading all of it: a failed write is fine.
    let _ = stream.write_all(bytes);
    stream.set_read_timeout(Some(WAIT)).expect("timeout");
    let mut buf = [0u8; 4096];
    let closed = loop {
        match stream.read(&mut buf) {
            Ok(0) => break true,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break true,
            Err(_) => break false,
        }
    };
    assert!(closed, "the node closed the connection from {local}");
    local
}

#[test]
fn p2p_setban_listbanned_clearbanned_persist_in_banlist_json() {
    let (da, db) = (
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
    );
    let a = start(da.path(), &[]);
    let addr = a.p2p_addr();
    let b = start(db.path(), &[&format!("-connect={addr}")]);
    assert!(eventually(WAIT, || connections(&a) == 1), "B connected");

    // Banning B's address drops it, and its reconnections are refused.
    a.call("setban", json!(["127.0.0.1", "add"]));
    assert!(
        eventually(WAIT, || debug_log(da.path())
            .contains("connection from 127.0.0.1:")
            && debug_log(da.path()).contains("dropped (banned)")),
        "B's reconnection was refused"
    );
    assert!(
        eventually(WAIT, || debug_log(da.path()).contains(": banned")),
        "B was disconnected as banned"
    );
    assert!(eventually(WAIT, || connections(&a) == 0), "B is gone");
    a.call("setban", json!(["10.1.2.3/255.255.0.0", "add", 1000]));
    let banned = a.call("listbanned", json!([]));
    let banned = banned.as_array().expect("array");
    assert_eq!(banned.len(), 2);
    assert_eq!(banned[0]["address"], "127.0.0.1/32");
    assert_eq!(banned[0]["ban_duration"], 86_400);
    assert_eq!(banned[1]["address"], "10.1.0.0/16");
    assert_eq!(banned[1]["ban_duration"], 1000);
    assert!(banned[1]["time_remaining"].as_u64().expect("remaining") <= 1000);

    // Core's errors.
    assert_eq!(a.error("setban", json!(["127.0.0.1", "add"])).0, -23);
    assert_eq!(a.error("setban", json!(["not-an-ip", "add"])).0, -30);
    assert_eq!(a.error("setban", json!(["10.9.9.9", "remove"])).0, -30);
    assert_eq!(a.error("setban", json!(["10.9.9.9", "add", 1, true])).0, -8);
    a.call("setban", json!(["10.1.0.0/16", "remove"]));

    // Kept in banlist.json, in Core's format, across a restart.
    let file: Value = serde_json::from_str(
        &std::fs::read_to_string(da.path().join("regtest/banlist.json")).expect("banlist.json"),
    )
    .expect("json");
    let nets = file["banned_nets"].as_array().expect("banned_nets");
    assert_eq!(nets.len(), 1);
    assert_eq!(nets[0]["address"], "127.0.0.1/32");
    assert_eq!(nets[0]["version"], 1);
    assert!(nets[0]["banned_until"].as_u64() > nets[0]["ban_created"].as_u64());
    a.stop();
    let a = start(da.path(), &[]);
    let banned = a.call("listbanned", json!([]));
    assert_eq!(banned.as_array().map(Vec::len), Some(1));
    assert_eq!(banned[0]["address"], "127.0.0.1/32");

    // Cleared, B may connect again.
    a.call("clearbanned", json!([]));
    assert_eq!(a.call("listbanned", json!([])), json!([]));
    b.call("addnode", json!([a.p2p_addr(), "onetry"]));
    assert!(
        eventually(WAIT, || connections(&a) == 1),
        "B connected again"
    );
    let file = std::fs::read_to_string(da.path().join("regtest/banlist.json")).expect("file");
    assert_eq!(
        serde_json::from_str::<Value>(&file).expect("json"),
        json!({"banned_nets": []})
    );
    b.stop();
    a.stop();
}

/// The `address:port` of each address in `getnodeaddresses 0`.
fn known_addresses(node: &RpcNode) -> Vec<String> {
    let list = node.call("getnodeaddresses", json!([0]));
    let mut all: Vec<String> = list
        .as_array()
        .expect("array")
        .iter()
        .map(|a| format!("{}:{}", a["address"].as_str().expect("address"), a["port"]))
        .collect();
    all.sort();
    all
}

#[test]
fn p2p_addresses_are_learned_by_getaddr_and_kept_in_peers_json() {
    let (da, db, dc) = (
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
    );
    let c = start(dc.path(), &[]);
    let c_addr = c.p2p_addr();
    let b = start(db.path(), &[&format!("-addnode={c_addr}")]);
    let b_addr = b.p2p_addr();
    // B reached C: C's listening address is in B's table.
    assert!(
        eventually(WAIT, || known_addresses(&b) == vec![c_addr.clone()]),
        "B knows C"
    );
    // A connects to B, asks it for addresses (getaddr) and learns C's from the answer.
    let a = start(da.path(), &[&format!("-addnode={b_addr}")]);
    let mut both = vec![b_addr.clone(), c_addr.clone()];
    both.sort();
    assert!(
        eventually(WAIT, || known_addresses(&a) == both),
        "A learned B and C: {:?}",
        known_addresses(&a)
    );
    let peer = &a.call("getpeerinfo", json!([]))[0];
    assert!(peer["addr_processed"].as_u64() >= Some(1), "{peer}");
    assert_eq!(peer["addr_rate_limited"], 0);
    // Core's shape and errors.
    let one = a.call("getnodeaddresses", json!([]));
    assert_eq!(one.as_array().map(Vec::len), Some(1));
    let entry = &one[0];
    assert_eq!(entry["network"], "not_publicly_routable");
    assert!(entry["time"].as_u64().is_some() && entry["services"].as_u64().is_some());
    assert_eq!(a.call("getnodeaddresses", json!([0, "ipv4"])), json!([]));
    assert_eq!(
        a.error("getnodeaddresses", json!([-1])),
        (-8, "Address count out of range".into())
    );
    assert_eq!(
        a.error("getnodeaddresses", json!([1, "tor"])),
        (-8, "Network not recognized: tor".into())
    );

    // Restarted (without -addnode), A still knows both, from peers.json.
    a.stop();
    let file: Value = serde_json::from_str(
        &std::fs::read_to_string(da.path().join("regtest/peers.json")).expect("peers.json"),
    )
    .expect("json");
    assert_eq!(file["version"], 1);
    assert_eq!(file["addresses"].as_array().map(Vec::len), Some(2));
    let a = start(da.path(), &[]);
    assert_eq!(known_addresses(&a), both);
    a.stop();

    // A corrupt file is logged and set aside; the node starts with an empty table.
    std::fs::write(da.path().join("regtest/peers.json"), "{corrupt").expect("write");
    let a = start(da.path(), &[]);
    assert!(debug_log(da.path()).contains("invalid or corrupt peers file"));
    assert_eq!(known_addresses(&a), Vec::<String>::new());
    assert_eq!(
        std::fs::read_to_string(da.path().join("regtest/peers.json.bak")).expect("bak"),
        "{corrupt"
    );
    a.stop();
    b.stop();
    c.stop();
}

/// A v1 `addr` frame with `n` addresses seen now.
fn addr_frame(n: u16) -> Vec<u8> {
    use bitcoin::consensus::encode::serialize;
    use bitcoin::p2p::message::{NetworkMessage, RawNetworkMessage};
    use bitcoin::p2p::{Address, Magic, ServiceFlags};

    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let list = (0..n)
        .map(|i| {
            let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 20_000 + i));
            (
                u32::try_from(now).expect("time"),
                Address::new(&addr, ServiceFlags::NETWORK),
            )
        })
        .collect();
    serialize(&RawNetworkMessage::new(
        Magic::REGTEST,
        NetworkMessage::Addr(list),
    ))
}

#[test]
fn p2p_addr_messages_are_rate_limited_and_an_oversized_one_disconnects() {
    let (da, db) = (
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
    );
    let a = start(da.path(), &[]);
    let addr = a.p2p_addr();
    // B, connected to A, gets the fresh address the bad peer announces (relayed, or in A's
    // answer to B's getaddr if that came late).
    let b = start(db.path(), &[&format!("-addnode={addr}")]);
    assert!(
        eventually(WAIT, || a.call("getpeerinfo", json!([]))[0]
            ["bytesrecv_per_msg"]["getaddr"]
            .is_u64()),
        "B asked A for addresses"
    );
    let mut stream = TcpStream::connect(&addr).expect("connect");
    let mut hello = version_frame();
    hello.extend_from_slice(&frame("verack", &[]));
    // Five addresses: the bucket holds one token at first, the other four are dropped.
    hello.extend_from_slice(&addr_frame(5));
    stream.write_all(&hello).expect("write");
    let counted = || {
        let peers = a.call("getpeerinfo", json!([]));
        let bad = peers
            .as_array()
            .and_then(|all| all.iter().find(|p| p["subver"] == "/bad:0.1/").cloned())
            .unwrap_or_default();
        (
            bad["addr_processed"].clone(),
            bad["addr_rate_limited"].clone(),
        )
    };
    assert!(
        eventually(WAIT, || counted() == (json!(1), json!(4))),
        "{:?}",
        counted()
    );
    assert_eq!(known_addresses(&a), vec!["127.0.0.1:20000".to_string()]);
    assert!(
        eventually(WAIT, || known_addresses(&b)
            .contains(&"127.0.0.1:20000".to_string())),
        "B learned the address from A"
    );
    // 1001 addresses: more than Core's MAX_ADDR_TO_SEND.
    let local = send_more(stream, &addr_frame(1001));
    let line = format!("addr={local}: addr message size = 1001");
    assert!(
        eventually(WAIT, || debug_log(da.path()).contains(&line)),
        "A logged {line:?}"
    );
    b.stop();
    a.stop();
}

/// Reads v1 messages from `stream` until an `inv` of transactions; returns its txids (and
/// wtxids, as txids' bytes are the same type here).
fn next_tx_inv(stream: &mut TcpStream) -> Vec<String> {
    use bitcoin::p2p::message::{NetworkMessage, RawNetworkMessage};
    use bitcoin::p2p::message_blockdata::Inventory;

    stream.set_read_timeout(Some(WAIT)).expect("timeout");
    loop {
        let mut frame = vec![0u8; 24];
        stream.read_exact(&mut frame).expect("header");
        let len = u32::from_le_bytes(frame[16..20].try_into().expect("4 bytes")) as usize;
        let mut payload = vec![0u8; len];
        stream.read_exact(&mut payload).expect("payload");
        frame.extend_from_slice(&payload);
        let message: RawNetworkMessage =
            bitcoin::consensus::encode::deserialize(&frame).expect("a message");
        if let NetworkMessage::Inv(items) = message.payload() {
            let txs: Vec<String> = items
                .iter()
                .filter_map(|item| match item {
                    Inventory::Transaction(txid) | Inventory::WitnessTransaction(txid) => {
                        Some(txid.to_string())
                    }
                    Inventory::WTx(wtxid) => Some(wtxid.to_string()),
                    _ => None,
                })
                .collect();
            if !txs.is_empty() {
                return txs;
            }
        }
    }
}

/// A v1 `version` (relaying transactions) then `verack` and `feefilter` of `rate` sat/kvB.
fn feefilter_peer_hello(rate: i64) -> Vec<u8> {
    use bitcoin::consensus::encode::serialize;
    use bitcoin::p2p::message::{NetworkMessage, RawNetworkMessage};
    use bitcoin::p2p::message_network::VersionMessage;
    use bitcoin::p2p::{Address, Magic, ServiceFlags};

    let unspecified = std::net::SocketAddr::from(([0, 0, 0, 0], 0));
    let mut version = VersionMessage::new(
        ServiceFlags::NONE,
        0,
        Address::new(&unspecified, ServiceFlags::NONE),
        Address::new(&unspecified, ServiceFlags::NONE),
        0x0fee_f117,
        "/feefilter:0.1/".into(),
        0,
    );
    version.version = 70016;
    version.relay = true;
    let mut out = serialize(&RawNetworkMessage::new(
        Magic::REGTEST,
        NetworkMessage::Version(version),
    ));
    out.extend_from_slice(&frame("verack", &[]));
    out.extend_from_slice(&frame("feefilter", &rate.to_le_bytes()));
    out
}

#[test]
fn p2p_feefilter_is_sent_shown_in_getpeerinfo_and_honoured() {
    let (da, db) = (
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
    );
    // A relays nothing under 10,000 sat/kvB and tells B so; B tells A its default 100.
    let a = start(da.path(), &["-minrelaytxfee=0.0001"]);
    let b = start(db.path(), &[&format!("-addnode={}", a.p2p_addr())]);
    let filter_of = |node: &RpcNode, subver: &str| {
        let peers = node.call("getpeerinfo", json!([]));
        peers
            .as_array()
            .and_then(|all| {
                all.iter()
                    .find(|p| p["subver"].as_str().is_some_and(|s| s.contains(subver)))
                    .cloned()
            })
            .unwrap_or_default()["minfeefilter"]
            .to_string()
    };
    assert!(
        eventually(WAIT, || filter_of(&b, "/") == "0.00010000"),
        "B sees A's filter: {}",
        filter_of(&b, "/")
    );
    assert!(
        eventually(WAIT, || filter_of(&a, "/") == "0.00000100"),
        "A sees B's filter: {}",
        filter_of(&a, "/")
    );

    // A raw peer with a 10,000 sat/kvB filter is announced only the transaction paying more.
    let mut wallet = MiniWallet::op_true();
    wallet.generate(&b, 101);
    let mut raw = TcpStream::connect(b.p2p_addr()).expect("connect");
    raw.write_all(&feefilter_peer_hello(10_000)).expect("write");
    assert!(
        eventually(WAIT, || filter_of(&b, "/feefilter:0.1/") == "0.00010000"),
        "B took the raw peer's filter"
    );
    let utxo = wallet.take_utxo();
    let (low, _) = wallet.self_transfer(&utxo, Amount::from_sat(200));
    let utxo = wallet.take_utxo();
    let (high, _) = wallet.self_transfer(&utxo, Amount::from_sat(20_000));
    assert!(
        low.vsize() * 10 > 200 && low.vsize() / 10 < 200,
        "about 2 sat/vB"
    );
    send(&b, &low);
    send(&b, &high);
    // Announcements go in mempool order: had the low one been announced, it would come first.
    let announced = next_tx_inv(&mut raw);
    assert_eq!(announced, vec![high.compute_txid().to_string()]);
    // A gets the high one, through its own filter.
    assert!(
        eventually(WAIT, || a
            .call("getrawmempool", json!([]))
            .as_array()
            .is_some_and(
                |m| m.contains(&json!(high.compute_txid().to_string()))
            )),
        "A got the high-fee transaction"
    );
    b.stop();
    a.stop();
}
