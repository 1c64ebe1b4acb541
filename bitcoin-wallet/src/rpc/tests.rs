//! The wallet methods through an `RpcTable` over the test chain: wallet selection, Core's
//! error codes for bad input, result shapes, help layout.

use std::sync::Arc;

use rpc::RpcTable;
use serde_json::{json, Value};

use crate::rpc::wallet_table;
use crate::wallet::tests::{env, other_address, script_of, Env};

/// Runs `method` of `table` at `uri` (the wallet test modules' one way in): the result, or
/// the RPC error's code and message.
pub(super) fn execute(
    table: &RpcTable,
    uri: &str,
    method: &str,
    params: Value,
) -> Result<Value, (i32, String)> {
    let m = table.get(method).expect("method");
    table
        .execute(&m, &params, uri, "")
        .map_err(|e| (e.code, e.message))
}

struct Rpc {
    env: Env,
    table: RpcTable,
}

impl Rpc {
    fn new() -> Rpc {
        let env = env();
        let table = wallet_table(Arc::clone(&env.loader));
        Rpc { env, table }
    }

    fn call_at(&self, uri: &str, method: &str, params: Value) -> Result<Value, (i32, String)> {
        execute(&self.table, uri, method, params)
    }

    fn call(&self, method: &str, params: Value) -> Result<Value, (i32, String)> {
        self.call_at("/", method, params)
    }

    fn code(&self, method: &str, params: Value) -> i32 {
        self.call(method, params).expect_err("error").0
    }
}

#[test]
fn wallet_selection_is_cores() {
    let rpc = Rpc::new();
    let none = rpc.call("getbalance", json!([])).expect_err("none");
    assert_eq!(none, (-18, "No wallet is loaded. Load a wallet using loadwallet or create a new one with createwallet. (Note: A default wallet is no longer automatically created)".into()));
    assert_eq!(
        rpc.call("createwallet", json!(["a"])).expect("create"),
        json!({"name": "a"})
    );
    assert!(rpc.call("getbalance", json!([])).is_ok());
    rpc.call(
        "createwallet",
        json!({"wallet_name": "b", "load_on_startup": true}),
    )
    .expect("create");
    let several = rpc.call("getbalance", json!([])).expect_err("several");
    assert_eq!(several, (-19, "Wallet file not specified (must request wallet RPC through /wallet/<filename> uri-path).".into()));
    assert!(rpc.call_at("/wallet/b", "getbalance", json!([])).is_ok());
    let missing = rpc
        .call_at("/wallet/c", "getbalance", json!([]))
        .expect_err("missing");
    assert_eq!(
        missing,
        (
            -18,
            "Requested wallet does not exist or is not loaded".into()
        )
    );
    assert_eq!(
        rpc.call("listwallets", json!([])).expect("list"),
        json!(["a", "b"])
    );
    assert_eq!(
        rpc.call("listwalletdir", json!([])).expect("dir"),
        json!({"wallets": [{"name": "a", "warnings": []}, {"name": "b", "warnings": []}]})
    );
    let info = rpc
        .call_at("/wallet/a", "getwalletinfo", json!([]))
        .expect("info");
    assert_eq!(info["walletname"], "a");
    assert_eq!(
        (
            info["format"].as_str(),
            info["walletversion"].as_i64(),
            info["descriptors"].as_bool()
        ),
        (Some("sqlite"), Some(169900), Some(true))
    );
    assert_eq!(info["lastprocessedblock"]["height"], 0);
    assert!(info.get("balance").is_none() && info["birthtime"].is_i64());
}

#[test]
fn wallet_management_errors() {
    let rpc = Rpc::new();
    rpc.call("createwallet", json!(["w"])).expect("create");
    let (code, message) = rpc.call("createwallet", json!(["w"])).expect_err("exists");
    assert_eq!(code, -4);
    assert!(message.ends_with("Database already exists."), "{message}");
    assert_eq!(
        rpc.code(
            "createwallet",
            json!({"wallet_name": "x", "descriptors": false})
        ),
        -4
    );
    assert_eq!(rpc.code("createwallet", json!(["../x"])), -4);
    let empty = rpc
        .call(
            "createwallet",
            json!({"wallet_name": "e", "passphrase": ""}),
        )
        .expect("create");
    assert_eq!(
        empty["warnings"],
        json!(["Empty string given as passphrase, wallet will not be encrypted."])
    );
    rpc.call(
        "createwallet",
        json!({"wallet_name": "s", "passphrase": "pw"}),
    )
    .expect("encrypted wallet");
    let info = rpc
        .call_at("/wallet/s", "getwalletinfo", json!([]))
        .expect("info");
    assert_eq!(info["unlocked_until"], json!(0));
    let info = rpc
        .call_at("/wallet/w", "getwalletinfo", json!([]))
        .expect("info");
    assert!(info.get("unlocked_until").is_none());
    assert_eq!(
        rpc.call("loadwallet", json!(["w"])).expect_err("loaded"),
        (-35, "Wallet \"w\" is already loaded.".into())
    );
    assert_eq!(rpc.code("loadwallet", json!(["nothere"])), -18);
    assert_eq!(rpc.code("unloadwallet", json!([])), -8);
    let mismatch = rpc
        .call_at("/wallet/w", "unloadwallet", json!(["e"]))
        .expect_err("mismatch");
    assert_eq!(mismatch.0, -8);
    assert_eq!(
        rpc.call_at("/wallet/w", "unloadwallet", json!([]))
            .expect("unload"),
        json!({})
    );
    assert_eq!(rpc.code("unloadwallet", json!(["w"])), -18);
    assert_eq!(
        rpc.call("loadwallet", json!({"filename": "w"}))
            .expect("load"),
        json!({"name": "w"})
    );
    assert_eq!(rpc.code("createwallet", json!([])), -1);
    assert_eq!(rpc.code("createwallet", json!([1])), -3);
}

