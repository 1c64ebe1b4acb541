//! The wallet's coin-control, address and fee-bump methods through a real node and its
//! spawned wallet process: a locked coin that `sendtoaddress` avoids (and a persistent lock
//! that survives a restart), `getaddressinfo`, `sendmany`, `bumpfee` whose replacement lands
//! in the node's mempool, and `listsinceblock` across a mined block; `bitcoin-cli` sends the
//! JSON arguments through its conversion table. A blank wallet takes an imported descriptor
//! pair and finds a payment mined before the import; one with a `pkh()` pair signs messages
//! (`signmessage`) that the node's `verifymessage` checks.

use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};
use tests::RpcNode;

const COIN: i64 = 100_000_000;

fn balance(node: &RpcNode) -> i64 {
    let value = node.wallet_call("w", "getbalance", json!([]));
    (value.as_f64().expect("a number") * 1e8).round() as i64
}

fn start(dir: &Path) -> RpcNode {
    RpcNode::start_with(dir, "regtest", &["-fallbackfee=0.0002"])
}

/// `bitcoin-cli -rpcwallet=w` over the node's socket; its stdout, trimmed.
fn cli(dir: &Path, args: &[&str]) -> String {
    let datadir = format!("-datadir={}", dir.display());
    let mut all = vec!["-regtest", datadir.as_str(), "-rpcwallet=w"];
    all.extend_from_slice(args);
    let (code, out, err) = tests::run(&tests::bin("bitcoin-cli"), &all);
    assert_eq!(code, 0, "bitcoin-cli {args:?}: {err}");
    out.trim().to_string()
}

