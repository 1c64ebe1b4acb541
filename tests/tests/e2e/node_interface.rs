//! The `Node` interface of a real `bitcoin-node` over IPC (`Init.makeNode`): the conformance
//! suite, and a block-tip subscriber that sees every new block, in order.

use std::sync::{mpsc, Arc};
use std::time::Duration;

use bitcoin::{Address, Network, ScriptBuf};
use interfaces::{BlockTip, Error, Init, NotifyBlockTip};
use serde_json::{json, Value};
use tests::Node;

fn address() -> String {
    Address::p2wsh(&ScriptBuf::from_bytes(vec![0x51]), Network::Regtest).to_string()
}

fn rpc(node: &dyn interfaces::Node, method: &str, params: Value) -> Value {
    let request =
        json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
    let reply: Value =
        serde_json::from_str(&node.execute_rpc(&request, "/", "").expect("rpc")).expect("json");
    assert!(
        reply.get("error").is_none_or(Value::is_null),
        "{method}: {reply}"
    );
    reply["result"].clone()
}

struct Forward(mpsc::Sender<BlockTip>);

impl NotifyBlockTip for Forward {
    fn call(&self, _initial_download: bool, tip: &BlockTip) -> Result<(), Error> {
        let _ = self.0.send(*tip);
        Ok(())
    }
}

#[test]
fn node_interface_conformance_over_ipc() {
    let node = Node::start(&["-printtoconsole=0"]);
    let (_conn, init) = ipc::connect_init(&node.socket()).expect("connect");
    let remote = init.make_node().expect("make_node");
    let advance = |n: u32| {
        rpc(&*remote, "generatetoaddress", json!([n, address()]));
    };
    interfaces::node_conformance::run(&*remote, &advance);
}

#[test]
fn block_tip_subscriber_sees_every_block_in_order() {
    let node = Node::start(&["-printtoconsole=0"]);
    let (_conn, init) = ipc::connect_init(&node.socket()).expect("connect");
    let remote = init.make_node().expect("make_node");
    let (tx, rx) = mpsc::channel();
    let _handler = remote
        .handle_notify_block_tip(Arc::new(Forward(tx)))
        .expect("subscribe");
    let hashes = rpc(&*remote, "generatetoaddress", json!([50, address()]));
    for (i, expected) in hashes.as_array().expect("hashes").iter().enumerate() {
        let tip = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("notification");
        assert_eq!(tip.height, i as i32 + 1, "out of order");
        let mut hash = tip.hash;
        hash.reverse();
        let shown: String = hash.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(Some(shown.as_str()), expected.as_str());
    }
    let status = remote.get_status().expect("status");
    assert_eq!(status.block_count, 50);
}