#[test]
fn addresses_and_balances() {
    let rpc = Rpc::new();
    rpc.call("createwallet", json!(["w"])).expect("create");
    let address = rpc.call("getnewaddress", json!([])).expect("address");
    assert!(address.as_str().is_some_and(|a| a.starts_with("bcrt1q")));
    assert!(rpc.call("getnewaddress", json!(["lab", "bech32"])).is_ok());
    assert_eq!(
        rpc.call("getnewaddress", json!(["*"])).expect_err("label"),
        (-11, "Invalid label name".into())
    );
    assert_eq!(
        rpc.call("getnewaddress", json!(["", "foo"]))
            .expect_err("type"),
        (-5, "Unknown address type 'foo'".into())
    );
    // One active pair per output type (Core's descriptor wallets).
    for (kind, prefix) in [("legacy", "m"), ("p2sh-segwit", "2"), ("bech32m", "bcrt1p")] {
        let other = rpc.call("getnewaddress", json!(["", kind])).expect(kind);
        let text = other.as_str().unwrap_or_default();
        assert!(
            text.starts_with(prefix) || (kind == "legacy" && text.starts_with('n')),
            "{kind}: {text}"
        );
        let change = rpc.call("getrawchangeaddress", json!([kind])).expect(kind);
        assert_ne!(change, other);
    }
    assert!(rpc.call("getrawchangeaddress", json!([])).is_ok());
    rpc.env
        .chain
        .mine(1, &script_of(address.as_str().unwrap_or_default()));
    let balances = rpc.call("getbalances", json!([])).expect("balances");
    assert_eq!(
        balances["mine"].to_string(),
        r#"{"trusted":0.00000000,"untrusted_pending":0.00000000,"immature":50.00000000}"#
    );
    assert_eq!(balances["lastprocessedblock"]["height"], 1);
    assert_eq!(
        rpc.call("getbalance", json!([]))
            .expect("balance")
            .to_string(),
        "0.00000000"
    );
    assert_eq!(
        rpc.call("getbalance", json!(["x"])).expect_err("dummy").0,
        -32
    );
    assert_eq!(rpc.code("getbalance", json!({"avoid_reuse": true})), -4);
    let listed = rpc.call("listtransactions", json!([])).expect("list");
    assert_eq!(listed[0]["category"], "immature");
    assert_eq!(listed[0]["generated"], true);
    assert_eq!(
        rpc.call("listunspent", json!([])).expect("unspent"),
        json!([])
    );
    let immature = rpc
        .call(
            "listunspent",
            json!({"query_options": {"include_immature_coinbase": true}}),
        )
        .expect("unspent");
    assert_eq!(immature[0]["amount"].to_string(), "50.00000000");
    let desc = immature[0]["desc"].as_str().unwrap_or_default();
    assert!(
        desc.starts_with("wpkh([") && desc.contains("/84h/1h/0h/0/0]") && desc.contains(")#"),
        "{desc}"
    );
    assert_eq!(rpc.code("listunspent", json!([1, 9, ["nonsense"]])), -5);
    assert_eq!(rpc.code("listtransactions", json!(["*", -1])), -8);
    assert_eq!(rpc.code("listtransactions", json!(["*", 1, -1])), -8);
}

