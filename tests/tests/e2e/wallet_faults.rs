//! The node's wallet process under faults, and the node as a front end spawns it: a wallet
//! process killed between a send and the next block is restarted by the node with its
//! wallets, nothing it reported is lost, and the node answers throughout; a node spawned
//! over a socketpair starts with its parent's arguments (`Init.configure`) and hands out its
//! wallet loader (`Node.walletLoader`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde_json::{json, Value};
use tests::RpcNode;

const COIN: i64 = 100_000_000;

fn sats(value: &Value) -> i64 {
    (value.as_f64().expect("a number") * 1e8).round() as i64
}

fn wallet_child(node: &RpcNode) -> u32 {
    let mut pid = None;
    assert!(
        tests::eventually(Duration::from_secs(10), || {
            pid = tests::children(node.process.pid(), "bitcoin-wallet")
                .first()
                .copied();
            pid.is_some()
        }),
        "no bitcoin-wallet child of the node"
    );
    pid.unwrap_or_default()
}

#[test]
fn a_killed_wallet_process_is_restarted_with_its_wallets_and_loses_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = RpcNode::start_with(dir.path(), "regtest", &["-fallbackfee=0.0002"]);
    let first = wallet_child(&node);
    // Not on the startup list: only the running session brings them back.
    for name in ["a", "b"] {
        node.call("createwallet", json!([name]));
    }
    let a_addr = node.wallet_call("a", "getnewaddress", json!([]));
    node.call("generatetoaddress", json!([101, a_addr]));
    let b_addr = node.wallet_call("b", "getnewaddress", json!([]));
    let txid = node.wallet_call("a", "sendtoaddress", json!([b_addr, 2]));
    let a_after_send = sats(&node.wallet_call("a", "getbalance", json!([])));

    kill(Pid::from_raw(first as i32), Signal::SIGKILL).expect("kill");
    assert!(
        tests::eventually(Duration::from_secs(10), || tests::process_gone(first)),
        "the wallet process survived SIGKILL"
    );
    // The node answers its own methods, and wallet methods fail at once with a clear error
    // (the restart waits a second).
    assert!(node.call("getblockcount", json!([])).as_i64() == Some(101));
    let asked = Instant::now();
    let reply = node.wallet_reply("a", "getbalance", json!([]));
    assert!(
        asked.elapsed() < Duration::from_secs(2),
        "a wallet call hung"
    );
    let message = reply["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("Wallet process") || message.contains("disconnected"),
        "expected a wallet-process error, got {reply}"
    );
    assert!(
        node.call("getrawmempool", json!([]))
            .as_array()
            .is_some_and(|m| m.contains(&txid)),
        "the send is still in the node's mempool"
    );

    // A new process comes back with both wallets loaded and the send intact.
    let mut second = first;
    assert!(
        tests::eventually(Duration::from_secs(20), || {
            second = tests::children(node.process.pid(), "bitcoin-wallet")
                .first()
                .copied()
                .unwrap_or(first);
            second != first && node.wallet_reply("b", "getwalletinfo", json!([]))["error"].is_null()
        }),
        "the wallet process was not restarted with its wallets"
    );
    let listed = node.call("listwallets", json!([]));
    assert_eq!(listed, json!(["a", "b"]));
    assert_eq!(
        sats(&node.wallet_call("a", "getbalance", json!([]))),
        a_after_send
    );
    let tx = node.wallet_call("a", "gettransaction", json!([txid]));
    assert_eq!(tx["confirmations"].as_i64(), Some(0));
    let miner = node.wallet_call("a", "getnewaddress", json!([]));
    node.call("generatetoaddress", json!([1, miner]));
    assert!(
        tests::eventually(Duration::from_secs(10), || sats(&node.wallet_call(
            "b",
            "getbalance",
            json!([])
        )) == 2 * COIN),
        "the payment to b did not confirm"
    );
    let tx = node.wallet_call("a", "gettransaction", json!([txid]));
    assert_eq!(tx["confirmations"].as_i64(), Some(1));
    node.stop();
    assert!(
        tests::eventually(Duration::from_secs(10), || tests::process_gone(second)),
        "the wallet process outlived its node"
    );
}

