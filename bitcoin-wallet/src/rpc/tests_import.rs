//! Blank and watch-only wallets and `importdescriptors` through an `RpcTable` over the test
//! chain: Core's errors before any descriptor, a wpkh() pair that finds an earlier payment,
//! a tr() pair that signs on the key path, a watch-only tpub pair that sees but cannot
//! spend, an encrypted blank wallet, each refusal with Core's code, and reloads.

use std::sync::Arc;

use bdk_wallet::bitcoin::hashes::Hash;
use bdk_wallet::bitcoin::key::XOnlyPublicKey;
use bdk_wallet::bitcoin::secp256k1::{schnorr, Message, Secp256k1};
use bdk_wallet::bitcoin::sighash::{Prevouts, SighashCache, TapSighashType};
use bdk_wallet::bitcoin::{Network, Transaction};
use rpc::RpcTable;
use serde_json::{json, Value};

use crate::rpc::wallet_table;
use crate::wallet::keys::KeyMaterial;
use crate::wallet::tests::{env, other_address, other_script, prevout, script_of, Env};

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

    fn call(&self, wallet: &str, method: &str, params: Value) -> Result<Value, (i32, String)> {
        super::tests::execute(&self.table, &format!("/wallet/{wallet}"), method, params)
    }

    fn ok(&self, wallet: &str, method: &str, params: Value) -> Value {
        self.call(wallet, method, params).expect(method)
    }

    fn mine_to(&self, address: &str) {
        self.env.chain.mine(1, &script_of(address));
        self.env.chain.mine(100, &other_script());
        self.env.loader.sync_all().expect("sync");
    }

    /// The private descriptors of a new wallet `name`, which is then unloaded.
    fn fresh_keys(&self, name: &str) -> KeyMaterial {
        self.ok("", "createwallet", json!([name]));
        self.ok(name, "unloadwallet", json!([]));
        KeyMaterial::read(&self.env.dir.path().join("wallets").join(name), name).expect("keys")
    }
}

/// `desc` with its checksum.
fn with_sum(desc: &str) -> String {
    format!(
        "{desc}#{}",
        rpc::descriptor::checksum(desc).expect("checksum")
    )
}

/// An active import request.
fn request(desc: &str, internal: bool, timestamp: Value) -> Value {
    json!({"desc": with_sum(desc), "active": true, "internal": internal, "timestamp": timestamp})
}

/// The BIP86 form of BIP84 private descriptors.
fn taproot(desc: &str) -> String {
    desc.replace("wpkh(", "tr(").replace("/84h/", "/86h/")
}

fn public(keys: &KeyMaterial) -> KeyMaterial {
    keys.public(&Secp256k1::new(), Network::Regtest, "w")
        .expect("public")
}

fn success() -> Value {
    json!({"success": true})
}

fn failure(result: &Value) -> (i64, String) {
    assert_eq!(result["success"], false, "{result}");
    (
        result["error"]["code"].as_i64().expect("code"),
        result["error"]["message"]
            .as_str()
            .expect("message")
            .to_string(),
    )
}

