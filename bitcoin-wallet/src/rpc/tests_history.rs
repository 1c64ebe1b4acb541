//! The history methods across abandonment and reorgs, through an `RpcTable` over the test
//! chain: abandoned transactions stay listed with `"abandoned": true` (with their
//! descendants, across a reload) while their inputs are spendable again, and
//! `listsinceblock`'s `removed` lists the wallet transactions of the blocks a reorg took away.

use std::sync::Arc;

use bdk_wallet::bitcoin::hashes::Hash as _;
use rpc::RpcTable;
use serde_json::{json, Value};

use crate::rpc::wallet_table;
use crate::wallet::tests::{env, funded, other_address, other_script, Env};

struct Rpc {
    env: Env,
    table: RpcTable,
}

impl Rpc {
    /// A table over a fresh test chain with wallet `w` holding one mature 50 BTC coin.
    fn funded() -> Rpc {
        let env = env();
        funded(&env, "w");
        let table = wallet_table(Arc::clone(&env.loader));
        Rpc { env, table }
    }

    fn call(&self, method: &str, params: Value) -> Result<Value, (i32, String)> {
        super::tests::execute(&self.table, "/wallet/w", method, params)
    }

    fn ok(&self, method: &str, params: Value) -> Value {
        self.call(method, params).expect(method)
    }

    fn mine(&self, n: usize) {
        self.env.chain.mine(n, &other_script());
        self.env.loader.sync_all().expect("sync");
    }

    fn reorg(&self, depth: usize, replace: usize, keep_txs: bool) {
        self.env
            .chain
            .reorg(depth, replace, keep_txs, &other_script());
        self.env.loader.sync_all().expect("sync");
    }

    fn tip(&self) -> Value {
        self.ok("listsinceblock", json!([]))["lastblock"].clone()
    }
}

/// The entries of `list` (an array of `listtransactions` entries) for `txid`.
fn entries_of<'a>(list: &'a Value, txid: &Value) -> Vec<&'a Value> {
    list.as_array()
        .map(|a| a.iter().filter(|e| e["txid"] == *txid).collect())
        .unwrap_or_default()
}

/// Asserts that `txid` is listed by `listtransactions`, `gettransaction` and
/// `listsinceblock`, abandoned.
fn assert_listed_abandoned(rpc: &Rpc, txid: &Value) {
    let listed = rpc.ok("listtransactions", json!(["*", 100]));
    let sends = entries_of(&listed, txid);
    assert_eq!(sends.len(), 1, "{listed}");
    assert_eq!(sends[0]["category"], "send");
    assert_eq!(sends[0]["abandoned"], true);
    assert_eq!(sends[0]["confirmations"], 0);
    assert_eq!(sends[0]["trusted"], false);
    let tx = rpc.ok("gettransaction", json!([txid]));
    assert_eq!(tx["confirmations"], 0, "{tx}");
    let details = tx["details"].as_array().expect("details");
    assert!(!details.is_empty(), "{tx}");
    assert!(details.iter().all(|d| d["abandoned"] == true), "{tx}");
    let since = rpc.ok("listsinceblock", json!([]));
    let since = entries_of(&since["transactions"], txid);
    assert_eq!(since.len(), 1);
    assert_eq!(since[0]["abandoned"], true);
}