#[test]
fn a_client_gets_the_nodes_wallet_loader_over_ipc() {
    let node = tests::Node::start(&["-printtoconsole=0", "-fallbackfee=0.0002"]);
    let (_conn, init) = ipc::connect_init(&node.socket()).expect("connect");
    let remote = interfaces::Init::make_node(&init).expect("make_node");
    let loader = remote.wallet_loader().expect("the node's wallet loader");
    let wallet = loader
        .create_wallet("w", "", interfaces::WALLET_FLAG_DESCRIPTORS)
        .expect("create");
    assert_eq!(loader.list_wallets().expect("list"), ["w"]);
    let address = wallet.get_new_address("", "").expect("address");
    let request =
        json!({"jsonrpc": "2.0", "id": 1, "method": "generatetoaddress", "params": [101, address]});
    remote
        .execute_rpc(&request.to_string(), "/", "")
        .expect("generate");
    assert!(
        tests::eventually(Duration::from_secs(10), || wallet
            .get_balances()
            .is_ok_and(|b| b.trusted == 50 * COIN)),
        "the mined coins did not reach the wallet"
    );
}

#[test]
fn a_node_with_no_wallet_says_so_to_a_front_end() {
    let node = tests::Node::start(&["-printtoconsole=0", "-disablewallet"]);
    let (_conn, init) = ipc::connect_init(&node.socket()).expect("connect");
    let remote = interfaces::Init::make_node(&init).expect("make_node");
    let error = remote.wallet_loader().err().expect("no wallet loader");
    assert!(error.to_string().contains("without a wallet"), "{error}");
}

#[test]
fn a_spawned_node_starts_with_its_parents_arguments_and_stops_cleanly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spawned =
        ipc::spawn::spawn_process::<ipc::InitProxy>(&tests::bin("bitcoin-node")).expect("spawn");
    let init = &spawned.init;
    // A bad argument fails configure with the reason; the process keeps serving.
    let error = interfaces::Init::configure(init, &["-regtest".into(), "-testnet".into()])
        .expect_err("two networks refused");
    assert!(error.to_string().contains("failed to start"), "{error}");
    let args = [
        "-regtest".to_string(),
        format!("-datadir={}", dir.path().display()),
        "-printtoconsole=0".into(),
        "-server=0".into(),
        "-fallbackfee=0.0002".into(),
    ];
    interfaces::Init::configure(init, &args).expect("the node starts");
    let node: Arc<dyn interfaces::Node> =
        Arc::from(interfaces::Init::make_node(init).expect("make_node"));
    assert_eq!(node.get_status().expect("status").block_count, 0);
    assert!(
        dir.path().join("regtest").is_dir(),
        "the node did not use the parent's -datadir"
    );
    let loader = node.wallet_loader().expect("its wallet process's loader");
    let wallet = loader
        .create_wallet("gui", "", interfaces::WALLET_FLAG_DESCRIPTORS)
        .expect("create");
    let address = wallet.get_new_address("", "").expect("address");
    let request =
        json!({"jsonrpc": "2.0", "id": 1, "method": "generatetoaddress", "params": [101, address]});
    node.execute_rpc(&request.to_string(), "/", "")
        .expect("generate");
    assert!(
        tests::eventually(Duration::from_secs(10), || wallet
            .get_balances()
            .is_ok_and(|b| b.trusted == 50 * COIN)),
        "the mined coins did not reach the wallet"
    );
    let wallets = tests::children(spawned.pid, "bitcoin-wallet");
    assert_eq!(
        wallets.len(),
        1,
        "the spawned node spawned its wallet process"
    );
    node.start_shutdown().expect("shutdown");
    let status = spawned
        .exit
        .wait_timeout(Duration::from_secs(20))
        .expect("the node exited")
        .expect("its status");
    assert!(status.success(), "{status}");
    assert!(
        tests::process_gone(wallets[0]),
        "the wallet process outlived the node"
    );
    assert!(
        !dir.path().join("regtest/bitcoind.pid").exists(),
        "a clean stop removes the pid file"
    );
}