#[test]
fn blank_wallet_has_no_keys_until_import() {
    let rpc = Rpc::new();
    assert_eq!(
        rpc.ok(
            "",
            "createwallet",
            json!({"wallet_name": "b", "blank": true})
        ),
        json!({"name": "b"})
    );
    let no_keys = (-4, "Error: This wallet has no available keys".to_string());
    assert_eq!(
        rpc.call("b", "getnewaddress", json!([])),
        Err(no_keys.clone())
    );
    assert_eq!(
        rpc.call("b", "getnewaddress", json!(["", "bech32m"])),
        Err(no_keys.clone())
    );
    assert_eq!(
        rpc.call("b", "getrawchangeaddress", json!([])),
        Err(no_keys)
    );
    let info = rpc.ok("b", "getwalletinfo", json!([]));
    assert_eq!(info["blank"], true);
    assert_eq!(info["private_keys_enabled"], true);
    assert_eq!(info["keypoolsize"], 0);
    assert_eq!(info["flags"], json!(["blank", "descriptor_wallet"]));
    assert_eq!(
        rpc.ok("b", "listdescriptors", json!([]))["descriptors"],
        json!([])
    );
    assert_eq!(
        rpc.ok("b", "getbalance", json!([])).to_string(),
        "0.00000000"
    );
    rpc.ok("b", "unloadwallet", json!([]));
    assert_eq!(
        rpc.ok("", "listwalletdir", json!([])),
        json!({"wallets": [{"name": "b", "warnings": []}]})
    );
    rpc.ok("", "loadwallet", json!(["b"]));
    assert_eq!(
        rpc.call("b", "getnewaddress", json!([])).map_err(|e| e.0),
        Err(-4)
    );

    rpc.ok(
        "",
        "createwallet",
        json!({"wallet_name": "wo", "disable_private_keys": true}),
    );
    let info = rpc.ok("wo", "getwalletinfo", json!([]));
    assert_eq!(info["private_keys_enabled"], false);
    assert_eq!(
        info["flags"],
        json!(["disable_private_keys", "blank", "descriptor_wallet"])
    );
    assert_eq!(
        rpc.call("wo", "getnewaddress", json!([])).map_err(|e| e.0),
        Err(-4)
    );
    let legacy = rpc
        .call(
            "",
            "createwallet",
            json!({"wallet_name": "l", "descriptors": false}),
        )
        .expect_err("legacy");
    assert_eq!(legacy, (-4, "descriptors argument must be set to \"true\"; it is no longer possible to create a legacy wallet.".into()));
    let with_passphrase = rpc
        .call(
            "",
            "createwallet",
            json!({"wallet_name": "p", "disable_private_keys": true, "passphrase": "x"}),
        )
        .expect_err("passphrase");
    assert_eq!(with_passphrase.0, -4);
    assert!(with_passphrase
        .1
        .starts_with("Passphrase provided but private keys are disabled."));
}

#[test]
fn imported_wpkh_pair_finds_an_earlier_payment_and_survives_reload() {
    let rpc = Rpc::new();
    rpc.ok("", "createwallet", json!(["src"]));
    let paid = rpc.ok("src", "getnewaddress", json!([]));
    rpc.ok("src", "unloadwallet", json!([]));
    let keys = KeyMaterial::read(&rpc.env.dir.path().join("wallets/src"), "src").expect("keys");
    rpc.mine_to(paid.as_str().expect("address"));

    rpc.ok(
        "",
        "createwallet",
        json!({"wallet_name": "b", "blank": true}),
    );
    let result = rpc.ok(
        "b",
        "importdescriptors",
        json!([[
            request(&keys.external, false, json!(0)),
            request(&keys.internal, true, json!(0))
        ]]),
    );
    assert_eq!(result, json!([success(), success()]));
    assert_eq!(
        rpc.ok("b", "getbalance", json!([])).to_string(),
        "50.00000000"
    );
    let history = rpc.ok("b", "listtransactions", json!([]));
    assert_eq!(history.as_array().map(Vec::len), Some(1), "{history}");
    assert_eq!(history[0]["address"], paid);
    assert_eq!(
        rpc.call("b", "getnewaddress", json!(["", "bech32m"])),
        Err((-12, "Error: No bech32m addresses available.".into()))
    );
    assert!(rpc
        .ok("b", "getnewaddress", json!(["", "bech32"]))
        .as_str()
        .is_some());
    let info = rpc.ok("b", "getwalletinfo", json!([]));
    assert_eq!(info["blank"], false);
    assert_eq!(info["birthtime"], 0);
    let listed = rpc.ok("b", "listdescriptors", json!([]));
    let shown: Vec<&str> = listed["descriptors"]
        .as_array()
        .expect("descriptors")
        .iter()
        .map(|d| d["desc"].as_str().expect("desc"))
        .collect();
    let public = public(&keys);
    assert_eq!(shown.len(), 2);
    assert!(
        shown
            .iter()
            .all(|d| d.starts_with("wpkh([") && d.contains("tpub")),
        "{shown:?}"
    );

    rpc.ok("b", "unloadwallet", json!([]));
    rpc.ok("", "loadwallet", json!(["b"]));
    assert_eq!(rpc.ok("b", "listdescriptors", json!([])), listed);
    assert_eq!(
        rpc.ok("b", "getbalance", json!([])).to_string(),
        "50.00000000"
    );
    let stored = KeyMaterial::read(&rpc.env.dir.path().join("wallets/b"), "b").expect("keys");
    assert!(!stored.blank && stored.external.contains("tprv"));
    assert_eq!(public.external, self::public(&stored).external);
}