#[test]
fn abandoned_transactions_stay_listed_and_their_inputs_are_spendable_again() {
    let rpc = Rpc::funded();
    // A parent and a child spending its change, confirmed, then dropped by a reorg.
    let parent = rpc.ok("sendtoaddress", json!([other_address(), 1]));
    let child = rpc.ok("sendtoaddress", json!([other_address(), 2]));
    let child_tx = rpc.ok("gettransaction", json!([child, false, true]));
    assert_eq!(child_tx["decoded"]["vin"][0]["txid"], parent, "{child_tx}");
    rpc.mine(1);
    rpc.reorg(1, 2, false);
    let listed = rpc.ok("listtransactions", json!([]));
    assert_eq!(entries_of(&listed, &parent)[0]["abandoned"], false);
    assert_eq!(rpc.ok("getbalance", json!([])).to_string(), "0.00000000");

    assert_eq!(rpc.ok("abandontransaction", json!([parent])), Value::Null);
    assert_eq!(rpc.ok("getbalance", json!([])).to_string(), "50.00000000");
    let unspent = rpc.ok("listunspent", json!([]));
    assert_eq!(unspent.as_array().map(Vec::len), Some(1), "{unspent}");
    assert_eq!(unspent[0]["amount"].to_string(), "50.00000000");
    assert_listed_abandoned(&rpc, &parent);
    assert_listed_abandoned(&rpc, &child);
    // Not counted by the interface's views.
    let wallet = rpc.env.loader.get("w").expect("loaded");
    let id = parent
        .as_str()
        .and_then(|t| t.parse::<bdk_wallet::bitcoin::Txid>().ok())
        .expect("txid");
    let err = interfaces::Wallet::get_transaction(wallet.as_ref(), id.to_byte_array());
    assert!(err.is_err(), "{err:?}");

    // Abandonment is written: it survives a reload.
    rpc.ok("unloadwallet", json!([]));
    rpc.ok("loadwallet", json!(["w"]));
    assert_listed_abandoned(&rpc, &parent);
    assert_listed_abandoned(&rpc, &child);
    assert_eq!(rpc.ok("getbalance", json!([])).to_string(), "50.00000000");

    // The coin is spent again; the abandoned pair stays in the history.
    let again = rpc.ok("sendtoaddress", json!([other_address(), 3]));
    rpc.mine(1);
    let listed = rpc.ok("listtransactions", json!(["*", 100]));
    assert_eq!(entries_of(&listed, &again)[0]["confirmations"], 1);
    assert_eq!(entries_of(&listed, &again)[0]["abandoned"], false);
    assert_listed_abandoned(&rpc, &parent);
}

#[test]
fn listsinceblock_lists_what_a_reorg_removed() {
    let rpc = Rpc::funded();
    let before = rpc.tip();
    let txid = rpc.ok("sendtoaddress", json!([other_address(), 1]));
    rpc.mine(1);
    let stale = rpc.tip();
    // In the active chain: nothing removed.
    let current = rpc.ok("listsinceblock", json!([before]));
    assert_eq!(current["removed"], json!([]));
    assert_eq!(entries_of(&current["transactions"], &txid).len(), 1);

    // The block leaves the chain; the transaction returns in the new chain's first block.
    rpc.reorg(1, 2, true);
    assert_ne!(rpc.tip(), stale);
    let since = rpc.ok("listsinceblock", json!([stale]));
    let removed = entries_of(&since["removed"], &txid);
    assert_eq!(removed.len(), 1, "{since}");
    assert_eq!(removed[0]["category"], "send");
    // Listed as it is now: confirmed again, two blocks deep.
    assert_eq!(removed[0]["confirmations"], 2, "{since}");
    assert_ne!(removed[0]["blockhash"], stale);
    assert_eq!(entries_of(&since["transactions"], &txid).len(), 1);
    let without = rpc.ok("listsinceblock", json!([stale, 1, false, false]));
    assert!(without.get("removed").is_none(), "{without}");
    assert!(without["transactions"].is_array());

    // The wallet's record of the stale block survives a reload.
    rpc.ok("unloadwallet", json!([]));
    rpc.ok("loadwallet", json!(["w"]));
    let reloaded = rpc.ok("listsinceblock", json!([stale]));
    assert_eq!(entries_of(&reloaded["removed"], &txid).len(), 1);

    // A reorg that drops the transaction: removed, unconfirmed.
    let second = rpc.tip();
    rpc.reorg(3, 4, false);
    let dropped = rpc.ok("listsinceblock", json!([second]));
    let removed = entries_of(&dropped["removed"], &txid);
    assert_eq!(removed.len(), 1, "{dropped}");
    assert_eq!(removed[0]["confirmations"], 0, "{dropped}");
    // Only the transactions of the stale branch: not the earlier coinbase.
    assert_eq!(dropped["removed"].as_array().map(Vec::len), Some(1));
}
