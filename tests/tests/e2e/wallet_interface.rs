//! The `Wallet` and `WalletLoader` conformance suite over IPC, end to end: a real
//! `bitcoin-node` (listening with `-ipcbind=unix`) spawns its real `bitcoin-wallet` process;
//! this process connects to the node's socket and gets the wallet process's loader through
//! `Node.walletLoader`, so every call crosses two connections.

use bitcoin::hashes::Hash;
use bitcoin::{Address, Network, ScriptBuf, WPubkeyHash};
use interfaces::wallet_conformance::{run, Harness};
use interfaces::{Init, Rpc, WalletLoader};
use serde_json::{json, Value};
use tests::Node;

/// An address no wallet owns.
fn foreign_address() -> String {
    let script = ScriptBuf::new_p2wpkh(&WPubkeyHash::from_byte_array([7; 20]));
    Address::from_script(&script, Network::Regtest)
        .expect("address")
        .to_string()
}

fn result(rpc: &dyn Rpc, uri: &str, method: &str, params: Value) -> Value {
    let request = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let reply = rpc
        .execute_rpc(&request.to_string(), uri, "")
        .expect("execute_rpc");
    let reply: Value = serde_json::from_str(&reply).expect("a JSON reply");
    assert!(reply["error"].is_null(), "{uri} {method}: {reply}");
    reply["result"].clone()
}

/// Mines `n` blocks to `address`, then waits until every loaded wallet has processed them:
/// a wallet RPC first brings its wallet up to the node's tip (Core's
/// `BlockUntilSyncedToCurrentChain`), and the reply says where the wallet is.
fn mine(rpc: &dyn Rpc, loader: &dyn WalletLoader, n: u32, address: &str) {
    let hashes = result(rpc, "/", "generatetoaddress", json!([n, address]));
    let tip = hashes
        .as_array()
        .and_then(|h| h.last())
        .cloned()
        .expect("blocks mined");
    for name in loader.list_wallets().expect("list_wallets") {
        let info = result(rpc, &format!("/wallet/{name}"), "getwalletinfo", json!([]));
        assert_eq!(info["lastprocessedblock"]["hash"], tip, "{name}: {info}");
    }
}

#[test]
fn wallet_interface_over_ipc_passes_the_conformance_suite() {
    let node = Node::start(&["-printtoconsole=0"]);
    let (_conn, init) = ipc::connect_init(&node.socket()).expect("connect");
    let remote = init.make_node().expect("make_node");
    let loader = remote.wallet_loader().expect("the node's wallet loader");
    let rpc = init.make_rpc().expect("make_rpc");
    let backups = tempfile::tempdir().expect("tempdir");
    let foreign = foreign_address();
    let mine = |n: u32, address: &str| mine(rpc.as_ref(), loader.as_ref(), n, address);
    let harness = Harness {
        mine: &mine,
        foreign_address: &foreign,
        backup_dir: backups.path(),
    };
    run(loader.as_ref(), &harness);
}
