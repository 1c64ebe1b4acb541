//! The `Chain` interface of a real `bitcoin-node` over IPC (`Init.makeChain`), as a wallet
//! process uses it: the node-side scan returns only the matching transactions, the fork point
//! of a stale locator, notifications in chain order (reorgs: the wallet tests), broadcast errors, and RPC methods of the
//! client's process merged into the node's server (and gone with their handler or connection).

use std::sync::{mpsc, Arc};
use std::time::Duration;

use bitcoin::{Address, Network, ScriptBuf};
use interfaces::{
    BlockInfo, BlockRef, ChainNotifications, Error, Init, Rpc, RpcArgInfo, RpcMethodInfo,
    ScanRequest,
};
use serde_json::{json, Value};
use tests::Node;

fn script(n: u8) -> ScriptBuf {
    ScriptBuf::new_p2wsh(&ScriptBuf::from_bytes(vec![0x51, n]).wscript_hash())
}

fn address(n: u8) -> String {
    Address::from_script(&script(n), Network::Regtest)
        .expect("address")
        .to_string()
}

fn call(rpc: &dyn Rpc, method: &str, params: Value) -> Value {
    let request = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    serde_json::from_str(&rpc.execute_rpc(&request.to_string(), "/", "").expect("rpc"))
        .expect("json")
}

fn result(rpc: &dyn Rpc, method: &str, params: Value) -> Value {
    let reply = call(rpc, method, params);
    assert!(reply["error"].is_null(), "{method}: {reply}");
    reply["result"].clone()
}

struct Events(mpsc::Sender<(String, i32)>);

impl ChainNotifications for Events {
    fn block_connected(&self, block: &BlockInfo) -> Result<(), Error> {
        let _ = self.0.send(("connected".into(), block.height));
        Ok(())
    }
    fn block_disconnected(&self, block: &BlockInfo) -> Result<(), Error> {
        let _ = self.0.send(("disconnected".into(), block.height));
        Ok(())
    }
    fn transaction_added_to_mempool(&self, _tx: &[u8]) -> Result<(), Error> {
        Ok(())
    }
    fn transaction_removed_from_mempool(
        &self,
        _txid: [u8; 32],
        _reason: &str,
    ) -> Result<(), Error> {
        Ok(())
    }
    fn updated_block_tip(&self) -> Result<(), Error> {
        let _ = self.0.send(("tip".into(), -1));
        Ok(())
    }
}

/// The client process's own RPC executor: answers `getanswer`, fails with Core's -6.
struct Answers;

impl Rpc for Answers {
    fn execute_rpc(&self, request: &str, uri: &str, _user: &str) -> Result<String, Error> {
        let request: Value =
            serde_json::from_str(request).map_err(|e| Error::failed(e.to_string()))?;
        let reply = if request["params"] == json!([true]) {
            json!({"jsonrpc": "2.0", "id": 1, "error": {"code": -6, "message": "Insufficient funds"}})
        } else {
            json!({"jsonrpc": "2.0", "id": 1, "result": {"uri": uri, "params": request["params"]}})
        };
        Ok(reply.to_string())
    }
}

