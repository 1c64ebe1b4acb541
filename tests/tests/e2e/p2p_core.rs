//! Interop with Bitcoin Core over P2P on regtest: a Core `bitcoind` mines 200 blocks, our node
//! syncs them from it, mines 100 more and Core syncs those from us, and a transaction goes
//! each way; over v2 (BIP324) with us connecting, over v2 with Core connecting, over v1 with
//! our side at `-v2transport=0` (Core tries v2, we close, Core reconnects with v1), and over
//! v1 with Core at `-v2transport=0` (we try v2, Core closes, we reconnect with v1). Both
//! sides' `getpeerinfo` must agree on the transport and the session id. BIP152 compact blocks
//! go both ways too: each side picks the other as a high-bandwidth peer once it gives it a new
//! tip, and a block whose transaction the receiver has is rebuilt from its mempool.
//!
//! Core is never built here: the test uses `$CORE_BIN` or what
//! `/work/shared/tools/build-core-peer.sh` left under `~/.cache/core-peer/<ver>/build/bin`,
//! and prints a skip message when neither has a `bitcoind`.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use bitcoin::Amount;
use serde_json::{json, Value};
use tests::miniwallet::{send, MiniWallet};
use tests::{eventually, Process, RpcNode};

const WAIT: Duration = Duration::from_secs(180);

/// Core's `bitcoind`, if built.
fn core_bitcoind() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("CORE_BIN") {
        let path = Path::new(&dir).join("bitcoind");
        return path.exists().then_some(path);
    }
    let cache = Path::new(&std::env::var_os("HOME")?).join(".cache/core-peer");
    let mut found: Vec<PathBuf> = std::fs::read_dir(cache)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path().join("build/bin/bitcoind"))
        .filter(|p| p.exists())
        .collect();
    found.sort();
    found.pop()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// A Core `bitcoind` on regtest with its own datadir, answering JSON-RPC over HTTP.
struct Core {
    process: Process,
    rpc_port: u16,
    p2p_port: u16,
    dir: tempfile::TempDir,
}

impl Core {
    fn start(bitcoind: &Path, v2transport: bool) -> Core {
        let dir = tempfile::tempdir().expect("tempdir");
        let (p2p_port, rpc_port) = (free_port(), free_port());
        let args = [
            format!("-datadir={}", dir.path().display()),
            "-regtest".into(),
            "-listen=1".into(),
            format!("-port={p2p_port}"),
            "-bind=127.0.0.1".into(),
            "-listenonion=0".into(),
            format!("-rpcport={rpc_port}"),
            "-rpcuser=u".into(),
            "-rpcpassword=p".into(),
            "-server=1".into(),
            format!("-v2transport={}", u8::from(v2transport)),
            "-printtoconsole=0".into(),
            "-debug=net".into(),
        ];
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let core = Core {
            process: Process::start(bitcoind, &args),
            rpc_port,
            p2p_port,
            dir,
        };
        assert!(
            eventually(WAIT, || core.try_call("getblockcount", json!([])).is_ok()),
            "Core's RPC came up"
        );
        core
    }

    /// One JSON-RPC call over HTTP (user `u`, password `p`).
    fn try_call(&self, method: &str, params: Value) -> Result<Value, String> {
        let body =
            json!({"jsonrpc": "1.0", "id": 1, "method": method, "params": params}).to_string();
        let mut stream =
            TcpStream::connect(("127.0.0.1", self.rpc_port)).map_err(|e| e.to_string())?;
        stream
            .set_read_timeout(Some(WAIT))
            .map_err(|e| e.to_string())?;
        let request = format!(
            "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic dTpw\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream
            .write_all(request.as_bytes())
            .map_err(|e| e.to_string())?;
        let mut reply = String::new();
        stream
            .read_to_string(&mut reply)
            .map_err(|e| e.to_string())?;
        let (_, body) = reply.split_once("\r\n\r\n").ok_or("no HTTP body")?;
        let reply: Value = serde_json::from_str(body).map_err(|e| format!("{e}: {body}"))?;
        if reply["error"].is_null() {
            Ok(reply["result"].clone())
        } else {
            Err(reply["error"].to_string())
        }
    }

    fn call(&self, method: &str, params: Value) -> Value {
        self.try_call(method, params)
            .unwrap_or_else(|e| panic!("Core {method}: {e}"))
    }

    fn debug_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("regtest/debug.log")).unwrap_or_default()
    }

    fn height(&self) -> u64 {
        self.call("getblockcount", json!([]))
            .as_u64()
            .expect("height")
    }

    /// Core's only peer, once its version handshake is done.
    fn peer(&self) -> Option<Value> {
        let peers = self.call("getpeerinfo", json!([]));
        let peers = peers.as_array()?;
        (peers.len() == 1 && peers[0]["version"].as_u64().unwrap_or(0) > 0)
            .then(|| peers[0].clone())
    }
}