/// Checks every input's taproot key-path signature against its previous output's key.
fn verify_taproot(rpc: &Rpc, tx: &Transaction) {
    let secp = Secp256k1::verification_only();
    let prevouts: Vec<_> = tx
        .input
        .iter()
        .map(|i| prevout(&rpc.env.chain, &i.previous_output))
        .collect();
    let mut cache = SighashCache::new(tx);
    for (i, input) in tx.input.iter().enumerate() {
        let script = &prevouts[i].script_pubkey;
        assert!(script.is_p2tr(), "{script:?}");
        let key = XOnlyPublicKey::from_slice(&script.as_bytes()[2..34]).expect("key");
        assert_eq!(input.witness.len(), 1, "a key-path spend");
        let signature = schnorr::Signature::from_slice(&input.witness[0][..64]).expect("sig");
        let sighash_type = match input.witness[0].len() {
            64 => TapSighashType::Default,
            _ => TapSighashType::from_consensus_u8(input.witness[0][64]).expect("type"),
        };
        let sighash = cache
            .taproot_key_spend_signature_hash(i, &Prevouts::All(&prevouts), sighash_type)
            .expect("sighash");
        let message = Message::from_digest(sighash.to_byte_array());
        secp.verify_schnorr(&signature, &message, &key)
            .expect("valid signature");
    }
}

#[test]
fn imported_tr_pair_hands_out_bech32m_and_signs_on_the_key_path() {
    let rpc = Rpc::new();
    let keys = rpc.fresh_keys("gen");
    rpc.ok(
        "",
        "createwallet",
        json!({"wallet_name": "t", "blank": true}),
    );
    let result = rpc.ok(
        "t",
        "importdescriptors",
        json!([[
            request(&taproot(&keys.external), false, json!("now")),
            request(&taproot(&keys.internal), true, json!("now")),
        ]]),
    );
    assert_eq!(result, json!([success(), success()]));
    let address = rpc.ok("t", "getnewaddress", json!(["", "bech32m"]));
    let address = address.as_str().expect("address").to_string();
    assert!(address.starts_with("bcrt1p"), "{address}");
    assert_eq!(
        rpc.call("t", "getnewaddress", json!([])),
        Err((-12, "Error: No bech32 addresses available.".into()))
    );
    assert_eq!(
        rpc.call("t", "getnewaddress", json!(["", "bech32"])),
        Err((-12, "Error: No bech32 addresses available.".into()))
    );
    assert!(rpc
        .ok("t", "getrawchangeaddress", json!(["bech32m"]))
        .as_str()
        .is_some_and(|a| a.starts_with("bcrt1p")));
    let info = rpc.ok("t", "getaddressinfo", json!([address]));
    assert_eq!(info["ismine"], true);
    assert!(
        info["desc"].as_str().is_some_and(|d| d.starts_with("tr([")),
        "{info}"
    );
    assert_eq!(info["hdkeypath"], "m/86h/1h/0h/0/0", "{info}");
    assert!(info.get("pubkey").is_none(), "{info}");
    rpc.mine_to(&address);
    assert_eq!(
        rpc.ok("t", "getbalance", json!([])).to_string(),
        "50.00000000"
    );
    let txid = rpc.ok("t", "sendtoaddress", json!([other_address(), 1.0]));
    let tx = rpc
        .env
        .chain
        .mempool()
        .into_iter()
        .find(|t| Some(t.compute_txid().to_string().as_str()) == txid.as_str())
        .expect("in the mempool");
    verify_taproot(&rpc, &tx);
    rpc.env.chain.mine(1, &other_script());
    rpc.env.loader.sync_all().expect("sync");
    let confirmed = rpc.ok("t", "gettransaction", json!([txid]));
    assert_eq!(confirmed["confirmations"], 1);
}

