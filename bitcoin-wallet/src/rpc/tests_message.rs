//! Legacy and P2SH-segwit descriptor pairs and `signmessage` through an `RpcTable` over the
//! test chain: a blank wallet takes a `pkh()` pair (legacy addresses that receive and spend)
//! or an `sh(wpkh())` pair; `signmessage` signs with the key of a P2PKH address (checked
//! with rust-bitcoin's message verification) and refuses other addresses, foreign keys,
//! watch-only and locked wallets with Core's codes.

use std::str::FromStr as _;
use std::sync::Arc;

use bdk_wallet::bitcoin::hashes::Hash as _;
use bdk_wallet::bitcoin::script::Instruction;
use bdk_wallet::bitcoin::secp256k1::{Message, Secp256k1};
use bdk_wallet::bitcoin::sighash::SighashCache;
use bdk_wallet::bitcoin::sign_message::{signed_msg_hash, MessageSignature};
use bdk_wallet::bitcoin::{ecdsa, Address, Network, PublicKey, ScriptBuf, Transaction};
use rpc::RpcTable;
use serde_json::{json, Value};

use crate::rpc::wallet_table;
use crate::wallet::keys::KeyMaterial;
use crate::wallet::test_chain::TestChain;
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

    fn err(&self, wallet: &str, method: &str, params: Value) -> (i32, String) {
        self.call(wallet, method, params).expect_err(method)
    }

    /// The private descriptors of a new wallet `name`, which is then unloaded.
    fn fresh_keys(&self, name: &str) -> KeyMaterial {
        self.ok("", "createwallet", json!([name]));
        self.ok(name, "unloadwallet", json!([]));
        KeyMaterial::read(&self.env.dir.path().join("wallets").join(name), name).expect("keys")
    }

    /// Creates blank wallet `name` (watch-only when `watch_only`) and imports the pair
    /// `wrap` makes of `keys`' BIP84 descriptors.
    fn import(&self, name: &str, watch_only: bool, keys: &KeyMaterial, wrap: fn(&str) -> String) {
        self.ok(
            "",
            "createwallet",
            json!({"wallet_name": name, "blank": true, "disable_private_keys": watch_only}),
        );
        let request = |desc: &str, internal: bool| {
            let desc = wrap(desc.split('#').next().unwrap_or(desc));
            let sum = rpc::descriptor::checksum(&desc).expect("checksum");
            json!({"desc": format!("{desc}#{sum}"), "active": true, "internal": internal, "timestamp": 0})
        };
        let results = self.ok(
            name,
            "importdescriptors",
            json!([[
                request(&keys.external, false),
                request(&keys.internal, true)
            ]]),
        );
        assert_eq!(results, json!([{"success": true}, {"success": true}]));
    }
}

/// BIP44 `pkh()` descriptors of BIP84 `wpkh()` ones.
fn legacy(desc: &str) -> String {
    desc.replace("wpkh(", "pkh(").replace("/84h/", "/44h/")
}

/// BIP49 `sh(wpkh())` descriptors of BIP84 `wpkh()` ones.
fn nested(desc: &str) -> String {
    format!("sh({})", desc.replace("/84h/", "/49h/"))
}

/// Whether `signature` signs `message` for `address` (rust-bitcoin's check, Core's rule).
fn verifies(address: &str, signature: &str, message: &str) -> bool {
    let address = Address::from_str(address)
        .expect("address")
        .require_network(Network::Regtest)
        .expect("regtest");
    let signature = MessageSignature::from_base64(signature).expect("base64 signature");
    signature
        .is_signed_by_address(&Secp256k1::new(), &address, signed_msg_hash(message))
        .expect("p2pkh")
}

/// Checks every input of `tx` is a P2PKH spend with a valid signature of its key.
fn verify_p2pkh(chain: &TestChain, tx: &Transaction) {
    let secp = Secp256k1::verification_only();
    let cache = SighashCache::new(tx);
    for (i, input) in tx.input.iter().enumerate() {
        let prev = prevout(chain, &input.previous_output);
        let pushes: Vec<Vec<u8>> = input
            .script_sig
            .instructions()
            .map(|step| match step.expect("script") {
                Instruction::PushBytes(bytes) => bytes.as_bytes().to_vec(),
                Instruction::Op(op) => panic!("{op} in a P2PKH scriptSig"),
            })
            .collect();
        let [sig, key] = pushes.as_slice() else {
            panic!("P2PKH scriptSig of {} pushes", pushes.len());
        };
        assert!(input.witness.is_empty());
        let sig = ecdsa::Signature::from_slice(sig).expect("signature");
        let key = PublicKey::from_slice(key).expect("pubkey");
        assert_eq!(ScriptBuf::new_p2pkh(&key.pubkey_hash()), prev.script_pubkey);
        let sighash = cache
            .legacy_signature_hash(i, &prev.script_pubkey, sig.sighash_type.to_u32())
            .expect("sighash");
        let message = Message::from_digest(sighash.to_byte_array());
        secp.verify_ecdsa(&message, &sig.signature, &key.inner)
            .expect("valid signature");
    }
}