/// The outpoints a wallet transaction spends.
fn spent_by(node: &RpcNode, txid: &Value) -> Vec<(String, u64)> {
    let tx = node.wallet_call("w", "gettransaction", json!([txid, false, true]));
    tx["decoded"]["vin"]
        .as_array()
        .expect("vin")
        .iter()
        .map(|i| {
            (
                i["txid"].as_str().unwrap_or_default().to_string(),
                i["vout"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

/// Locks one of the two mature coins persistently through `bitcoin-cli`; a send avoids it.
/// The lock and the send's id.
fn lock_a_coin_and_send(node: &RpcNode, dir: &Path) -> (Value, Value) {
    // Lock one of the two mature coins (persistently, through bitcoin-cli's JSON conversion).
    let unspent = node.wallet_call("w", "listunspent", json!([]));
    assert_eq!(unspent.as_array().map(Vec::len), Some(2), "{unspent}");
    let locked = json!({"txid": unspent[0]["txid"], "vout": unspent[0]["vout"]});
    let arg = json!([locked]).to_string();
    assert_eq!(cli(dir, &["lockunspent", "false", &arg, "true"]), "true");
    let listed: Value = serde_json::from_str(&cli(dir, &["listlockunspent"])).expect("json");
    assert_eq!(listed, json!([locked]));
    assert_eq!(
        node.wallet_call("w", "listunspent", json!([]))
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    // Sending 60 needs both coins: refused while one is locked.
    let other = node.wallet_call("w", "getnewaddress", json!([]));
    assert_eq!(
        node.wallet_error("w", "sendtoaddress", json!([other, 60]))
            .0,
        -6
    );
    let txid = node.wallet_call("w", "sendtoaddress", json!([other, 10]));
    let locked_outpoint = (
        locked["txid"].as_str().unwrap_or_default().to_string(),
        locked["vout"].as_u64().unwrap_or(0),
    );
    assert!(
        !spent_by(node, &txid).contains(&locked_outpoint),
        "the send spent the locked coin"
    );
    (locked, txid)
}

/// `bumpfee` replaces `txid` in the node's mempool; `listsinceblock` across a mined block.
fn bump_and_list_since(node: &RpcNode, txid: &Value, mine: &Value) {
    // bumpfee: the replacement takes the original's place in the node's mempool.
    let bumped = node.wallet_call("w", "bumpfee", json!([txid]));
    let replacement = bumped["txid"].clone();
    assert!(
        bumped["fee"].as_f64() > bumped["origfee"].as_f64(),
        "{bumped}"
    );
    assert_eq!(bumped["errors"], json!([]));
    assert_eq!(node.call("getrawmempool", json!([])), json!([replacement]));
    let (code, message) = node.wallet_error("w", "bumpfee", json!([txid]));
    assert_eq!(code, -4, "{message}");

    // listsinceblock across a mined block.
    let before = node.call("getbestblockhash", json!([]));
    let since = node.wallet_call("w", "listsinceblock", json!([before]));
    assert!(since["transactions"]
        .as_array()
        .expect("array")
        .iter()
        .any(|t| t["txid"] == replacement));
    node.call("generatetoaddress", json!([1, mine]));
    let tip = node.call("getbestblockhash", json!([]));
    let since = node.wallet_call("w", "listsinceblock", json!([before]));
    assert_eq!(since["lastblock"], tip);
    let entry = since["transactions"]
        .as_array()
        .expect("array")
        .iter()
        .find(|t| t["txid"] == replacement)
        .cloned()
        .expect("the replacement is listed");
    assert_eq!(entry["confirmations"], 1);
    assert_eq!(
        node.wallet_error("w", "abandontransaction", json!([replacement]))
            .0,
        -5
    );
}

/// `sendmany` with the fee from one recipient; a PSBT round trip; rescan; descriptors.
fn sendmany_psbt_and_rescan(node: &RpcNode) {
    // sendmany to two addresses, the fee taken from the first.
    let a = node.wallet_call("w", "getnewaddress", json!([]));
    let b = node.wallet_call("w", "getnewaddress", json!([]));
    let (a, b) = (
        a.as_str().unwrap_or_default(),
        b.as_str().unwrap_or_default(),
    );
    let amounts = json!({a: 1, b: "0.5"});
    let many = node.wallet_call(
        "w",
        "sendmany",
        json!({"dummy": "", "amounts": amounts, "subtractfeefrom": [a]}),
    );
    assert_eq!(node.call("getrawmempool", json!([])), json!([many]));
    let decoded = node.wallet_call("w", "gettransaction", json!([many, false, true]));
    let values: Vec<f64> = decoded["decoded"]["vout"]
        .as_array()
        .expect("vout")
        .iter()
        .filter_map(|o| o["value"].as_f64())
        .collect();
    assert!(values.contains(&0.5), "{values:?}");
    assert!(values.iter().any(|v| *v < 1.0 && *v > 0.999), "{values:?}");
    // A PSBT round trip: funded by the wallet, signed by it, broadcast by the node.
    let funded = node.wallet_call(
        "w",
        "walletcreatefundedpsbt",
        json!({"outputs": [{a: 2}], "fee_rate": 3}),
    );
    let signed = node.wallet_call("w", "walletprocesspsbt", json!([funded["psbt"]]));
    assert_eq!(signed["complete"], true, "{signed}");
    let sent = node.call("sendrawtransaction", json!([signed["hex"]]));
    assert!(tests::eventually(Duration::from_secs(5), || {
        node.call("getrawmempool", json!([]))
            .as_array()
            .is_some_and(|m| m.contains(&sent))
    }));
    // `send` broadcasts through the node unless asked to hand the transaction back.
    let sent = node.wallet_call("w", "send", json!({"outputs": {a: 0.1}, "fee_rate": 2}));
    assert_eq!(sent["complete"], true, "{sent}");
    let mempool = node.call("getrawmempool", json!([]));
    assert!(
        mempool
            .as_array()
            .is_some_and(|m| m.contains(&sent["txid"])),
        "{mempool}"
    );
    let rescan = node.wallet_call("w", "rescanblockchain", json!([100]));
    assert_eq!(rescan, json!({"start_height": 100, "stop_height": 103}));
    let descriptors = node.wallet_call("w", "listdescriptors", json!([]));
    // One active pair per address type (legacy, p2sh-segwit, bech32, bech32m).
    assert_eq!(descriptors["descriptors"].as_array().map(Vec::len), Some(8));
}

#[test]
fn coin_locks_bumpfee_and_listsinceblock_through_the_node() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start(dir.path());
    node.call(
        "createwallet",
        json!({"wallet_name": "w", "load_on_startup": true}),
    );
    let mine = node.wallet_call("w", "getnewaddress", json!(["mining"]));
    node.call("generatetoaddress", json!([102, mine]));
    assert!(tests::eventually(Duration::from_secs(10), || balance(
        &node
    ) == 100
        * COIN));

    let info = node.wallet_call("w", "getaddressinfo", json!([mine]));
    assert_eq!(
        (info["ismine"].as_bool(), info["labels"].clone()),
        (Some(true), json!(["mining"]))
    );
    assert!(info["hdkeypath"]
        .as_str()
        .is_some_and(|p| p.starts_with("m/84h/1h/0h/0/")));

    let (locked, txid) = lock_a_coin_and_send(&node, dir.path());
    bump_and_list_since(&node, &txid, &mine);
    sendmany_psbt_and_rescan(&node);
    node.stop();

    // The persistent lock survives the restart of node and wallet.
    let node = start(dir.path());
    assert!(tests::eventually(Duration::from_secs(10), || {
        node.try_call_at("/wallet/w", "listlockunspent", json!([]))["result"] == json!([locked])
    }));
    node.stop();
}

/// Encryption and backups through the node and its wallet process: an encrypted wallet
/// refuses to send until `walletpassphrase` (also through `bitcoin-cli`, whose table sends
/// the timeout as a number), stays encrypted across a restart, and a backup restores as a
/// second wallet with the same balance.
#[test]
fn encryption_and_backups_through_the_node() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start(dir.path());
    node.call(
        "createwallet",
        json!({"wallet_name": "w", "load_on_startup": true}),
    );
    let mine = node.wallet_call("w", "getnewaddress", json!([]));
    node.call("generatetoaddress", json!([101, mine]));
    assert!(tests::eventually(Duration::from_secs(10), || balance(
        &node
    ) == 50
        * COIN));
    node.wallet_call("w", "encryptwallet", json!(["secret"]));
    let other = node.wallet_call("w", "getnewaddress", json!([]));
    assert_eq!(
        node.wallet_error("w", "sendtoaddress", json!([other, 1])).0,
        -13
    );
    assert_eq!(
        node.wallet_error("w", "walletpassphrase", json!(["wrong", 60])),
        (
            -14,
            "Error: The wallet passphrase entered was incorrect.".into()
        )
    );
    cli(dir.path(), &["walletpassphrase", "secret", "600"]);
    node.wallet_call("w", "sendtoaddress", json!([other, 1]));
    let backup = dir.path().join("w.backup");
    node.wallet_call("w", "backupwallet", json!([backup.to_str()]));
    node.stop();

    let node = start(dir.path());
    assert!(tests::eventually(Duration::from_secs(10), || {
        node.wallet_reply("w", "getwalletinfo", json!([]))["result"]["unlocked_until"].as_i64()
            == Some(0)
    }));
    assert_eq!(
        node.wallet_error("w", "sendtoaddress", json!([other, 1])).0,
        -13,
        "a restarted wallet is locked"
    );
    let restored = node.call("restorewallet", json!(["copy", backup.to_str()]));
    assert_eq!(restored["name"], json!("copy"));
    assert_eq!(
        node.wallet_call("copy", "getbalance", json!([])),
        node.wallet_call("w", "getbalance", json!([]))
    );
    node.stop();
}

/// The checksum Core computes for `desc`, read off `importdescriptors`' error for a wrong
/// one (which also checks that error's code and text through the node).
fn checksum_from_node(node: &RpcNode, wallet: &str, desc: &str) -> String {
    let wrong = json!([[{"desc": format!("{desc}#qqqqqqqq"), "active": true, "timestamp": 0}]]);
    let results = node.wallet_call(wallet, "importdescriptors", wrong);
    assert_eq!(results[0]["success"], false, "{results}");
    assert_eq!(results[0]["error"]["code"], -5, "{results}");
    let message = results[0]["error"]["message"].as_str().expect("message");
    let prefix = "Provided checksum 'qqqqqqqq' does not match computed checksum '";
    assert!(message.starts_with(prefix), "{message}");
    message[prefix.len()..prefix.len() + 8].to_string()
}

/// A blank wallet through the node and its wallet process: no keys until
/// `importdescriptors` gives it a wpkh() pair (another wallet's keys), whose rescan finds
/// a payment mined before the import; the pair survives a restart.
#[test]
fn importdescriptors_into_a_blank_wallet_finds_earlier_payments() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start(dir.path());
    node.call("createwallet", json!(["src"]));
    let paid = node.wallet_call("src", "getnewaddress", json!([]));
    node.call("generatetoaddress", json!([101, paid]));
    node.call("unloadwallet", json!(["src"]));
    let keys_file = dir.path().join("regtest/wallets/src/keys.json");
    let keys: Value = serde_json::from_str(&std::fs::read_to_string(keys_file).expect("keys.json"))
        .expect("json");

    node.call(
        "createwallet",
        json!({"wallet_name": "w", "blank": true, "load_on_startup": true}),
    );
    let (code, message) = node.wallet_error("w", "getnewaddress", json!([]));
    assert_eq!(
        (code, message.as_str()),
        (-4, "Error: This wallet has no available keys")
    );
    let mut requests = Vec::new();
    for (keychain, internal) in [("external", false), ("internal", true)] {
        let desc = keys[keychain].as_str().expect("descriptor");
        let sum = checksum_from_node(&node, "w", desc);
        requests.push(json!({"desc": format!("{desc}#{sum}"), "active": true, "internal": internal, "timestamp": 0}));
    }
    let results = node.wallet_call("w", "importdescriptors", json!([requests]));
    assert_eq!(results, json!([{"success": true}, {"success": true}]));
    assert_eq!(balance(&node), 50 * COIN);
    let history = node.wallet_call("w", "listtransactions", json!([]));
    assert_eq!(history[0]["address"], paid, "{history}");
    let (code, _) = node.wallet_error("w", "getnewaddress", json!(["", "bech32m"]));
    assert_eq!(code, -12);
    let descriptors = node.wallet_call("w", "listdescriptors", json!([]));
    assert_eq!(descriptors["descriptors"].as_array().map(Vec::len), Some(2));
    node.stop();

    let node = start(dir.path());
    assert!(tests::eventually(Duration::from_secs(10), || {
        node.try_call_at("/wallet/w", "getbalance", json!([]))["result"]
            .as_f64()
            .is_some_and(|b| b == 50.0)
    }));
    assert!(node
        .wallet_call("w", "getnewaddress", json!([]))
        .as_str()
        .is_some_and(|a| a.starts_with("bcrt1q")));
    node.stop();
}

/// A blank wallet with an imported `pkh()` pair hands out legacy addresses; the wallet
/// process signs a message with one (`signmessage`) and the node verifies it
/// (`verifymessage`), with Core's answers for a wrong message and Core's errors for
/// addresses that name no key.
#[test]
fn a_legacy_address_signs_a_message_the_node_verifies() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = start(dir.path());
    node.call("createwallet", json!(["src"]));
    let bech32 = node.wallet_call("src", "getnewaddress", json!([]));
    node.call("unloadwallet", json!(["src"]));
    let keys_file = dir.path().join("regtest/wallets/src/keys.json");
    let keys: Value = serde_json::from_str(&std::fs::read_to_string(keys_file).expect("keys.json"))
        .expect("json");
    node.call("createwallet", json!({"wallet_name": "w", "blank": true}));
    let mut requests = Vec::new();
    for (keychain, internal) in [("external", false), ("internal", true)] {
        let wpkh = keys[keychain].as_str().expect("descriptor");
        let desc = wpkh.replace("wpkh(", "pkh(").replace("/84h/", "/44h/");
        let sum = checksum_from_node(&node, "w", &desc);
        requests.push(json!({"desc": format!("{desc}#{sum}"), "active": true, "internal": internal, "timestamp": "now"}));
    }
    let results = node.wallet_call("w", "importdescriptors", json!([requests]));
    assert_eq!(results, json!([{"success": true}, {"success": true}]));
    let address = node.wallet_call("w", "getnewaddress", json!(["", "legacy"]));
    assert!(
        address
            .as_str()
            .is_some_and(|a| a.starts_with('m') || a.starts_with('n')),
        "{address}"
    );
    let signature = node.wallet_call("w", "signmessage", json!([address, "hello"]));
    let verify = |address: &Value, message: &str| {
        node.call("verifymessage", json!([address, signature, message]))
    };
    assert_eq!(verify(&address, "hello"), json!(true));
    assert_eq!(verify(&address, "hello again"), json!(false));
    let another = node.wallet_call("w", "getnewaddress", json!(["", "legacy"]));
    assert_eq!(verify(&another, "hello"), json!(false));

    let (code, message) = node.wallet_error("w", "signmessage", json!([bech32, "hello"]));
    assert_eq!(
        (code, message.as_str()),
        (-3, "Address does not refer to key")
    );
    let (code, message) = node.error("verifymessage", json!([bech32, signature, "hello"]));
    assert_eq!(
        (code, message.as_str()),
        (-3, "Address does not refer to key")
    );
    let (code, message) = node.error("verifymessage", json!([address, "not base64!", "hello"]));
    assert_eq!((code, message.as_str()), (-3, "Malformed base64 encoding"));
    let (code, message) = node.error("verifymessage", json!(["nonsense", signature, "hello"]));
    assert_eq!((code, message.as_str()), (-5, "Invalid address"));
    node.stop();
}