#[test]
fn chain_scan_fork_and_notifications_over_ipc() {
    let node = Node::start(&["-printtoconsole=0"]);
    let (_conn, init) = ipc::connect_init(&node.socket()).expect("connect");
    let rpc = init.make_rpc().expect("rpc");
    let chain = init.make_chain().expect("make_chain");
    let genesis = chain.get_tip().expect("tip").expect("genesis");
    assert_eq!(genesis.height, 0);

    let (tx, events) = mpsc::channel();
    let _subscription = chain
        .handle_notifications(Arc::new(Events(tx)))
        .expect("subscribe");

    // 3 blocks to script 1, 2 to script 2.
    result(&*rpc, "generatetoaddress", json!([3, address(1)]));
    result(&*rpc, "generatetoaddress", json!([2, address(2)]));
    chain.wait_for_notifications().expect("wait");
    let connected: Vec<i32> = events
        .try_iter()
        .filter(|(kind, _)| kind == "connected")
        .map(|(_, h)| h)
        .collect();
    assert_eq!(connected, [1, 2, 3, 4, 5], "in chain order");

    let scan = chain
        .scan(&ScanRequest {
            start_height: 0,
            stop_height: None,
            scripts: vec![script(1).to_bytes()],
            outpoints: vec![],
            include_mempool: true,
        })
        .expect("scan");
    assert_eq!(scan.blocks_scanned, 6);
    assert_eq!(scan.last_scanned.height, 5);
    let heights: Vec<i32> = scan.matches.iter().map(|m| m.block.height).collect();
    assert_eq!(heights, [1, 2, 3], "only the coinbases paying script 1");
    assert!(scan.matches.iter().all(|m| m.position == 0));
    let partial = chain
        .scan(&ScanRequest {
            start_height: 3,
            stop_height: Some(4),
            scripts: vec![script(2).to_bytes()],
            ..ScanRequest::default()
        })
        .expect("scan");
    assert_eq!((partial.blocks_scanned, partial.matches.len()), (2, 1));

    // A locator with a block the chain never had: the fork point is the highest known one.
    let at2 = chain.get_block_hash(2).expect("hash").expect("height 2");
    let fork = chain
        .find_fork(&[
            BlockRef {
                hash: [7; 32],
                height: 5,
            },
            BlockRef {
                hash: at2,
                height: 2,
            },
            BlockRef {
                hash: genesis.hash,
                height: 0,
            },
        ])
        .expect("fork")
        .expect("a fork point");
    assert_eq!(
        fork,
        BlockRef {
            hash: at2,
            height: 2
        }
    );
    assert_eq!(chain.get_block_hash(99).expect("hash"), None);
    let found = chain.find_block(at2).expect("find").expect("block 2");
    assert_eq!(found.height, 2);

    // Bad transactions are refused with the node's reason; the connection goes on.
    let bad = chain
        .broadcast_transaction(&[1, 2, 3], 0)
        .expect_err("garbage");
    assert!(bad.message().contains("TX decode failed"), "{bad}");
    assert!(chain.relay_fees().expect("fees").min_relay > 0);
    assert!(!chain.shutdown_requested().expect("shutdown"));
}

#[test]
fn rpc_methods_of_a_client_join_the_node_and_leave_with_it() {
    let node = Node::start(&["-printtoconsole=0"]);
    let (conn, init) = ipc::connect_init(&node.socket()).expect("connect");
    let rpc = init.make_rpc().expect("rpc");
    let chain = init.make_chain().expect("make_chain");
    // RPC methods of this process join the node's server, with help and error codes.
    let methods = [RpcMethodInfo {
        name: "getanswer".into(),
        category: "wallet".into(),
        help: "getanswer ( fail )\n\nReturns the answer.".into(),
        args: vec![RpcArgInfo {
            position: 0,
            name: "fail".into(),
            is_string: false,
        }],
    }];
    let registered = chain
        .handle_rpc(&methods, Arc::new(Answers))
        .expect("handle_rpc");
    let answer = result(&*rpc, "getanswer", json!({"fail": false}));
    assert_eq!(answer, json!({"uri": "/", "params": {"fail": false}}));
    let failed = call(&*rpc, "getanswer", json!([true]));
    assert_eq!(
        failed["error"],
        json!({"code": -6, "message": "Insufficient funds"})
    );
    let help = result(&*rpc, "help", json!(["getanswer"]));
    assert_eq!(help, json!("getanswer ( fail )\n\nReturns the answer."));
    drop(registered);
    assert_eq!(
        call(&*rpc, "getanswer", json!([]))["error"]["code"],
        json!(-32601)
    );

    // Registered again, then the connection goes: the methods go with it.
    let again = chain
        .handle_rpc(&methods, Arc::new(Answers))
        .expect("handle_rpc");
    let (_conn2, init2) = ipc::connect_init(&node.socket()).expect("second client");
    let rpc2 = init2.make_rpc().expect("rpc");
    assert!(call(&*rpc2, "getanswer", json!([]))["error"].is_null());
    drop(conn);
    assert!(tests::eventually(Duration::from_secs(5), || {
        call(&*rpc2, "getanswer", json!([]))["error"]["code"] == json!(-32601)
    }));
    drop((again, chain, rpc, init));
}

#[test]
fn chain_over_ipc_passes_the_conformance_suite() {
    let node = Node::start(&["-printtoconsole=0", "-disablewallet"]);
    let (_conn, init) = ipc::connect_init(&node.socket()).expect("connect");
    let chain = init.make_chain().expect("make_chain");
    let rpc = init.make_rpc().expect("make_rpc");
    let paid = script(7);
    let advance = |n: u32| -> Vec<[u8; 32]> {
        let hashes = result(&*rpc, "generatetoaddress", json!([n, address(7)]));
        hashes
            .as_array()
            .expect("hashes")
            .iter()
            .map(|h| {
                let hash: bitcoin::BlockHash = h.as_str().expect("hex").parse().expect("a hash");
                bitcoin::hashes::Hash::to_byte_array(hash)
            })
            .collect()
    };
    interfaces::chain_conformance::run(&*chain, paid.as_bytes(), &advance);
}
