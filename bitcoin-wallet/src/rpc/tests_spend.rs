//! The coin-control, address, multi-recipient, history and fee-bump methods through an
//! `RpcTable` over the test chain: `lockunspent`/`listlockunspent` (persistent locks across
//! a reload), `getaddressinfo`, `sendmany`, `listsinceblock` across a reorg,
//! `abandontransaction` and `bumpfee`, the encryption methods and `backupwallet` /
//! `restorewallet`, with Core's error codes.

use std::sync::Arc;

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
        self.call_at("/wallet/w", method, params)
    }

    fn call_at(&self, uri: &str, method: &str, params: Value) -> Result<Value, (i32, String)> {
        super::tests::execute(&self.table, uri, method, params)
    }

    fn ok(&self, method: &str, params: Value) -> Value {
        self.call(method, params).expect(method)
    }

    fn code(&self, method: &str, params: Value) -> i32 {
        self.call(method, params).expect_err("error").0
    }

    fn mine(&self, n: usize) {
        self.env.chain.mine(n, &other_script());
        self.env.loader.sync_all().expect("sync");
    }

    /// The one spendable coin as `{"txid", "vout"}`.
    fn only_coin(&self) -> Value {
        let unspent = self.ok("listunspent", json!([]));
        assert_eq!(unspent.as_array().map(Vec::len), Some(1), "{unspent}");
        json!({"txid": unspent[0]["txid"], "vout": unspent[0]["vout"]})
    }
}

#[test]
fn locked_coins_are_skipped_and_persistent_locks_survive_a_reload() {
    let rpc = Rpc::funded();
    let coin = rpc.only_coin();
    assert_eq!(rpc.ok("lockunspent", json!([false, [coin]])), json!(true));
    assert_eq!(rpc.ok("listlockunspent", json!([])), json!([coin]));
    assert_eq!(rpc.ok("listunspent", json!([])), json!([]));
    let (code, message) = rpc
        .call("sendtoaddress", json!([other_address(), 1]))
        .expect_err("locked");
    assert_eq!((code, message.as_str()), (-6, "Insufficient funds"));
    let again = rpc.call("lockunspent", json!([false, [coin]]));
    assert_eq!(
        again.expect_err("twice"),
        (-8, "Invalid parameter, output already locked".into())
    );
    // Upgrading to a persistent lock is allowed, and it survives unload and load.
    rpc.ok("lockunspent", json!([false, [coin], true]));
    rpc.ok("unloadwallet", json!([]));
    rpc.ok("loadwallet", json!(["w"]));
    assert_eq!(rpc.ok("listlockunspent", json!([])), json!([coin]));
    assert_eq!(rpc.ok("lockunspent", json!([true])), json!(true));
    assert_eq!(rpc.ok("listlockunspent", json!([])), json!([]));
    assert_eq!(
        rpc.call("lockunspent", json!([true, [coin]]))
            .expect_err("not locked"),
        (-8, "Invalid parameter, expected locked output".into())
    );
    rpc.ok("unloadwallet", json!([]));
    rpc.ok("loadwallet", json!(["w"]));
    assert_eq!(rpc.ok("listlockunspent", json!([])), json!([]));
    assert!(rpc
        .call("sendtoaddress", json!([other_address(), 1]))
        .is_ok());
}

#[test]
fn lockunspent_errors_are_cores() {
    let rpc = Rpc::funded();
    let coin = rpc.only_coin();
    let unknown = json!([false, [{"txid": "00".repeat(32), "vout": 0}]]);
    assert_eq!(
        rpc.call("lockunspent", unknown).expect_err("unknown"),
        (-8, "Invalid parameter, unknown transaction".into())
    );
    let bounds = json!([false, [{"txid": coin["txid"], "vout": 9}]]);
    assert_eq!(
        rpc.call("lockunspent", bounds).expect_err("bounds"),
        (-8, "Invalid parameter, vout index out of bounds".into())
    );
    let negative = json!([false, [{"txid": coin["txid"], "vout": -1}]]);
    assert_eq!(rpc.code("lockunspent", negative), -8);
    assert_eq!(
        rpc.call("lockunspent", json!([false, [{"vout": 0}]]))
            .expect_err("missing"),
        (-3, "Missing txid".into())
    );
    assert_eq!(
        rpc.code("lockunspent", json!([false, [{"txid": "zz", "vout": 0}]])),
        -8
    );
    rpc.ok("sendtoaddress", json!([other_address(), 1]));
    assert_eq!(
        rpc.call("lockunspent", json!([false, [coin]]))
            .expect_err("spent"),
        (-8, "Invalid parameter, expected unspent output".into())
    );
}