#[test]
fn pkh_pair_hands_out_legacy_addresses_that_sign_messages_and_spend() {
    let rpc = Rpc::new();
    let keys = rpc.fresh_keys("src");
    rpc.import("legacy", false, &keys, legacy);
    let address = rpc.ok("legacy", "getnewaddress", json!(["", "legacy"]));
    let address = address.as_str().expect("address").to_string();
    assert!(
        address.starts_with('m') || address.starts_with('n'),
        "{address}"
    );
    assert_eq!(rpc.err("legacy", "getnewaddress", json!([])).0, -12);
    let info = rpc.ok("legacy", "getaddressinfo", json!([address]));
    assert_eq!(info["ismine"], true, "{info}");
    assert!(
        info["desc"]
            .as_str()
            .is_some_and(|d| d.starts_with("pkh([")),
        "{info}"
    );

    let signature = rpc.ok("legacy", "signmessage", json!([address, "hello"]));
    let signature = signature.as_str().expect("signature");
    assert!(verifies(&address, signature, "hello"));
    assert!(!verifies(&address, signature, "hello!"));
    let second = rpc.ok("legacy", "getnewaddress", json!(["", "legacy"]));
    let second = second.as_str().expect("address");
    assert!(!verifies(second, signature, "hello"), "another key");

    // Core's refusals: not a key hash, not an address, not the wallet's key.
    assert_eq!(
        rpc.err("legacy", "signmessage", json!([other_address(), "hello"])),
        (-3, "Address does not refer to key".into())
    );
    assert_eq!(
        rpc.err("legacy", "signmessage", json!(["nonsense", "hello"])),
        (-5, "Invalid address".into())
    );
    rpc.import("other", false, &rpc.fresh_keys("src2"), legacy);
    let theirs = rpc.ok("other", "getnewaddress", json!(["", "legacy"]));
    assert_eq!(
        rpc.err("legacy", "signmessage", json!([theirs, "hello"])),
        (-4, "Private key not available".into())
    );

    // Legacy coins are spent with valid P2PKH signatures.
    rpc.env.chain.mine(1, &script_of(&address));
    rpc.env.chain.mine(100, &other_script());
    rpc.env.loader.sync_all().expect("sync");
    let txid = rpc.ok("legacy", "sendtoaddress", json!([other_address(), 1]));
    let spent = rpc.env.chain.mempool();
    assert_eq!(spent.len(), 1);
    assert_eq!(Value::String(spent[0].compute_txid().to_string()), txid);
    verify_p2pkh(&rpc.env.chain, &spent[0]);
}

#[test]
fn signmessage_refuses_nested_segwit_watch_only_and_locked_wallets() {
    let rpc = Rpc::new();
    let keys = rpc.fresh_keys("src");
    rpc.import("nested", false, &keys, nested);
    let address = rpc.ok("nested", "getnewaddress", json!(["", "p2sh-segwit"]));
    assert!(
        address.as_str().is_some_and(|a| a.starts_with('2')),
        "{address}"
    );
    assert_eq!(
        rpc.err("nested", "signmessage", json!([address, "hello"])),
        (-3, "Address does not refer to key".into())
    );

    let public = keys
        .public(&Secp256k1::new(), Network::Regtest, "src")
        .expect("public");
    rpc.import("watch", true, &public, legacy);
    let watched = rpc.ok("watch", "getnewaddress", json!(["", "legacy"]));
    assert_eq!(
        rpc.err("watch", "signmessage", json!([watched, "hello"])),
        (-4, "Private key not available".into())
    );

    rpc.import("locked", false, &rpc.fresh_keys("src3"), legacy);
    let mine = rpc.ok("locked", "getnewaddress", json!(["", "legacy"]));
    rpc.ok("locked", "encryptwallet", json!(["secret"]));
    // Core checks the lock before the address.
    for address in [mine.clone(), json!("nonsense")] {
        assert_eq!(
            rpc.err("locked", "signmessage", json!([address, "hello"]))
                .0,
            -13
        );
    }
    rpc.ok("locked", "walletpassphrase", json!(["secret", 60]));
    let signature = rpc.ok("locked", "signmessage", json!([mine, "hello"]));
    let mine = mine.as_str().expect("address");
    assert!(verifies(
        mine,
        signature.as_str().expect("signature"),
        "hello"
    ));
}