#[test]
fn watch_only_pair_sees_balances_and_refuses_to_sign() {
    let rpc = Rpc::new();
    rpc.ok("", "createwallet", json!(["src"]));
    let paid = rpc.ok("src", "getnewaddress", json!([]));
    rpc.ok("src", "unloadwallet", json!([]));
    let keys = KeyMaterial::read(&rpc.env.dir.path().join("wallets/src"), "src").expect("keys");
    rpc.mine_to(paid.as_str().expect("address"));
    rpc.ok(
        "",
        "createwallet",
        json!({"wallet_name": "wo", "disable_private_keys": true}),
    );
    let private = rpc.ok(
        "wo",
        "importdescriptors",
        json!([[
            request(&keys.external, false, json!(0)),
            request(&keys.internal, true, json!(0))
        ]]),
    );
    for result in private.as_array().expect("results") {
        assert_eq!(
            failure(result),
            (
                -4,
                "Cannot import private keys to a wallet with private keys disabled".into()
            )
        );
    }
    let public = public(&keys);
    let result = rpc.ok(
        "wo",
        "importdescriptors",
        json!([[
            request(&public.external, false, json!(0)),
            request(&public.internal, true, json!(0))
        ]]),
    );
    assert_eq!(result, json!([success(), success()]));
    assert_eq!(
        rpc.ok("wo", "getbalance", json!([])).to_string(),
        "50.00000000"
    );
    assert_eq!(
        rpc.call("wo", "sendtoaddress", json!([other_address(), 1.0])),
        Err((
            -4,
            "Error: Private keys are disabled for this wallet".into()
        ))
    );
    let bump = rpc.call("wo", "bumpfee", json!(["11".repeat(32)]));
    assert_eq!(bump, Err((-4, "bumpfee is not available with wallets that have private keys disabled. Use psbtbumpfee instead.".into())));
    assert_eq!(
        rpc.call("wo", "encryptwallet", json!(["pass"])),
        Err((
            -16,
            "Error: wallet does not contain private keys, nothing to encrypt.".into()
        ))
    );
    let info = rpc.ok("wo", "getwalletinfo", json!([]));
    assert_eq!(info["private_keys_enabled"], false);
    assert_eq!(info["blank"], false);
    rpc.ok("wo", "unloadwallet", json!([]));
    rpc.ok("", "loadwallet", json!(["wo"]));
    assert_eq!(
        rpc.ok("wo", "getbalance", json!([])).to_string(),
        "50.00000000"
    );
    assert!(rpc.ok("wo", "getnewaddress", json!([])).as_str().is_some());
}