#[test]
fn getaddressinfo_describes_own_and_foreign_addresses() {
    let rpc = Rpc::funded();
    let address = rpc.ok("getnewaddress", json!(["savings"]));
    let info = rpc.ok("getaddressinfo", json!([address]));
    assert_eq!(info["address"], address);
    assert_eq!(
        (info["ismine"].as_bool(), info["solvable"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(
        (info["iswatchonly"].as_bool(), info["isscript"].as_bool()),
        (Some(false), Some(false))
    );
    assert_eq!(
        (
            info["iswitness"].as_bool(),
            info["witness_version"].as_i64()
        ),
        (Some(true), Some(0))
    );
    assert_eq!(info["ischange"], false);
    assert_eq!(info["labels"], json!(["savings"]));
    assert!(
        info["desc"]
            .as_str()
            .is_some_and(|d| d.starts_with("wpkh([")),
        "{info}"
    );
    assert!(
        info["parent_desc"]
            .as_str()
            .is_some_and(|d| d.contains("/0/*)#")),
        "{info}"
    );
    assert!(
        info["hdkeypath"]
            .as_str()
            .is_some_and(|p| p.starts_with("m/84h/1h/0h/0/")),
        "{info}"
    );
    assert_eq!(info["pubkey"].as_str().map(str::len), Some(66));
    assert_eq!(info["hdmasterfingerprint"].as_str().map(str::len), Some(8));
    let keys: Vec<&String> = info.as_object().expect("object").keys().collect();
    assert_eq!(keys.first().map(|k| k.as_str()), Some("address"));

    let change = rpc.ok("getrawchangeaddress", json!([]));
    let info = rpc.ok("getaddressinfo", json!([change]));
    assert_eq!(
        (info["ischange"].as_bool(), info["labels"].clone()),
        (Some(true), json!([]))
    );
    assert!(info["hdkeypath"]
        .as_str()
        .is_some_and(|p| p.starts_with("m/84h/1h/0h/1/")));

    let foreign = rpc.ok("getaddressinfo", json!([other_address()]));
    assert_eq!(
        (foreign["ismine"].as_bool(), foreign["solvable"].as_bool()),
        (Some(false), Some(false))
    );
    assert!(foreign.get("desc").is_none() && foreign.get("hdkeypath").is_none());
    assert_eq!(foreign["labels"], json!([]));
    assert_eq!(rpc.code("getaddressinfo", json!(["nonsense"])), -5);
}

#[test]
fn sendmany_pays_every_recipient_with_cores_errors() {
    let rpc = Rpc::funded();
    let a = other_address();
    let b = rpc.ok("getnewaddress", json!([]));
    let b = b.as_str().expect("address").to_string();
    let amounts = json!({a.clone(): 1, b.clone(): "0.5"});
    let verbose = rpc.ok(
        "sendmany",
        json!({"dummy": "", "amounts": amounts, "subtractfeefrom": [a.clone()], "fee_rate": 2, "verbose": true}),
    );
    assert_eq!(verbose["fee_reason"], "PayTxFee set");
    let txid = verbose["txid"].clone();
    let tx = rpc.ok("gettransaction", json!([txid]));
    let fee = -tx["fee"].as_f64().expect("fee");
    assert!(fee > 0.0 && fee < 0.0001, "{tx}");
    let mempool = rpc.env.chain.mempool();
    let paid = mempool[0]
        .output
        .iter()
        .find(|o| o.script_pubkey == other_script())
        .expect("paid");
    assert!(paid.value.to_sat() < 100_000_000 && paid.value.to_sat() > 99_990_000);
    assert_eq!(
        rpc.call("sendmany", json!(["x", {a.clone(): 1}]))
            .expect_err("dummy"),
        (-8, "Dummy value must be set to \"\"".into())
    );
    assert_eq!(rpc.code("sendmany", json!(["", {"bogus": 1}])), -5);
    let missing = rpc.call("sendmany", json!(["", {a.clone(): 1}, 1, "", ["nothere"]]));
    assert_eq!(missing.expect_err("sffo").0, -8);
    let position = rpc.call("sendmany", json!(["", {a.clone(): 1}, 1, "", [3]]));
    assert_eq!(
        position.expect_err("position"),
        (
            -8,
            "Invalid parameter 'subtract fee from output', position too large: 3".into()
        )
    );
    assert_eq!(rpc.code("sendmany", json!(["", {a: 1000}])), -6);
}

#[test]
fn listsinceblock_and_abandontransaction_across_a_reorg() {
    let rpc = Rpc::funded();
    let tip = rpc.ok("listsinceblock", json!([]))["lastblock"].clone();
    let all = rpc.ok("listsinceblock", json!([]));
    assert_eq!(all["transactions"].as_array().map(Vec::len), Some(1));
    assert_eq!(all["removed"], json!([]));
    let txid = rpc.ok("sendtoaddress", json!([other_address(), 1]));
    let since = rpc.ok("listsinceblock", json!([tip]));
    let listed: Vec<&Value> = since["transactions"]
        .as_array()
        .expect("array")
        .iter()
        .collect();
    assert_eq!(listed.len(), 1, "{since}");
    assert_eq!(listed[0]["txid"], txid);
    assert_eq!(since["lastblock"], tip);
    assert_eq!(rpc.code("listsinceblock", json!(["00".repeat(32)])), -5);
    assert_eq!(rpc.code("listsinceblock", json!([tip, 0])), -8);

    // In the mempool: not eligible.
    assert_eq!(
        rpc.call("abandontransaction", json!([txid]))
            .expect_err("mempool"),
        (-5, "Transaction not eligible for abandonment".into())
    );
    rpc.mine(1);
    let mined = rpc.ok("listsinceblock", json!([tip, 1]));
    assert_eq!(mined["transactions"][0]["confirmations"], 1);
    assert_ne!(mined["lastblock"], tip);
    let deep = rpc.ok("listsinceblock", json!([tip, 2]));
    assert_eq!(deep["lastblock"], tip);
    assert_eq!(rpc.code("abandontransaction", json!([txid])), -5);

    // A reorg drops the block and the transaction with it: unconfirmed, not in the mempool.
    let stale = mined["lastblock"].clone();
    rpc.env.chain.reorg(1, 2, false, &other_script());
    rpc.env.loader.sync_all().expect("sync");
    let after = rpc.ok("listsinceblock", json!([stale]));
    assert_eq!(after["transactions"][0]["confirmations"], 0, "{after}");
    let before = rpc.ok("getbalance", json!([]));
    assert_eq!(rpc.ok("abandontransaction", json!([txid])), Value::Null);
    assert_eq!(rpc.ok("abandontransaction", json!([txid])), Value::Null);
    assert_eq!(rpc.ok("getbalance", json!([])).to_string(), "50.00000000");
    assert_ne!(before.to_string(), "50.00000000");
    rpc.ok("unloadwallet", json!([]));
    rpc.ok("loadwallet", json!(["w"]));
    assert_eq!(rpc.ok("getbalance", json!([])).to_string(), "50.00000000");
    assert_eq!(rpc.code("abandontransaction", json!(["11".repeat(32)])), -5);
}

#[test]
fn bumpfee_replaces_with_a_higher_fee_and_cores_errors() {
    let rpc = Rpc::funded();
    let fixed = rpc.ok(
        "sendtoaddress",
        json!({"address": other_address(), "amount": 1, "replaceable": false}),
    );
    assert_eq!(
        rpc.call("bumpfee", json!([fixed])).expect_err("final"),
        (-8, "Transaction is not BIP 125 replaceable".into())
    );
    rpc.mine(1);
    assert_eq!(
        rpc.call("bumpfee", json!([fixed])).expect_err("mined"),
        (
            -4,
            "Transaction has been mined, or is conflicted with a mined transaction".into()
        )
    );
    assert_eq!(rpc.code("bumpfee", json!(["22".repeat(32)])), -5);
    let txid = rpc.ok(
        "sendtoaddress",
        json!({"address": other_address(), "amount": 1, "fee_rate": 2}),
    );
    assert_eq!(rpc.code("bumpfee", json!([txid, {"outputs": []}])), -8);
    assert_eq!(rpc.code("bumpfee", json!([txid, {"bogus": 1}])), -3);
    // The test chain refuses conflicts in its mempool; a reorg leaves the send unconfirmed
    // outside it, where its replacement can go.
    rpc.mine(1);
    rpc.env.chain.reorg(1, 2, false, &other_script());
    rpc.env.loader.sync_all().expect("sync");
    let bumped = rpc.ok("bumpfee", json!([txid, {"fee_rate": 10}]));
    assert_eq!(bumped["errors"], json!([]));
    let (orig, fee) = (
        bumped["origfee"].as_f64().expect("orig"),
        bumped["fee"].as_f64().expect("fee"),
    );
    assert!(fee > orig * 4.0, "{bumped}");
    let replacement = bumped["txid"].clone();
    assert_ne!(replacement, txid);
    assert_eq!(
        rpc.env.chain.mempool()[0].compute_txid().to_string(),
        replacement.as_str().unwrap_or_default()
    );
    let record = rpc.ok("gettransaction", json!([replacement]));
    assert_eq!(record["bip125-replaceable"], "yes");
    let again = rpc.call("bumpfee", json!([txid])).expect_err("bumped");
    assert_eq!(again.0, -4);
    assert!(
        again.1.starts_with("Cannot bump transaction"),
        "{}",
        again.1
    );
    let low = rpc.call("bumpfee", json!([replacement, {"fee_rate": 10}]));
    assert_eq!(low.expect_err("low").0, -8);
}

#[test]
fn psbt_round_trip_and_errors() {
    let rpc = Rpc::funded();
    let outputs = json!([{other_address(): 1}]);
    let funded = rpc.ok(
        "walletcreatefundedpsbt",
        json!({"outputs": outputs, "fee_rate": 2, "lockUnspents": true}),
    );
    assert!(
        funded["fee"]
            .as_f64()
            .is_some_and(|f| f > 0.0 && f < 0.0001),
        "{funded}"
    );
    assert!(
        funded["changepos"].as_i64().is_some_and(|p| p >= 0),
        "{funded}"
    );
    assert_eq!(
        rpc.ok("listlockunspent", json!([]))
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    let unsigned = rpc.ok("walletprocesspsbt", json!([funded["psbt"], false]));
    assert_eq!(unsigned["complete"], false);
    let signed = rpc.ok("walletprocesspsbt", json!([funded["psbt"]]));
    assert_eq!(signed["complete"], true, "{signed}");
    let hex = signed["hex"].as_str().expect("hex");
    let bytes = rpc::hex::parse_hex(hex).expect("hex");
    let tx: bdk_wallet::bitcoin::Transaction =
        bdk_wallet::bitcoin::consensus::deserialize(&bytes).expect("tx");
    assert!(tx.output.iter().any(|o| o.script_pubkey == other_script()));
    assert!(tx.input.iter().all(|i| i.witness.len() == 2));
    assert_eq!(rpc.code("walletprocesspsbt", json!(["notapsbt"])), -22);
    assert_eq!(
        rpc.code("walletprocesspsbt", json!([funded["psbt"], true, "NONE"])),
        -8
    );
    let refused = json!({"outputs": [{other_address(): 1}], "changeAddress": other_address()});
    assert_eq!(rpc.code("walletcreatefundedpsbt", refused), -8);
    let too_much = json!({"outputs": [{other_address(): 100}]});
    assert_eq!(rpc.code("walletcreatefundedpsbt", too_much), -6);
}

#[test]
fn listdescriptors_and_rescanblockchain() {
    let rpc = Rpc::funded();
    let listed = rpc.ok("listdescriptors", json!([]));
    assert_eq!(listed["wallet_name"], "w");
    let descriptors = listed["descriptors"].as_array().expect("array");
    // One active pair per output type: wpkh, tr, pkh, sh(wpkh).
    assert_eq!(descriptors.len(), 8);
    let texts: Vec<&str> = descriptors
        .iter()
        .filter_map(|d| d["desc"].as_str())
        .collect();
    let mut sorted = texts.clone();
    sorted.sort_unstable();
    assert_eq!(texts, sorted);
    let receive = descriptors
        .iter()
        .find(|d| {
            d["internal"] == false && d["desc"].as_str().is_some_and(|t| t.starts_with("wpkh("))
        })
        .expect("receive");
    assert_eq!(
        (receive["active"].clone(), receive["next_index"].clone()),
        (json!(true), json!(1))
    );
    assert_eq!(receive["range"], json!([0, 1000]));
    assert!(receive["desc"]
        .as_str()
        .is_some_and(|d| d.starts_with("wpkh([") && !d.contains("prv")));
    assert_eq!(rpc.code("listdescriptors", json!([true])), -4);

    let rescanned = rpc.ok("rescanblockchain", json!([]));
    assert_eq!(rescanned, json!({"start_height": 0, "stop_height": 101}));
    assert_eq!(
        rpc.ok("rescanblockchain", json!([1, 50])),
        json!({"start_height": 1, "stop_height": 50})
    );
    assert_eq!(rpc.ok("getbalance", json!([])).to_string(), "50.00000000");
    assert_eq!(
        rpc.call("rescanblockchain", json!([500]))
            .expect_err("start"),
        (-8, "Invalid start_height".into())
    );
    assert_eq!(
        rpc.call("rescanblockchain", json!([0, 500]))
            .expect_err("stop"),
        (-8, "Invalid stop_height".into())
    );
    assert_eq!(rpc.code("rescanblockchain", json!([10, 5])), -8);
}

#[test]
fn send_broadcasts_or_hands_back_the_transaction() {
    let rpc = Rpc::funded();
    let outputs = json!({other_address(): 1});
    let kept = rpc.ok(
        "send",
        json!({"outputs": outputs, "fee_rate": 2, "add_to_wallet": false}),
    );
    assert_eq!(kept["complete"], true, "{kept}");
    assert!(kept["psbt"].is_string() && kept["hex"].is_string() && kept["txid"].is_string());
    assert!(rpc.env.chain.mempool().is_empty());
    let sent = rpc.ok(
        "send",
        json!({"outputs": [outputs], "options": {"fee_rate": 2}}),
    );
    assert_eq!(sent["complete"], true);
    assert!(
        sent.get("hex").is_none() && sent.get("psbt").is_none(),
        "{sent}"
    );
    assert_eq!(
        rpc.env.chain.mempool()[0].compute_txid().to_string(),
        sent["txid"].as_str().unwrap_or_default()
    );
    let recorded = rpc.ok("gettransaction", json!([sent["txid"]]));
    assert!(recorded["fee"].as_f64().is_some_and(|f| f < 0.0));
    let both = rpc.call(
        "send",
        json!({"outputs": outputs, "fee_rate": 2, "options": {"fee_rate": 3}}),
    );
    assert_eq!(
        both.expect_err("both"),
        (
            -8,
            "Pass the fee_rate either as an argument, or in the options object, but not both"
                .into()
        )
    );
    let old = rpc.call(
        "send",
        json!({"outputs": outputs, "options": {"feeRate": 0.0001}}),
    );
    assert_eq!(
        old.expect_err("old"),
        (-8, "Use fee_rate (sat/vB) instead of feeRate".into())
    );
    assert_eq!(
        rpc.code("send", json!({"outputs": outputs, "change_type": "bech32"})),
        -8
    );
    assert_eq!(
        rpc.code("send", json!({"outputs": outputs, "conf_target": 2})),
        -8
    );
}

#[test]
fn encryption_methods_in_cores_order_with_cores_codes() {
    let rpc = Rpc::funded();
    let send = || rpc.call("sendtoaddress", json!([other_address(), 1]));
    for method in ["walletlock", "walletpassphrasechange", "walletpassphrase"] {
        let params = match method {
            "walletlock" => json!([]),
            "walletpassphrase" => json!(["x", 10]),
            _ => json!(["x", "y"]),
        };
        assert_eq!(
            rpc.call(method, params).expect_err(method),
            (
                -15,
                format!("Error: running with an unencrypted wallet, but {method} was called.")
            )
        );
    }
    assert_eq!(rpc.code("encryptwallet", json!([""])), -8);
    let text = rpc.ok("encryptwallet", json!(["pw"]));
    assert!(
        text.as_str()
            .is_some_and(|t| t.starts_with("wallet encrypted")),
        "{text}"
    );
    assert_eq!(rpc.code("encryptwallet", json!(["pw"])), -15);
    assert_eq!(
        rpc.ok("getwalletinfo", json!([]))["unlocked_until"].as_i64(),
        Some(0)
    );
    assert_eq!(send().expect_err("locked").0, -13);

    assert_eq!(rpc.code("walletpassphrase", json!(["bad", 60])), -14);
    assert_eq!(
        rpc.call("walletpassphrase", json!(["pw", -1]))
            .expect_err("negative"),
        (-8, "Timeout cannot be negative.".into())
    );
    assert_eq!(rpc.code("walletpassphrase", json!(["", 60])), -8);
    assert_eq!(rpc.ok("walletpassphrase", json!(["pw", 600])), Value::Null);
    assert!(rpc.ok("getwalletinfo", json!([]))["unlocked_until"].as_i64() > Some(0));
    send().expect("unlocked wallet sends");
    assert_eq!(rpc.ok("walletlock", json!([])), Value::Null);
    assert_eq!(send().expect_err("locked again").0, -13);

    assert_eq!(
        rpc.code("walletpassphrasechange", json!(["bad", "new"])),
        -14
    );
    assert_eq!(rpc.code("walletpassphrasechange", json!(["pw", ""])), -8);
    assert_eq!(
        rpc.ok("walletpassphrasechange", json!(["pw", "new"])),
        Value::Null
    );
    assert_eq!(rpc.code("walletpassphrase", json!(["pw", 60])), -14);
    rpc.ok("walletpassphrase", json!(["new", 60]));
    send().expect("unlocked with the new passphrase");
}

#[test]
fn a_backup_restores_as_another_wallet_with_its_history_and_encryption() {
    let rpc = Rpc::funded();
    let txid = rpc.ok("sendtoaddress", json!([other_address(), 1]));
    rpc.mine(1);
    rpc.ok("encryptwallet", json!(["pw"]));
    let backups = tempfile::tempdir().expect("tempdir");
    let file = backups.path().join("w.dat");
    assert_eq!(rpc.ok("backupwallet", json!([file.to_str()])), Value::Null);
    // Into a directory: the file is named after the wallet; an existing file is replaced.
    rpc.ok("backupwallet", json!([backups.path().to_str()]));
    rpc.ok("backupwallet", json!([backups.path().to_str()]));
    assert!(backups.path().join("w.bak").is_file());
    let own = rpc.env.loader.wallets_dir().join("w").join("wallet.sqlite");
    assert_eq!(
        rpc.call("backupwallet", json!([own.to_str()]))
            .expect_err("own file"),
        (-4, "Error: Wallet backup failed!".into())
    );

    let restored = rpc.ok("restorewallet", json!(["r", file.to_str()]));
    assert_eq!(restored, json!({"name": "r"}));
    let at_r = |method: &str, params: Value| rpc.call_at("/wallet/r", method, params);
    assert_eq!(
        at_r("getbalance", json!([])).expect("balance"),
        rpc.ok("getbalance", json!([]))
    );
    let tx = at_r("gettransaction", json!([txid])).expect("the sent transaction");
    assert_eq!(tx["confirmations"].as_i64(), Some(1));
    // Still encrypted: it sends once unlocked with the wallet's passphrase.
    assert_eq!(
        at_r("sendtoaddress", json!([other_address(), 1]))
            .expect_err("locked")
            .0,
        -13
    );
    at_r("walletpassphrase", json!(["pw", 60])).expect("unlock");
    at_r("sendtoaddress", json!([other_address(), 1])).expect("restored wallet sends");

    let (code, message) = rpc
        .call("restorewallet", json!(["r", file.to_str()]))
        .expect_err("exists");
    assert_eq!(code, -8);
    assert!(message.ends_with("Database already exists."), "{message}");
    let missing = backups.path().join("missing");
    assert_eq!(
        rpc.call("restorewallet", json!(["x", missing.to_str()]))
            .expect_err("missing"),
        (-8, "Backup file does not exist".into())
    );
    let junk = backups.path().join("junk");
    std::fs::write(&junk, b"not a wallet").expect("write");
    let (code, message) = rpc
        .call("restorewallet", json!(["y", junk.to_str()]))
        .expect_err("junk");
    assert_eq!(code, -8);
    assert!(message.contains("is not a wallet backup"), "{message}");
    assert!(!rpc.env.loader.wallets_dir().join("y").exists());
}