#[test]
fn sendtoaddress_and_the_transaction_views() {
    let rpc = Rpc::new();
    rpc.call("createwallet", json!(["w"])).expect("create");
    let address = rpc.call("getnewaddress", json!([])).expect("address");
    rpc.env
        .chain
        .mine(1, &script_of(address.as_str().unwrap_or_default()));
    rpc.env.chain.mine(100, &script_of(&other_address()));
    assert_eq!(
        rpc.call("getbalance", json!([]))
            .expect("balance")
            .to_string(),
        "50.00000000"
    );
    let to = other_address();
    assert_eq!(
        rpc.call("sendtoaddress", json!(["nope", 1]))
            .expect_err("address"),
        (-5, "Invalid Bitcoin address: nope".into())
    );
    assert_eq!(
        rpc.call("sendtoaddress", json!([to, 0])).expect_err("zero"),
        (-3, "Invalid amount for send".into())
    );
    assert_eq!(
        rpc.call("sendtoaddress", json!([to, "abc"]))
            .expect_err("amount"),
        (-3, "Invalid amount".into())
    );
    assert_eq!(
        rpc.call("sendtoaddress", json!([to, 100]))
            .expect_err("funds"),
        (-6, "Insufficient funds".into())
    );
    assert_eq!(
        rpc.code(
            "sendtoaddress",
            json!({"address": to, "amount": 1, "conf_target": 2, "fee_rate": 5})
        ),
        -8
    );
    assert_eq!(
        rpc.code(
            "sendtoaddress",
            json!({"address": to, "amount": 1, "fee_rate": 0.5})
        ),
        -6
    );
    let txid = rpc
        .call(
            "sendtoaddress",
            json!({"address": to, "amount": 1, "comment": "c", "comment_to": "t"}),
        )
        .expect("send");
    let txid = txid.as_str().unwrap_or_default().to_string();
    assert_eq!(txid.len(), 64);
    let verbose = rpc
        .call(
            "sendtoaddress",
            json!({"address": to, "amount": 0.5, "fee_rate": 2, "verbose": true}),
        )
        .expect("send");
    assert_eq!(verbose["fee_reason"], "PayTxFee set");

    check_transaction_views(&rpc, &txid, &to);
}

/// `gettransaction`, `listtransactions` and `listunspent` after two sends, the first `txid`
/// paying 1 BTC to `to` with comments.
fn check_transaction_views(rpc: &Rpc, txid: &str, to: &str) {
    let tx = rpc.call("gettransaction", json!([txid])).expect("tx");
    assert_eq!(tx["amount"].to_string(), "-1.00000000");
    assert!(tx["fee"].as_f64().is_some_and(|f| f < 0.0));
    assert_eq!(
        (tx["confirmations"].as_i64(), tx["trusted"].as_bool()),
        (Some(0), Some(true))
    );
    assert_eq!(
        (tx["comment"].as_str(), tx["to"].as_str()),
        (Some("c"), Some("t"))
    );
    assert_eq!(tx["bip125-replaceable"], "yes");
    assert_eq!(tx["details"][0]["category"], "send");
    assert_eq!(tx["details"][0]["address"].as_str(), Some(to));
    assert!(tx["hex"].as_str().is_some_and(|h| h.len() > 100));
    let decoded = rpc
        .call("gettransaction", json!({"txid": txid, "verbose": true}))
        .expect("tx");
    assert_eq!(decoded["decoded"]["txid"].as_str(), Some(txid));
    assert_eq!(rpc.code("gettransaction", json!(["00"])), -8);
    assert_eq!(
        rpc.call("gettransaction", json!(["00".repeat(32)]))
            .expect_err("unknown"),
        (-5, "Invalid or non-wallet transaction id".into())
    );

    let listed = rpc.call("listtransactions", json!([])).expect("list");
    let categories: Vec<&str> = listed
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["category"].as_str())
        .collect();
    assert_eq!(categories, ["generate", "send", "send"]);
    assert_eq!(listed[1]["txid"].as_str(), Some(txid));
    assert_eq!(listed[1]["amount"].to_string(), "-1.00000000");
    assert_eq!(
        rpc.call("listtransactions", json!(["*", 1, 1]))
            .expect("window")[0]["txid"]
            .as_str(),
        Some(txid)
    );
    let unspent = rpc.call("listunspent", json!([0])).expect("unspent");
    assert_eq!(unspent.as_array().map(Vec::len), Some(1));
    assert_eq!(
        (
            unspent[0]["safe"].as_bool(),
            unspent[0]["confirmations"].as_i64()
        ),
        (Some(true), Some(0))
    );
    assert!(rpc
        .call("listunspent", json!([]))
        .expect("unspent")
        .as_array()
        .is_some_and(Vec::is_empty));
}

#[test]
fn help_is_in_cores_layout() {
    let rpc = Rpc::new();
    let methods = rpc.table.methods();
    assert!(methods.len() >= 26, "{} methods", methods.len());
    for m in &methods {
        assert_eq!(m.category, "wallet");
        let help = rpc::help::method_help(m);
        assert!(help.contains("\nExamples:\n"), "{}", m.name);
    }
    let send = rpc.table.get("sendtoaddress").expect("method");
    let help = rpc::help::method_help(&send);
    assert!(help.starts_with("sendtoaddress \"address\" amount ( \"comment\" \"comment_to\" subtractfeefromamount replaceable conf_target \"estimate_mode\" avoid_reuse fee_rate verbose )\n"), "{help}");
    let balances = rpc::help::method_help(&rpc.table.get("getbalances").expect("method"));
    assert!(balances.contains("\nResult:\n{                               (json object)\n  \"mine\" : {                    (json object) balances from outputs that the wallet can sign\n"), "{balances}");
}
