//! A wallet with one active descriptor pair per output type (Core's descriptor wallets)
//! through a real node and its spawned wallet process: bech32, bech32m, legacy and
//! p2sh-segwit addresses; coinbases paid to the bech32 and the bech32m pair counted in one
//! balance; a send needing both coins that the node's mempool accepts (so both kinds of
//! input are validly signed); `listdescriptors` listing every pair, all kept across a
//! restart of node and wallet.

use std::path::Path;
use std::time::Duration;

use serde_json::json;
use tests::RpcNode;

const COIN: i64 = 100_000_000;

fn start(dir: &Path) -> RpcNode {
    RpcNode::start_with(dir, "regtest", &["-fallbackfee=0.0002"])
}

fn balance(node: &RpcNode) -> i64 {
    let value = node.wallet_call("w", "getbalance", json!([]));
    (value.as_f64().expect("a number") * 1e8).round() as i64
}

fn address(node: &RpcNode, kind: &str) -> String {
    let value = node.wallet_call("w", "getnewaddress", json!(["", kind]));
    value.as_str().expect("an address").to_string()
}

/// The `desc` of every descriptor `listdescriptors` shows.
fn descriptors(node: &RpcNode) -> Vec<String> {
    node.wallet_call("w", "listdescriptors", json!([]))["descriptors"]
        .as_array()
        .expect("descriptors")
        .iter()
        .filter_map(|d| d["desc"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn a_wallet_has_a_pair_per_address_type_through_the_node() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start(dir.path());
    node.call(
        "createwallet",
        json!({"wallet_name": "w", "load_on_startup": true}),
    );
    let bech32 = address(&node, "");
    let bech32m = address(&node, "bech32m");
    assert!(bech32.starts_with("bcrt1q"), "{bech32}");
    assert!(bech32m.starts_with("bcrt1p"), "{bech32m}");
    assert!(address(&node, "legacy").starts_with(['m', 'n']));
    assert!(address(&node, "p2sh-segwit").starts_with('2'));
    let listed = descriptors(&node);
    assert_eq!(listed.len(), 8, "{listed:?}");
    for kind in ["wpkh(", "tr(", "pkh(", "sh(wpkh("] {
        assert_eq!(
            listed.iter().filter(|d| d.starts_with(kind)).count(),
            2,
            "{kind}"
        );
    }

    node.call("generatetoaddress", json!([1, bech32]));
    node.call("generatetoaddress", json!([101, bech32m]));
    // Mature: the first two coinbases (one per pair); 100 immature ones on bech32m.
    assert!(tests::eventually(Duration::from_secs(20), || balance(
        &node
    ) == 100
        * COIN));

    // 70 BTC needs the coin of each pair; the node's mempool checks both signatures.
    node.call("createwallet", json!(["x"]));
    let other = node.wallet_call("x", "getnewaddress", json!([]));
    let txid = node.wallet_call("w", "sendtoaddress", json!([other, 70]));
    let mempool = node.call("getrawmempool", json!([]));
    assert!(
        mempool.as_array().is_some_and(|m| m.contains(&txid)),
        "{mempool}"
    );
    let tx = node.wallet_call("w", "gettransaction", json!([txid, false, true]));
    assert_eq!(
        tx["decoded"]["vin"].as_array().map(Vec::len),
        Some(2),
        "{tx}"
    );
    node.stop();

    let node = start(dir.path());
    assert!(tests::eventually(Duration::from_secs(20), || {
        node.try_call_at("/wallet/w", "listdescriptors", json!([]))["result"]["descriptors"]
            .as_array()
            .is_some_and(|d| d.len() == 8)
    }));
    assert_eq!(descriptors(&node), listed);
    assert!(address(&node, "bech32m").starts_with("bcrt1p"));
    node.stop();
}
