//! The wallet process with a real node: spawned by `bitcoin-node` as its child, its RPC
//! methods served by the node (`/wallet/<name>`), BDK wallets kept across restarts, and
//! `-disablewallet`.

use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};
use tests::RpcNode;

const COIN: i64 = 100_000_000;

const WALLET_ARGS: &[&str] = &["-fallbackfee=0.0002"];

/// The wallet's `getbalance`, in satoshis.
fn balance(node: &RpcNode, wallet: &str) -> i64 {
    let value = node.wallet_call(wallet, "getbalance", json!([]));
    (value.as_f64().expect("a number") * 1e8).round() as i64
}

fn start(dir: &Path) -> RpcNode {
    RpcNode::start_with(dir, "regtest", WALLET_ARGS)
}

#[test]
fn a_node_spawns_its_wallet_process_and_wallets_send_and_survive_restarts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start(dir.path());
    assert!(
        tests::eventually(Duration::from_secs(5), || tests::children(
            node.process.pid(),
            "bitcoin-wallet"
        )
        .len()
            == 1),
        "no bitcoin-wallet child of the node"
    );
    for name in ["a", "b"] {
        let created = node.call(
            "createwallet",
            json!({"wallet_name": name, "load_on_startup": true}),
        );
        assert_eq!(created["name"], json!(name));
    }
    let (code, _) = node.error("getbalance", json!([]));
    assert_eq!(code, -19, "two wallets loaded: the endpoint must name one");
    let a_addr = node.wallet_call("a", "getnewaddress", json!([]));
    node.call("generatetoaddress", json!([101, a_addr]));
    assert!(tests::eventually(Duration::from_secs(5), || balance(
        &node, "a"
    ) == 50 * COIN));
    let b_addr = node.wallet_call("b", "getnewaddress", json!([]));
    let txid = node.wallet_call("a", "sendtoaddress", json!([b_addr, 1.5]));
    let mempool = node.call("getrawmempool", json!([]));
    assert_eq!(
        mempool,
        json!([txid]),
        "the wallet's transaction reached the node's mempool"
    );
    // The node's mempool notification reaches the receiving wallet before any block.
    assert!(tests::eventually(Duration::from_secs(5), || {
        let balances = node.wallet_call("b", "getbalances", json!([]));
        balances["mine"]["untrusted_pending"].as_f64() == Some(1.5)
    }));
    node.call("generatetoaddress", json!([1, a_addr]));
    assert!(tests::eventually(Duration::from_secs(5), || balance(
        &node, "b"
    )
        == 150_000_000));
    // 100 mature coinbases' worth minus 1.5 sent and a fee of a few thousand satoshis.
    let a_balance = balance(&node, "a");
    let fee = 100 * COIN - 150_000_000 - a_balance;
    assert!(fee > 0 && fee < 100_000, "a: {a_balance}");
    node.stop();

    // Everything restarts: the wallets reload from settings.json and disk, balances intact.
    let node = start(dir.path());
    assert!(tests::eventually(Duration::from_secs(10), || {
        let reply = node.try_call_at("/wallet/b", "getbalance", json!([]));
        reply["result"].as_f64() == Some(1.5)
    }));
    assert_eq!(balance(&node, "a"), a_balance);
    let listed = node.call("listwallets", json!([]));
    assert_eq!(listed, json!(["a", "b"]));
    let tx = node.wallet_call("b", "gettransaction", json!([txid]));
    assert_eq!(tx["confirmations"], json!(1));
    node.stop();
}

#[test]
fn disablewallet_runs_without_a_wallet_process() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = RpcNode::start_with(dir.path(), "regtest", &["-disablewallet"]);
    std::thread::sleep(Duration::from_millis(300));
    assert!(tests::children(node.process.pid(), "bitcoin-wallet").is_empty());
    let (code, _) = node.error("createwallet", json!(["w"]));
    assert_eq!(code, -32601, "no wallet methods without a wallet");
    node.stop();
}

/// A wallet process attached to a running node (`bitcoin wallet -ipcconnect=unix`): its
/// methods join the node's server and its wallets are used through `bitcoin rpc`; when it
/// stops, its methods leave and the node runs on.
#[test]
fn an_attached_wallet_process_serves_through_the_node() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = RpcNode::start_with(dir.path(), "regtest", &["-disablewallet"]);
    assert_eq!(node.error("listwallets", json!([])).0, -32601);
    let datadir = format!("-datadir={}", dir.path().display());
    let mut wallet = tests::Process::start(
        &tests::bin("bitcoin"),
        &[
            "wallet",
            "-regtest",
            &datadir,
            "-ipcconnect=unix",
            "-printtoconsole=0",
        ],
    );
    // The methods appear when the process has registered them (nothing else answers them).
    assert!(
        tests::eventually(tests::DEADLINE, || node.try_call("listwallets", json!([]))
            ["error"]
            .is_null()),
        "the attached wallet's methods never appeared: {}",
        wallet.stderr()
    );
    node.call("createwallet", json!(["attached"]));
    let cli = tests::bin("bitcoin-cli");
    let (code, address, stderr) = tests::run(
        &cli,
        &["-regtest", &datadir, "-rpcwallet=attached", "getnewaddress"],
    );
    assert_eq!(code, 0, "{stderr}");
    let address = address.trim();
    node.call("generatetoaddress", json!([101, address]));
    assert!(tests::eventually(Duration::from_secs(5), || balance(
        &node, "attached"
    ) == 50 * COIN));
    assert!(wallet.stop().success());
    assert!(tests::eventually(Duration::from_secs(5), || node
        .try_call("listwallets", json!([]))["error"]["code"]
        == json!(-32601)));
    assert_eq!(node.call("getblockcount", json!([])), json!(101));
    node.stop();
}

/// `bitcoind` (`bitcoin -M node`): the same wallets in the node's own process, no child.
#[test]
fn bitcoind_runs_its_wallets_in_process() {
    let dir = tempfile::tempdir().expect("tempdir");
    let datadir = format!("-datadir={}", dir.path().display());
    let socket = dir.path().join("regtest/node.sock");
    let ready = tests::SocketWait::before_start(&socket);
    let mut process = tests::Process::start(
        &tests::bin("bitcoind"),
        &[
            "-regtest",
            &datadir,
            "-ipcbind=unix",
            "-printtoconsole=0",
            "-server=0",
        ],
    );
    ready.wait(&mut process);
    let (_conn, init) = ipc::connect_init(&socket).expect("connect");
    let rpc = interfaces::Init::make_rpc(&init).expect("rpc");
    let call = |uri: &str, method: &str, params: Value| -> Value {
        let request = json!({"id": 1, "method": method, "params": params}).to_string();
        let reply: Value =
            serde_json::from_str(&rpc.execute_rpc(&request, uri, "").expect("rpc")).expect("json");
        assert!(reply["error"].is_null(), "{method}: {reply}");
        reply["result"].clone()
    };
    call("/", "createwallet", json!(["inproc"]));
    let address = call("/wallet/inproc", "getnewaddress", json!([]));
    call("/", "generatetoaddress", json!([101, address]));
    assert!(tests::eventually(Duration::from_secs(5), || {
        call("/wallet/inproc", "getbalance", json!([])).as_f64() == Some(50.0)
    }));
    assert!(tests::children(process.pid(), "bitcoin-wallet").is_empty());
    drop((rpc, init));
    assert!(process.stop().success());
}