/// Our regtest node, listening on a free loopback port.
fn ours(dir: &Path, extra: &[&str]) -> RpcNode {
    let mut args = vec!["-disablewallet", "-bind=127.0.0.1:0"];
    args.extend_from_slice(extra);
    RpcNode::start_with(dir, "regtest", &args)
}

fn our_addr(node: &RpcNode) -> String {
    let info = node.call("getnetworkinfo", json!([]));
    let port = info["localaddresses"][0]["port"].as_u64().expect("port");
    format!("127.0.0.1:{port}")
}

fn our_height(node: &RpcNode) -> u64 {
    node.call("getblockcount", json!([]))
        .as_u64()
        .expect("height")
}

fn in_mempool(mempool: &Value, txid: &str) -> bool {
    mempool
        .as_array()
        .is_some_and(|txs| txs.iter().any(|t| t == txid))
}

/// Who opens the connection.
#[derive(Clone, Copy, PartialEq)]
enum Opener {
    Us,
    Core,
}

/// Each side's `-v2transport`.
#[derive(Clone, Copy)]
struct V2 {
    core: bool,
    ours: bool,
}

/// The whole exchange; `transport` is what both sides must report.
fn interop(bitcoind: &Path, v2: V2, opener: Opener, transport: &str) {
    let core = Core::start(bitcoind, v2.core);
    let mut wallet = MiniWallet::op_true();
    let hashes = core.call("generatetoaddress", json!([200, wallet.address()]));
    assert_eq!(core.height(), 200);

    let dir = tempfile::tempdir().expect("tempdir");
    let v2_arg = format!("-v2transport={}", u8::from(v2.ours));
    let node = ours(dir.path(), &[&v2_arg, "-connect=0"]);
    let core_addr = format!("127.0.0.1:{}", core.p2p_port);
    match opener {
        Opener::Us => node.call("addnode", json!([core_addr, "add"])),
        Opener::Core => core.call("addnode", json!([our_addr(&node), "add"])),
    };
    assert!(
        eventually(WAIT, || our_height(&node) == 200),
        "our node synced Core's chain (at {})",
        our_height(&node)
    );
    assert_eq!(
        node.call("getbestblockhash", json!([])),
        core.call("getbestblockhash", json!([]))
    );
    check_transport(&core, &node, opener, transport);
    let our_log = std::fs::read_to_string(dir.path().join("regtest/debug.log")).unwrap_or_default();
    if transport == "v1" && opener == Opener::Core && v2.core {
        // Core tried v2 first; we read its key as a wrong magic and closed.
        assert!(core
            .debug_log()
            .contains("retrying with v1 transport protocol for peer="));
        assert!(our_log.contains(": wrong network magic"));
    }
    if transport == "v1" && opener == Opener::Us && v2.ours {
        // We tried v2 first; Core read our key as a wrong magic and closed.
        assert!(our_log.contains(&format!(
            "retrying with v1 transport protocol for addr={core_addr}"
        )));
    }
    for hash in hashes.as_array().expect("hashes") {
        wallet.scan_block(&node, hash.as_str().expect("hash"));
    }
    relay_both_ways(&core, &node, &mut wallet);
    node.stop();
    let mut process = core.process;
    assert!(process.stop().success());
}