#[test]
fn import_refusals_are_cores() {
    let rpc = Rpc::new();
    let keys = rpc.fresh_keys("gen");
    let public = public(&keys);
    rpc.ok(
        "",
        "createwallet",
        json!({"wallet_name": "b", "blank": true}),
    );
    let one = |request: Value| {
        let result = rpc.ok("b", "importdescriptors", json!([[request]]));
        failure(&result[0])
    };
    let sum = rpc::descriptor::checksum(&keys.external).expect("sum");
    let wrong = format!("{}#qqqqqqqq", keys.external);
    let (code, message) = one(json!({"desc": wrong, "active": true, "timestamp": 0}));
    assert_eq!(code, -5);
    assert_eq!(
        message,
        format!("Provided checksum 'qqqqqqqq' does not match computed checksum '{sum}'")
    );
    let bare = json!({"desc": keys.external, "active": true, "timestamp": 0});
    assert_eq!(one(bare), (-5, "Missing checksum".into()));
    let (code, message) = one(request(&public.external, false, json!(0)));
    assert_eq!(code, -4);
    assert_eq!(
        message,
        "Cannot import descriptor without private keys to a wallet with private keys enabled"
    );
    let no_time = json!({"desc": with_sum(&keys.external), "active": true});
    assert_eq!(
        one(no_time),
        (-3, "Missing required timestamp field for key".into())
    );
    let mut inactive = request(&keys.external, false, json!(0));
    inactive["active"] = json!(false);
    let (code, message) = one(inactive);
    assert_eq!(code, -4);
    assert!(message.contains("not supported"), "{message}");
    let labelled = json!({"desc": with_sum(&keys.internal), "active": true, "internal": true, "label": "x", "timestamp": 0});
    assert_eq!(
        one(labelled),
        (-8, "Internal addresses should not have a label".into())
    );
    let (code, message) = one(request(&keys.external, false, json!(0)));
    assert_eq!(code, -4);
    assert!(message.contains("imported together"), "{message}");

    let mixed = rpc.ok(
        "b",
        "importdescriptors",
        json!([[
            request(&keys.external, false, json!(0)),
            request(&taproot(&keys.internal), true, json!(0))
        ]]),
    );
    for result in mixed.as_array().expect("results") {
        let (code, message) = failure(result);
        assert_eq!(code, -4);
        assert!(message.contains("same type"), "{message}");
    }
    let two = rpc.ok(
        "b",
        "importdescriptors",
        json!([[
            request(&keys.external, false, json!(0)),
            request(&taproot(&keys.external), false, json!(0))
        ]]),
    );
    for result in two.as_array().expect("results") {
        let (code, message) = failure(result);
        assert_eq!(code, -4);
        assert!(message.contains("not supported yet"), "{message}");
    }
    assert_eq!(rpc.ok("b", "getwalletinfo", json!([]))["blank"], true);

    // A wallet's primary pair (wpkh, in `wallet.sqlite`) cannot be replaced.
    rpc.ok("", "createwallet", json!(["full"]));
    let primary = rpc.ok(
        "full",
        "importdescriptors",
        json!([[
            request(&keys.external, false, json!(0)),
            request(&keys.internal, true, json!(0))
        ]]),
    );
    for result in primary.as_array().expect("results") {
        let (code, message) = failure(result);
        assert_eq!(code, -4);
        assert!(message.contains("primary"), "{message}");
    }
}

/// An old-style wallet (one wpkh pair, as every wallet before several pairs) takes a tr()
/// pair with `importdescriptors`: bech32m addresses from it, a payment to it found by the
/// rescan, both pairs listed and kept over a reload.
#[test]
fn import_a_taproot_pair_into_a_wallet_with_a_pair() {
    let rpc = Rpc::new();
    let keys = rpc.fresh_keys("gen");
    rpc.ok("", "loadwallet", json!(["gen"]));
    let paid = rpc.ok("gen", "getnewaddress", json!(["", "bech32m"]));
    let paid = paid.as_str().expect("address").to_string();
    rpc.mine_to(&paid);
    rpc.ok("", "createwallet", json!(["old"]));
    rpc.ok("old", "unloadwallet", json!([]));
    // Make "old" as older builds wrote wallets: one pair in keys.json, no pair stores.
    let dir = rpc.env.dir.path().join("wallets").join("old");
    let mut old = KeyMaterial::read(&dir, "old").expect("keys");
    old.extra.clear();
    old.write(&dir).expect("write");
    for kind in ["tr", "pkh", "sh-wpkh"] {
        std::fs::remove_file(dir.join(format!("{kind}.sqlite"))).expect("remove");
    }
    rpc.ok("", "loadwallet", json!(["old"]));
    assert_eq!(
        rpc.call("old", "getnewaddress", json!(["", "bech32m"])),
        Err((-12, "Error: No bech32m addresses available.".into()))
    );
    let listed = rpc.ok("old", "listdescriptors", json!([]));
    assert_eq!(listed["descriptors"].as_array().map(Vec::len), Some(2));
    let result = rpc.ok(
        "old",
        "importdescriptors",
        json!([[
            request(&taproot(&keys.external), false, json!(0)),
            request(&taproot(&keys.internal), true, json!(0))
        ]]),
    );
    assert_eq!(result, json!([success(), success()]));
    assert_eq!(
        rpc.ok("old", "getbalance", json!([])).to_string(),
        "50.00000000"
    );
    let first = rpc.ok("old", "getnewaddress", json!(["", "bech32m"]));
    assert!(first.as_str().is_some_and(|a| a.starts_with("bcrt1p")));
    assert!(rpc
        .ok("old", "getnewaddress", json!([]))
        .as_str()
        .is_some_and(|a| a.starts_with("bcrt1q")));
    rpc.ok("old", "unloadwallet", json!([]));
    rpc.ok("", "loadwallet", json!(["old"]));
    let listed = rpc.ok("old", "listdescriptors", json!([]));
    let texts: Vec<&str> = listed["descriptors"]
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|d| d["desc"].as_str())
        .collect();
    assert_eq!(texts.len(), 4, "{texts:?}");
    assert_eq!(texts.iter().filter(|t| t.starts_with("tr(")).count(), 2);
    assert_eq!(
        rpc.ok("old", "getbalance", json!([])).to_string(),
        "50.00000000"
    );
}

#[test]
fn encrypted_blank_wallet_seals_imported_keys() {
    let rpc = Rpc::new();
    let keys = rpc.fresh_keys("gen");
    rpc.ok(
        "",
        "createwallet",
        json!({"wallet_name": "e", "blank": true, "passphrase": "pass"}),
    );
    let pair = json!([[
        request(&keys.external, false, json!("now")),
        request(&keys.internal, true, json!("now"))
    ]]);
    assert_eq!(
        rpc.call("e", "importdescriptors", pair.clone())
            .map_err(|e| e.0),
        Err(-13)
    );
    rpc.ok("e", "walletpassphrase", json!(["pass", 600]));
    assert_eq!(
        rpc.ok("e", "importdescriptors", pair),
        json!([success(), success()])
    );
    let text =
        std::fs::read_to_string(rpc.env.dir.path().join("wallets/e/keys.json")).expect("keys.json");
    assert!(!text.contains("tprv"), "{text}");
    let info = rpc.ok("e", "getwalletinfo", json!([]));
    assert!(
        info["unlocked_until"].as_i64().is_some_and(|t| t > 0),
        "{info}"
    );
    let address = rpc.ok("e", "getnewaddress", json!([]));
    rpc.mine_to(address.as_str().expect("address"));
    assert!(rpc
        .call("e", "sendtoaddress", json!([other_address(), 1.0]))
        .is_ok());
    rpc.ok("e", "walletlock", json!([]));
    assert_eq!(
        rpc.call("e", "sendtoaddress", json!([other_address(), 1.0]))
            .map_err(|e| e.0),
        Err(-13)
    );
}

#[test]
fn imported_next_index_is_where_addresses_continue() {
    let rpc = Rpc::new();
    let keys = rpc.fresh_keys("gen");
    rpc.ok(
        "",
        "createwallet",
        json!({"wallet_name": "b", "blank": true}),
    );
    let mut external = request(&keys.external, false, json!("now"));
    external["next_index"] = json!(5);
    external["range"] = json!([0, 20]);
    let result = rpc.ok(
        "b",
        "importdescriptors",
        json!([[external, request(&keys.internal, true, json!("now"))]]),
    );
    assert_eq!(result, json!([success(), success()]));
    let listed = rpc.ok("b", "listdescriptors", json!([]));
    let next: Vec<(bool, i64)> = listed["descriptors"]
        .as_array()
        .expect("descriptors")
        .iter()
        .map(|d| {
            (
                d["internal"].as_bool().expect("internal"),
                d["next_index"].as_i64().expect("next"),
            )
        })
        .collect();
    assert!(
        next.contains(&(false, 5)) && next.contains(&(true, 0)),
        "{next:?}"
    );
    let address = rpc.ok("b", "getnewaddress", json!([]));
    let info = rpc.ok("b", "getaddressinfo", json!([address]));
    assert_eq!(info["hdkeypath"], "m/84h/1h/0h/0/5");
}