/// Both sides agree on the transport and, over v2, on the session id.
fn check_transport(core: &Core, node: &RpcNode, opener: Opener, transport: &str) {
    let mut core_peer = None;
    assert!(
        eventually(WAIT, || {
            core_peer = core.peer();
            core_peer.is_some()
        }),
        "Core has us as its peer"
    );
    let core_peer = core_peer.expect("checked");
    let our_peers = node.call("getpeerinfo", json!([]));
    assert_eq!(our_peers.as_array().map(Vec::len), Some(1), "{our_peers}");
    let our_peer = &our_peers[0];
    eprintln!(
        "Core sees {} ({}), we see {} ({}), session {}",
        core_peer["transport_protocol_type"],
        core_peer["subver"],
        our_peer["transport_protocol_type"],
        our_peer["subver"],
        our_peer["session_id"]
    );
    assert_eq!(core_peer["transport_protocol_type"], transport);
    assert_eq!(our_peer["transport_protocol_type"], transport);
    assert_eq!(core_peer["session_id"], our_peer["session_id"]);
    assert_eq!(
        core_peer["session_id"].as_str().map(str::len),
        Some(if transport == "v2" { 64 } else { 0 })
    );
    assert_eq!(core_peer["inbound"], opener == Opener::Us);
}

/// A transaction from Core reaches our mempool; our 100 blocks (the first confirms it) reach
/// Core; a transaction of ours reaches Core's mempool.
fn relay_both_ways(core: &Core, node: &RpcNode, wallet: &mut MiniWallet) {
    let utxo = wallet.take_utxo();
    let (tx, _) = wallet.self_transfer(&utxo, Amount::from_sat(1_000));
    let txid = core
        .call(
            "sendrawtransaction",
            json!([tests::miniwallet::tx_hex(&tx)]),
        )
        .as_str()
        .expect("txid")
        .to_string();
    assert!(
        eventually(WAIT, || in_mempool(
            &node.call("getrawmempool", json!([])),
            &txid
        )),
        "Core's transaction reached our mempool"
    );

    wallet.generate(node, 100);
    assert!(
        eventually(WAIT, || core.height() == 300),
        "Core synced our blocks (at {})",
        core.height()
    );
    assert_eq!(
        node.call("getbestblockhash", json!([])),
        core.call("getbestblockhash", json!([]))
    );
    assert!(!in_mempool(&core.call("getrawmempool", json!([])), &txid));

    let utxo = wallet.take_utxo();
    let (tx, _) = wallet.self_transfer(&utxo, Amount::from_sat(1_000));
    let txid = send(node, &tx).to_string();
    assert!(
        eventually(WAIT, || in_mempool(
            &core.call("getrawmempool", json!([])),
            &txid
        )),
        "our transaction reached Core's mempool"
    );
}

fn with_core(f: impl FnOnce(&Path)) {
    match core_bitcoind() {
        Some(bitcoind) => f(&bitcoind),
        None => eprintln!(
            "skipped: no Bitcoin Core bitcoind (set CORE_BIN or run \
             /work/shared/tools/build-core-peer.sh)"
        ),
    }
}

const BOTH_V2: V2 = V2 {
    core: true,
    ours: true,
};

#[test]
fn p2p_core_syncs_both_ways_over_v2_when_we_connect() {
    with_core(|bitcoind| interop(bitcoind, BOTH_V2, Opener::Us, "v2"));
}

#[test]
fn p2p_core_syncs_both_ways_over_v2_when_core_connects() {
    with_core(|bitcoind| interop(bitcoind, BOTH_V2, Opener::Core, "v2"));
}

#[test]
fn p2p_core_syncs_both_ways_over_v1_with_our_v2transport_off() {
    let v2 = V2 {
        core: true,
        ours: false,
    };
    with_core(|bitcoind| interop(bitcoind, v2, Opener::Core, "v1"));
}

#[test]
fn p2p_core_without_v2transport_gets_our_v1_fallback() {
    let v2 = V2 {
        core: false,
        ours: true,
    };
    with_core(|bitcoind| interop(bitcoind, v2, Opener::Us, "v1"));
}

/// Bytes of `msg` in a `getpeerinfo` entry's `bytesrecv_per_msg` or `bytessent_per_msg`.
fn per_msg(peer: &Value, direction: &str, msg: &str) -> Option<u64> {
    peer[direction][msg].as_u64()
}

fn our_peer(node: &RpcNode) -> Value {
    node.call("getpeerinfo", json!([]))[0].clone()
}

/// A transaction reaches `to`'s mempool from `from`'s (given with `sendrawtransaction` to
/// `from`), then `from` mines it in a block that `to` rebuilds from the `cmpctblock` without
/// asking for transactions.
fn compact_relay(bitcoind: &Path) {
    let core = Core::start(bitcoind, true);
    let mut wallet = MiniWallet::op_true();
    let hashes = core.call("generatetoaddress", json!([101, wallet.address()]));
    let dir = tempfile::tempdir().expect("tempdir");
    let node = ours(dir.path(), &["-connect=0"]);
    node.call(
        "addnode",
        json!([format!("127.0.0.1:{}", core.p2p_port), "add"]),
    );
    assert!(
        eventually(WAIT, || our_height(&node) == 101),
        "our node synced Core's chain"
    );
    for hash in hashes.as_array().expect("hashes") {
        wallet.scan_block(&node, hash.as_str().expect("hash"));
    }
    // Core -> us: Core gave us our tip, so we asked it for high-bandwidth compact blocks.
    assert!(
        eventually(WAIT, || core
            .peer()
            .is_some_and(|p| p["bip152_hb_from"] == true)),
        "Core saw our sendcmpct(true): {:?}",
        core.peer()
    );
    assert_eq!(our_peer(&node)["bip152_hb_to"], true);
    let utxo = wallet.take_utxo();
    let (tx, _) = wallet.self_transfer(&utxo, Amount::from_sat(1_000));
    let txid = core.call(
        "sendrawtransaction",
        json!([tests::miniwallet::tx_hex(&tx)]),
    );
    let txid = txid.as_str().expect("txid").to_string();
    assert!(
        eventually(WAIT, || in_mempool(
            &node.call("getrawmempool", json!([])),
            &txid
        )),
        "Core's transaction reached our mempool"
    );
    let tip = core.call("generatetoaddress", json!([1, wallet.address()]))[0].clone();
    assert!(
        eventually(WAIT, || node.call("getbestblockhash", json!([])) == tip),
        "we reached Core's tip"
    );
    let peer = our_peer(&node);
    assert!(
        per_msg(&peer, "bytesrecv_per_msg", "cmpctblock").is_some(),
        "{peer}"
    );
    assert_eq!(
        per_msg(&peer, "bytesrecv_per_msg", "blocktxn"),
        None,
        "{peer}"
    );
    assert_eq!(
        per_msg(&peer, "bytessent_per_msg", "getblocktxn"),
        None,
        "{peer}"
    );
    wallet.scan_block(&node, tip.as_str().expect("hash"));

    // Us -> Core: our first new tip reaches Core (as a compact block it asks for), which
    // then asks us for high-bandwidth compact blocks; the next one carries a transaction.
    wallet.generate(&node, 1);
    assert!(
        eventually(WAIT, || our_peer(&node)["bip152_hb_from"] == true
            && core.peer().is_some_and(|p| p["bip152_hb_to"] == true)),
        "Core selected us as a high-bandwidth peer: {:?}",
        core.peer()
    );
    let utxo = wallet.take_utxo();
    let (tx, _) = wallet.self_transfer(&utxo, Amount::from_sat(1_000));
    let txid = send(&node, &tx).to_string();
    assert!(
        eventually(WAIT, || in_mempool(
            &core.call("getrawmempool", json!([])),
            &txid
        )),
        "our transaction reached Core's mempool"
    );
    let tip = wallet.generate(&node, 1).remove(0);
    assert!(
        eventually(WAIT, || core.call("getbestblockhash", json!([]))
            == json!(tip)),
        "Core reached our tip"
    );
    let peer = core.peer().expect("Core's peer");
    assert!(
        per_msg(&peer, "bytesrecv_per_msg", "cmpctblock").is_some(),
        "{peer}"
    );
    assert_eq!(
        per_msg(&peer, "bytesrecv_per_msg", "blocktxn"),
        None,
        "{peer}"
    );
    assert!(!in_mempool(&core.call("getrawmempool", json!([])), &txid));
    node.stop();
    let mut process = core.process;
    assert!(process.stop().success());
}

#[test]
fn p2p_core_relays_compact_blocks_both_ways() {
    with_core(compact_relay);
}
