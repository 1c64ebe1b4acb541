//! The mempool through RPC on real nodes: acceptance and Core's result shapes, every
//! rejection reason by its exact text, replace-by-fee rules, chain limits, blocks and reorgs
//! removing and returning transactions, eviction at a small `-maxmempool`, persistence across
//! restarts (also after SIGKILL and with a corrupt `mempool.dat`).

use std::time::Duration;

use bitcoin::consensus::encode::serialize_hex;
use bitcoin::script::{Builder, PushBytesBuf};
use bitcoin::{
    absolute, transaction, Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxOut, Witness,
};
use nix::sys::signal::Signal;
use serde_json::{json, Value};
use tests::miniwallet::{op_true_address, send, tx_hex, MiniWallet, Utxo};
use tests::{eventually, RpcNode, DEADLINE};

/// A node with `extra` arguments and a wallet with `blocks` blocks mined to it.
fn setup(dir: &std::path::Path, extra: &[&str], blocks: u64) -> (RpcNode, MiniWallet) {
    let node = RpcNode::start_with(dir, "regtest", extra);
    let mut wallet = MiniWallet::op_true();
    wallet.generate(&node, blocks);
    (node, wallet)
}

fn mempool(node: &RpcNode) -> Vec<String> {
    let list = node.call("getrawmempool", json!([]));
    let mut txids: Vec<String> = list
        .as_array()
        .expect("array")
        .iter()
        .map(|t| t.as_str().expect("txid").to_string())
        .collect();
    txids.sort();
    txids
}

fn sorted(mut txids: Vec<String>) -> Vec<String> {
    txids.sort();
    txids
}

fn wait_for_mempool(node: &RpcNode, expected: &[String]) {
    let expected = sorted(expected.to_vec());
    assert!(
        eventually(DEADLINE, || mempool(node) == expected),
        "mempool {:?} != {expected:?}",
        mempool(node)
    );
}

/// Core's vsize of a transaction without many sigops.
fn vsize(tx: &Transaction) -> u64 {
    tx.weight().to_wu().div_ceil(4)
}

/// Core's `CFeeRate(fee, vsize).ToString()`.
fn rate_text(fee: u64, vsize: u64) -> String {
    let rate = fee * 1000 / vsize;
    format!("{}.{:08} BTC/kvB", rate / 100_000_000, rate % 100_000_000)
}

/// Core's `FormatMoney`.
fn money(sats: u64) -> String {
    let mut text = format!("{}.{:08}", sats / 100_000_000, sats % 100_000_000);
    while text.ends_with('0') && text.len() - text.find('.').expect("point") > 3 {
        text.pop();
    }
    text
}

/// `testmempoolaccept` of one transaction: (allowed, reject-reason, reject-details).
fn test_accept(node: &RpcNode, tx: &Transaction) -> Value {
    let result = node.call("testmempoolaccept", json!([[tx_hex(tx)]]));
    result[0].clone()
}

fn assert_rejected(node: &RpcNode, tx: &Transaction, reason: &str, details: Option<&str>) {
    let result = test_accept(node, tx);
    assert_eq!(result["allowed"], false, "{reason}: {result}");
    assert_eq!(result["reject-reason"], reason, "{result}");
    match details {
        Some(d) => assert_eq!(result["reject-details"], d, "{result}"),
        None => assert!(result.get("reject-details").is_none(), "{result}"),
    }
}

/// A transaction spending `utxos` to one OP_TRUE output of their value minus `fee`.
fn pay(wallet: &MiniWallet, utxos: &[Utxo], fee: u64) -> Transaction {
    let total: Amount = utxos.iter().map(|u| u.value).sum();
    wallet.spend(
        utxos,
        vec![TxOut {
            value: total - Amount::from_sat(fee),
            script_pubkey: op_true_address().script_pubkey(),
        }],
    )
}

/// Confirms `txs` in a block made by `generateblock`.
fn confirm(node: &RpcNode, wallet: &mut MiniWallet, txs: &[&Transaction]) -> String {
    let hexes: Vec<String> = txs.iter().map(|t| tx_hex(t)).collect();
    let block = node.call("generateblock", json!([wallet.address(), hexes]));
    let hash = block["hash"].as_str().expect("hash").to_string();
    wallet.scan_block(node, &hash);
    hash
}

/// `getmempoolentry`, `getrawmempool`, ancestors and descendants of a parent and child.
fn check_entries(node: &RpcNode, parent: &Transaction, child: &Transaction) {
    let parent_id = parent.compute_txid().to_string();
    let child_id = child.compute_txid().to_string();
    let entry = node.call("getmempoolentry", json!([parent_id]));
    let keys: Vec<&String> = entry.as_object().expect("object").keys().collect();
    assert_eq!(
        keys,
        [
            "vsize",
            "weight",
            "time",
            "height",
            "descendantcount",
            "descendantsize",
            "ancestorcount",
            "ancestorsize",
            "wtxid",
            "fees",
            "depends",
            "spentby",
            "bip125-replaceable",
            "unbroadcast"
        ]
    );
    assert_eq!(entry["vsize"], vsize(parent));
    assert_eq!(entry["weight"], parent.weight().to_wu());
    assert_eq!(entry["height"], 101);
    assert_eq!(entry["descendantcount"], 2);
    assert_eq!(entry["descendantsize"], vsize(parent) + vsize(child));
    assert_eq!(entry["ancestorcount"], 1);
    assert_eq!(entry["fees"]["base"].to_string(), "0.00001000");
    assert_eq!(entry["fees"]["descendant"].to_string(), "0.00003000");
    assert_eq!(entry["spentby"], json!([child_id]));
    assert_eq!(entry["depends"], json!([]));
    assert_eq!(entry["bip125-replaceable"], true);
    let child_entry = node.call("getmempoolentry", json!([child_id]));
    assert_eq!(child_entry["depends"], json!([parent_id]));
    assert_eq!(child_entry["ancestorcount"], 2);
    assert_eq!(child_entry["fees"]["ancestor"].to_string(), "0.00003000");

    let verbose = node.call("getrawmempool", json!([true]));
    assert_eq!(verbose[&parent_id], entry);
    let with_sequence = node.call("getrawmempool", json!({"mempool_sequence": true}));
    assert_eq!(with_sequence["mempool_sequence"], 2);
    assert_eq!(with_sequence["txids"].as_array().map(Vec::len), Some(2));
    let (code, message) = node.error("getrawmempool", json!([true, true]));
    assert_eq!(
        (code, message.as_str()),
        (
            -8,
            "Verbose results cannot contain mempool sequence values."
        )
    );
    assert_eq!(
        node.call("getmempoolancestors", json!([child_id])),
        json!([parent_id])
    );
    assert_eq!(
        node.call("getmempooldescendants", json!([parent_id])),
        json!([child_id])
    );
    let verbose = node.call("getmempooldescendants", json!([parent_id, true]));
    assert_eq!(verbose[&child_id], child_entry);
    let missing = "00".repeat(32);
    for method in [
        "getmempoolentry",
        "getmempoolancestors",
        "getmempooldescendants",
    ] {
        let (code, message) = node.error(method, json!([missing]));
        assert_eq!(
            (code, message.as_str()),
            (-5, "Transaction not in mempool"),
            "{method}"
        );
    }
    let info = node.call("getmempoolinfo", json!([]));
    assert_eq!(info["size"], 2);
    assert_eq!(info["bytes"], vsize(parent) + vsize(child));
    assert_eq!(info["total_fee"].to_string(), "0.00003000");
    assert!(info["usage"].as_u64().expect("usage") > 0);
}

#[test]
fn accepted_transactions_show_in_cores_shapes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (node, mut wallet) = setup(dir.path(), &[], 101);
    let info = node.call("getmempoolinfo", json!([]));
    let keys: Vec<&String> = info.as_object().expect("object").keys().collect();
    assert_eq!(
        keys,
        [
            "loaded",
            "size",
            "bytes",
            "usage",
            "total_fee",
            "maxmempool",
            "mempoolminfee",
            "minrelaytxfee",
            "incrementalrelayfee",
            "unbroadcastcount",
            "fullrbf",
            "permitbaremultisig",
            "maxdatacarriersize"
        ]
    );
    assert_eq!(info["loaded"], true);
    assert_eq!(info["size"], 0);
    assert_eq!(info["maxmempool"], 300_000_000);
    assert_eq!(info["minrelaytxfee"].to_string(), "0.00000100");
    assert_eq!(info["mempoolminfee"].to_string(), "0.00000100");
    assert_eq!(info["maxdatacarriersize"], 100_000);

    let utxo = wallet.take_utxo();
    let (parent, out) = wallet.self_transfer(&utxo, Amount::from_sat(1000));
    let (child, _) = wallet.self_transfer(&out, Amount::from_sat(2000));
    let parent_id = parent.compute_txid().to_string();
    let child_id = child.compute_txid().to_string();
    // testmempoolaccept before sending: allowed, with Core's fields.
    let result = test_accept(&node, &parent);
    assert_eq!(
        result,
        json!({
            "txid": parent_id,
            "wtxid": parent.compute_wtxid().to_string(),
            "allowed": true,
            "vsize": vsize(&parent),
            "fees": {
                "base": serde_json::from_str::<Value>("0.00001000").expect("json"),
                "effective-feerate": serde_json::from_str::<Value>(&format!("0.{:08}", 1000 * 1000 / vsize(&parent))).expect("json"),
                "effective-includes": [parent.compute_wtxid().to_string()],
            }
        })
    );
    assert_eq!(mempool(&node), Vec::<String>::new(), "test only");
    // The child's parent is unknown yet: missing inputs.
    assert_rejected(&node, &child, "missing-inputs", None);
    assert_eq!(send(&node, &parent).to_string(), parent_id);
    // Sending it again is fine (Core returns the txid).
    assert_eq!(send(&node, &parent).to_string(), parent_id);
    assert_eq!(send(&node, &child).to_string(), child_id);
    assert_eq!(
        mempool(&node),
        sorted(vec![parent_id.clone(), child_id.clone()])
    );

    check_entries(&node, &parent, &child);
    // gettxout sees the mempool unless told not to.
    let spent = json!([utxo.outpoint.txid.to_string(), utxo.outpoint.vout]);
    assert_eq!(node.call("gettxout", spent.clone()), Value::Null);
    let confirmed = node.call(
        "gettxout",
        json!([utxo.outpoint.txid.to_string(), 0, false]),
    );
    assert_eq!(confirmed["confirmations"], 101, "{confirmed}");
    assert_eq!(
        node.call("gettxout", json!([parent_id, 0])),
        Value::Null,
        "spent by the child"
    );
    let unconfirmed = node.call("gettxout", json!([child_id, 0]));
    assert_eq!(unconfirmed["confirmations"], 0, "{unconfirmed}");
    assert_eq!(unconfirmed["coinbase"], false);
    // getrawtransaction finds pool transactions without a block hash.
    assert_eq!(
        node.call("getrawtransaction", json!([parent_id])),
        json!(serialize_hex(&parent))
    );
    let decoded = node.call("getrawtransaction", json!([parent_id, 1]));
    assert_eq!(decoded["txid"], parent_id);
    assert!(decoded.get("blockhash").is_none());
    let (code, message) = node.error("getrawtransaction", json!(["00".repeat(32)]));
    assert_eq!((code, message.as_str()), (-5, "No such mempool transaction. Use -txindex or provide a block hash to enable blockchain transaction queries. Use gettransaction for wallet transactions."));
    // Confirming the parent leaves the child, now without in-pool ancestors.
    confirm(&node, &mut wallet, &[&parent]);
    wait_for_mempool(&node, std::slice::from_ref(&child_id));
    let child_entry = node.call("getmempoolentry", json!([child_id]));
    assert_eq!(child_entry["ancestorcount"], 1);
    assert_eq!(child_entry["depends"], json!([]));
    confirm(&node, &mut wallet, &[&child]);
    wait_for_mempool(&node, &[]);
    assert_eq!(node.call("getmempoolinfo", json!([]))["bytes"], 0);
    node.stop();
}

/// A transaction paying to `script` from a confirmed OP_TRUE output, confirmed; returns the
/// new outputs.
fn confirmed_outputs(node: &RpcNode, wallet: &mut MiniWallet, outputs: Vec<TxOut>) -> Vec<Utxo> {
    let utxo = wallet.take_utxo();
    let tx = wallet.spend(&[utxo], outputs.clone());
    confirm(node, wallet, &[&tx]);
    let txid = tx.compute_txid();
    outputs
        .iter()
        .enumerate()
        .map(|(vout, o)| Utxo {
            outpoint: OutPoint::new(txid, vout as u32),
            value: o.value,
            coinbase: false,
            height: Some(0),
        })
        .collect()
}

fn p2wsh(script: &ScriptBuf) -> ScriptBuf {
    ScriptBuf::new_p2wsh(&script.wscript_hash())
}

#[test]
fn every_rejection_has_cores_reason_and_details() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (node, mut wallet) = setup(dir.path(), &[], 130);
    // Outputs of unusual kinds, confirmed directly with generateblock.
    let drop_true = ScriptBuf::from_bytes(vec![0x75, 0x51]); // OP_DROP OP_TRUE
    let special = confirmed_outputs(
        &node,
        &mut wallet,
        vec![
            coin(100_000_000, ScriptBuf::from_bytes(vec![0x51, 0x51, 0x87])), // nonstandard
            coin(100_000_000, p2wsh(&drop_true)),
            coin(100_000_000, op_true_address().script_pubkey()),
        ],
    );
    let utxo = wallet.take_utxo();
    let base = pay(&wallet, std::slice::from_ref(&utxo), 1000);
    let tip = node
        .call("getblockcount", json!([]))
        .as_u64()
        .expect("height");
    let mut cases = standardness_cases(&wallet, &utxo, &base, tip);
    cases.extend(input_cases(&wallet, &special, &utxo, &drop_true));
    for (name, tx, reason, details) in &cases {
        let result = test_accept(&node, tx);
        assert_eq!(result["allowed"], false, "{name}: {result}");
        assert_eq!(result["reject-reason"], *reason, "{name}: {result}");
        let expected = details.clone().unwrap_or_else(|| reason.to_string());
        assert_eq!(
            result["reject-details"],
            expected.as_str(),
            "{name}: {result}"
        );
        // sendrawtransaction refuses with the same text as RPC_TRANSACTION_REJECTED.
        let (code, message) = node.error("sendrawtransaction", json!([tx_hex(tx), 0, 21_000_000]));
        assert_eq!((code, message.as_str()), (-26, expected.as_str()), "{name}");
    }
    check_caps_and_duplicates(&node, &mut wallet, &utxo, &base);
    node.stop();
}

/// A rejection case: name, transaction, reason, details (the reason alone when `None`).
type Case = (&'static str, Transaction, &'static str, Option<String>);

fn coin(value: u64, script: ScriptBuf) -> TxOut {
    TxOut {
        value: Amount::from_sat(value),
        script_pubkey: script,
    }
}

/// Transactions failing `IsStandardTx`, finality and `CheckTxInputs`.
fn standardness_cases(wallet: &MiniWallet, utxo: &Utxo, base: &Transaction, tip: u64) -> Vec<Case> {
    let mut cases: Vec<Case> = Vec::new();
    let mut version = base.clone();
    version.version = transaction::Version(4);
    wallet.sign(&mut version, std::slice::from_ref(utxo));
    cases.push(("version", version, "version", None));
    let mut small = wallet.build(
        std::slice::from_ref(utxo),
        vec![coin(
            utxo.value.to_sat() - 1000,
            ScriptBuf::new_op_return([]),
        )],
    );
    wallet.sign(&mut small, std::slice::from_ref(utxo));
    cases.push(("tx-size-small", small, "tx-size-small", None));
    let mut big = base.clone();
    big.output.push(coin(
        0,
        ScriptBuf::new_op_return(PushBytesBuf::try_from(vec![1u8; 100_001]).expect("push")),
    ));
    cases.push(("tx-size", big, "tx-size", None));
    let mut sig_size = base.clone();
    sig_size.input[0].script_sig = Builder::new()
        .push_slice(PushBytesBuf::try_from(vec![0u8; 1648]).expect("push"))
        .into_script();
    cases.push(("scriptsig-size", sig_size, "scriptsig-size", None));
    let mut not_push = base.clone();
    not_push.input[0].script_sig = ScriptBuf::from_bytes(vec![0x61]);
    cases.push((
        "scriptsig-not-pushonly",
        not_push,
        "scriptsig-not-pushonly",
        None,
    ));
    let mut nonstandard_out = base.clone();
    nonstandard_out.output[0].script_pubkey = ScriptBuf::from_bytes(vec![0x61]);
    cases.push(("scriptpubkey", nonstandard_out, "scriptpubkey", None));
    let mut two_dust = base.clone();
    two_dust
        .output
        .push(coin(1, op_true_address().script_pubkey()));
    two_dust
        .output
        .push(coin(1, op_true_address().script_pubkey()));
    cases.push(("dust", two_dust, "dust", None));
    let mut one_dust = base.clone();
    one_dust
        .output
        .push(coin(1, op_true_address().script_pubkey()));
    cases.push((
        "dust",
        one_dust,
        "dust",
        Some("dust, tx with dust output must be 0-fee".into()),
    ));
    let mut non_final = base.clone();
    non_final.lock_time = absolute::LockTime::from_height(tip as u32 + 2).expect("height");
    cases.push(("non-final", non_final, "non-final", None));
    let mut bip68 = base.clone();
    bip68.input[0].sequence = Sequence::from_height(1000);
    cases.push(("non-BIP68-final", bip68, "non-BIP68-final", None));
    let immature = wallet
        .utxos()
        .iter()
        .rev()
        .find(|u| u.coinbase)
        .expect("newest coinbase")
        .clone();
    let premature = pay(wallet, std::slice::from_ref(&immature), 1000);
    cases.push((
        "premature",
        premature,
        "bad-txns-premature-spend-of-coinbase",
        Some("bad-txns-premature-spend-of-coinbase, tried to spend coinbase at depth 1".into()),
    ));
    let mut below = base.clone();
    below.output[0].value = Amount::from_int_btc(60);
    cases.push((
        "in-belowout",
        below,
        "bad-txns-in-belowout",
        Some("bad-txns-in-belowout, value in (50.00) < value out (60.00)".into()),
    ));
    let mut duplicate = base.clone();
    duplicate.input.push(duplicate.input[0].clone());
    cases.push((
        "duplicate inputs",
        duplicate,
        "bad-txns-inputs-duplicate",
        Some("bad-txns-inputs-duplicate".into()),
    ));
    let mut coinbase = base.clone();
    coinbase.input[0].previous_output = OutPoint::null();
    coinbase.input[0].script_sig = ScriptBuf::from_bytes(vec![0x51, 0x51]);
    coinbase.input[0].witness = Witness::new();
    cases.push(("coinbase", coinbase, "coinbase", Some("coinbase".into())));
    cases
}

/// Transactions failing on what they spend: input and witness standardness, scripts, fees.
fn input_cases(
    wallet: &MiniWallet,
    special: &[Utxo],
    utxo: &Utxo,
    drop_true: &ScriptBuf,
) -> Vec<Case> {
    let mut cases: Vec<Case> = Vec::new();
    let nonstandard_input = pay(wallet, &special[0..1], 1000);
    cases.push((
        "nonstandard input",
        nonstandard_input,
        "bad-txns-nonstandard-inputs",
        Some("bad-txns-nonstandard-inputs".into()),
    ));
    let mut big_witness = wallet.build(
        &special[1..2],
        vec![coin(
            special[1].value.to_sat() - 1000,
            op_true_address().script_pubkey(),
        )],
    );
    big_witness.input[0].witness = Witness::from_slice(&[vec![7u8; 81], drop_true.to_bytes()]);
    cases.push((
        "witness item",
        big_witness,
        "bad-witness-nonstandard",
        Some("bad-witness-nonstandard".into()),
    ));
    let mut bad_script = pay(wallet, &special[2..3], 1000);
    bad_script.input[0].witness = Witness::from_slice(&[vec![0x52]]);
    let bad_id = bad_script.compute_txid();
    let bad_wid = bad_script.compute_wtxid();
    let reason = "mempool-script-verify-flag-failed (script verification failed)";
    cases.push((
        "script",
        bad_script,
        reason,
        Some(format!(
            "{reason}, input 0 of {bad_id} (wtxid {bad_wid}), spending {}",
            special[2].outpoint
        )),
    ));
    let free = pay(wallet, std::slice::from_ref(utxo), 0);
    let free_detail = format!("min relay fee not met, 0 < {}", vsize(&free) * 100 / 1000);
    cases.push(("free", free, "min relay fee not met", Some(free_detail)));
    cases
}

/// Missing inputs, fee caps, duplicates, confirmed transactions and decode errors.
fn check_caps_and_duplicates(
    node: &RpcNode,
    wallet: &mut MiniWallet,
    utxo: &Utxo,
    base: &Transaction,
) {
    // Missing inputs.
    let mut orphan = base.clone();
    orphan.input[0].previous_output.txid = "11".repeat(32).parse().expect("txid");
    assert_rejected(node, &orphan, "missing-inputs", None);
    let (code, message) = node.error("sendrawtransaction", json!([tx_hex(&orphan)]));
    assert_eq!((code, message.as_str()), (-25, "Inputs missing or spent"));
    // Fee caps.
    let pricey = pay(wallet, std::slice::from_ref(utxo), 1_000_000);
    let result = node.call("testmempoolaccept", json!([[tx_hex(&pricey)], 0.001]));
    assert_eq!(result[0]["reject-reason"], "max-fee-exceeded", "{result}");
    let (code, message) = node.error("sendrawtransaction", json!([tx_hex(&pricey), 0.001]));
    assert_eq!(
        (code, message.as_str()),
        (
            -25,
            "Fee exceeds maximum configured by user (e.g. -maxtxfee, maxfeerate)"
        )
    );
    let (code, message) = node.error("sendrawtransaction", json!([tx_hex(&pricey), 1]));
    assert_eq!(
        (code, message.as_str()),
        (
            -8,
            "Fee rates larger than or equal to 1BTC/kvB are not accepted"
        )
    );
    let mut burn = base.clone();
    burn.output[0].value -= Amount::from_sat(5000);
    burn.output
        .push(coin(5000, ScriptBuf::new_op_return([1u8, 2, 3])));
    wallet.sign(&mut burn, std::slice::from_ref(utxo));
    let (code, message) = node.error("sendrawtransaction", json!([tx_hex(&burn)]));
    assert_eq!(
        (code, message.as_str()),
        (
            -25,
            "Unspendable output exceeds maximum configured by user (maxburnamount)"
        )
    );
    assert_eq!(
        node.call("sendrawtransaction", json!([tx_hex(&burn), 0.1, 0.0001]))
            .as_str(),
        Some(burn.compute_txid().to_string().as_str())
    );
    // Duplicates: the same transaction, and the same without its witness changes.
    assert_rejected(
        node,
        &burn,
        "txn-already-in-mempool",
        Some("txn-already-in-mempool"),
    );
    let mut other_witness = burn.clone();
    other_witness.input[0].witness = Witness::from_slice(&[vec![0x51], vec![0x51]]);
    assert_rejected(
        node,
        &other_witness,
        "txn-same-nonwitness-data-in-mempool",
        Some("txn-same-nonwitness-data-in-mempool"),
    );
    // Already confirmed.
    confirm(node, wallet, &[&burn]);
    wait_for_mempool(node, &[]);
    assert_rejected(node, &burn, "txn-already-known", Some("txn-already-known"));
    let (code, message) = node.error("sendrawtransaction", json!([tx_hex(&burn), 0.1, 0.0001]));
    assert_eq!(
        (code, message.as_str()),
        (-27, "Transaction outputs already in utxo set")
    );
    // Decode errors and argument checks.
    let (code, message) = node.error("sendrawtransaction", json!(["00"]));
    assert_eq!(
        (code, message.as_str()),
        (
            -22,
            "TX decode failed. Make sure the tx has at least one input."
        )
    );
    let (code, message) = node.error("testmempoolaccept", json!([["zz"]]));
    assert_eq!(
        (code, message.as_str()),
        (
            -22,
            "TX decode failed: zz Make sure the tx has at least one input."
        )
    );
    let (code, message) = node.error("testmempoolaccept", json!([[]]));
    assert_eq!(
        (code, message.as_str()),
        (-8, "Array must contain between 1 and 25 transactions.")
    );
}

#[test]
fn relay_options_refuse_data_carriers_and_bare_multisig() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (node, mut wallet) = setup(
        dir.path(),
        &["-datacarriersize=40", "-permitbaremultisig=0"],
        101,
    );
    let info = node.call("getmempoolinfo", json!([]));
    assert_eq!(
        (
            info["maxdatacarriersize"].clone(),
            info["permitbaremultisig"].clone()
        ),
        (json!(40), json!(false))
    );
    let utxo = wallet.take_utxo();
    let mut data = pay(&wallet, std::slice::from_ref(&utxo), 1000);
    data.output.push(TxOut {
        value: Amount::ZERO,
        script_pubkey: ScriptBuf::new_op_return([9u8; 20]),
    });
    data.output.push(TxOut {
        value: Amount::ZERO,
        script_pubkey: ScriptBuf::new_op_return([9u8; 20]),
    });
    wallet.sign(&mut data, std::slice::from_ref(&utxo));
    assert_rejected(&node, &data, "datacarrier", Some("datacarrier"));
    data.output.pop();
    wallet.sign(&mut data, std::slice::from_ref(&utxo));
    assert_eq!(
        test_accept(&node, &data)["allowed"],
        true,
        "one 22-byte OP_RETURN fits in 40"
    );
    let key = bitcoin::PublicKey::from_slice(&[2u8; 33]);
    let multisig = Builder::new()
        .push_int(1)
        .push_slice(hex33())
        .push_int(1)
        .push_opcode(bitcoin::opcodes::all::OP_CHECKMULTISIG)
        .into_script();
    drop(key);
    let mut bare = pay(&wallet, std::slice::from_ref(&utxo), 1000);
    bare.output.push(TxOut {
        value: Amount::from_sat(10_000),
        script_pubkey: multisig,
    });
    bare.output[0].value -= Amount::from_sat(10_000);
    wallet.sign(&mut bare, std::slice::from_ref(&utxo));
    assert_rejected(&node, &bare, "bare-multisig", Some("bare-multisig"));
    node.stop();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut node = tests::Process::start(
        &tests::bin("bitcoin-node"),
        &[
            "-regtest",
            &format!("-datadir={}", dir.path().display()),
            "-maxmempool=4",
        ],
    );
    let status = node.wait_timeout(DEADLINE).expect("exits");
    assert!(!status.success());
    assert!(
        node.stderr().contains("-maxmempool must be at least 5 MB"),
        "{}",
        node.stderr()
    );
}

fn hex33() -> [u8; 33] {
    // The generator point, compressed: a valid public key.
    let mut key = [0u8; 33];
    let g = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&g[2 * i..2 * i + 2], 16).expect("hex");
    }
    key
}

#[test]
fn replacements_follow_cores_fee_rules() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (node, mut wallet) = setup(dir.path(), &[], 110);
    let utxo = wallet.take_utxo();
    let original = pay(&wallet, std::slice::from_ref(&utxo), 1000);
    send(&node, &original);
    // Same fee rate: refused.
    let same = {
        let mut t = pay(&wallet, std::slice::from_ref(&utxo), 1000);
        t.output[0].script_pubkey =
            ScriptBuf::new_p2wsh(&ScriptBuf::from_bytes(vec![0x51, 0x51]).wscript_hash());
        wallet.sign(&mut t, std::slice::from_ref(&utxo));
        t
    };
    let v = vsize(&original);
    assert_eq!(vsize(&same), v);
    let detail = format!(
        "insufficient fee, rejecting replacement {}; new feerate {} <= old feerate {}",
        same.compute_txid(),
        rate_text(1000, v),
        rate_text(1000, v)
    );
    assert_rejected(&node, &same, "insufficient fee", Some(&detail));
    // Higher rate by one satoshi: not enough to pay for its relay.
    let one_more = pay(&wallet, std::slice::from_ref(&utxo), 1001);
    let detail = format!(
        "insufficient fee, rejecting replacement {}, not enough additional fees to relay; {} < {}",
        one_more.compute_txid(),
        money(1),
        money(v * 100 / 1000)
    );
    assert_rejected(&node, &one_more, "insufficient fee", Some(&detail));
    // Enough: replaces, and the original is gone.
    let better = pay(&wallet, std::slice::from_ref(&utxo), 2000);
    send(&node, &better);
    wait_for_mempool(&node, &[better.compute_txid().to_string()]);
    // A child with a big fee: a replacement with a higher rate but less than both fees fails.
    let out = Utxo {
        outpoint: OutPoint::new(better.compute_txid(), 0),
        value: better.output[0].value,
        coinbase: false,
        height: None,
    };
    let (child, _) = wallet.self_transfer(&out, Amount::from_sat(50_000));
    send(&node, &child);
    let richer = pay(&wallet, std::slice::from_ref(&utxo), 30_000);
    let detail = format!(
        "insufficient fee, rejecting replacement {}, less fees than conflicting txs; {} < {}",
        richer.compute_txid(),
        money(30_000),
        money(52_000)
    );
    assert_rejected(&node, &richer, "insufficient fee", Some(&detail));
    // A replacement spending an output of what it replaces.
    let spends_conflict = pay(&wallet, &[utxo.clone(), out.clone()], 100_000);
    let detail = format!(
        "bad-txns-spends-conflicting-tx, {} spends conflicting transaction {}",
        spends_conflict.compute_txid(),
        better.compute_txid()
    );
    assert_rejected(
        &node,
        &spends_conflict,
        "bad-txns-spends-conflicting-tx",
        Some(&detail),
    );
    // A replacement adding an unconfirmed input.
    let other = wallet.take_utxo();
    let (unconfirmed, other_out) = wallet.self_transfer(&other, Amount::from_sat(1000));
    send(&node, &unconfirmed);
    let adds = pay(&wallet, &[utxo.clone(), other_out], 200_000);
    let detail = format!(
        "replacement-adds-unconfirmed, replacement {} adds unconfirmed input, idx 1",
        adds.compute_txid()
    );
    assert_rejected(&node, &adds, "replacement-adds-unconfirmed", Some(&detail));
    // Paying for everything replaces the parent and its child.
    let winner = pay(&wallet, std::slice::from_ref(&utxo), 60_000);
    let result = test_accept(&node, &winner);
    assert_eq!(result["allowed"], true, "{result}");
    send(&node, &winner);
    wait_for_mempool(
        &node,
        &[
            winner.compute_txid().to_string(),
            unconfirmed.compute_txid().to_string(),
        ],
    );
    // More than 100 transactions to evict.
    let source = wallet.take_utxo();
    let (fan, outs) = wallet.fan_out(&source, 101, Amount::from_sat(10_000));
    confirm(&node, &mut wallet, &[&fan]);
    for o in &outs {
        send(&node, &pay(&wallet, std::slice::from_ref(o), 1000));
    }
    let everything = pay(&wallet, &outs, 1_000_000);
    let detail = format!(
        "too many potential replacements, rejecting replacement {}; too many potential replacements (101 > 100)",
        everything.compute_txid()
    );
    assert_rejected(
        &node,
        &everything,
        "too many potential replacements",
        Some(&detail),
    );
    node.stop();
}

#[test]
fn a_chain_of_26_is_too_long() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (node, mut wallet) = setup(dir.path(), &[], 101);
    let utxo = wallet.take_utxo();
    let (txs, _) = wallet.chain(&utxo, 26, Amount::from_sat(1000));
    for tx in &txs[..25] {
        send(&node, tx);
    }
    assert_rejected(
        &node,
        &txs[25],
        "too-long-mempool-chain",
        Some("too-long-mempool-chain, too many unconfirmed ancestors [limit: 25]"),
    );
    let entry = node.call(
        "getmempoolentry",
        json!([txs[0].compute_txid().to_string()]),
    );
    assert_eq!(entry["descendantcount"], 25);
    // Mining the first makes room for one more.
    confirm(&node, &mut wallet, &[&txs[0]]);
    assert!(eventually(DEADLINE, || mempool(&node).len() == 24));
    send(&node, &txs[25]);
    node.stop();
}

#[test]
fn blocks_remove_mined_and_conflicting_transactions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (node, mut wallet) = setup(dir.path(), &[], 105);
    let (a, b) = (wallet.take_utxo(), wallet.take_utxo());
    let (tx_a, out_a) = wallet.self_transfer(&a, Amount::from_sat(1000));
    let (child_a, _) = wallet.self_transfer(&out_a, Amount::from_sat(1000));
    let tx_b = pay(&wallet, std::slice::from_ref(&b), 1000);
    for tx in [&tx_a, &child_a, &tx_b] {
        send(&node, tx);
    }
    let updated_before = node.call("getmempoolinfo", json!([]))["size"].clone();
    assert_eq!(updated_before, 3);
    // A block confirming tx_b and a double spend of tx_a's input.
    let double = pay(&wallet, std::slice::from_ref(&a), 5000);
    confirm(&node, &mut wallet, &[&tx_b, &double]);
    wait_for_mempool(&node, &[]);
    node.stop();
}

#[test]
fn a_reorg_returns_transactions_to_the_mempool() {
    let (dir_a, dir_b) = (
        tempfile::tempdir().expect("a"),
        tempfile::tempdir().expect("b"),
    );
    let (a, mut wallet) = setup(dir_a.path(), &[], 101);
    let b = RpcNode::start(dir_b.path());
    for height in 1..=101 {
        let hash = a.call("getblockhash", json!([height]));
        let hex = a.call("getblock", json!([hash, 0]));
        assert_eq!(b.call("submitblock", json!([hex])), Value::Null);
    }
    let utxo = wallet.take_utxo();
    let (tx, out) = wallet.self_transfer(&utxo, Amount::from_sat(1000));
    let (child, _) = wallet.self_transfer(&out, Amount::from_sat(1000));
    send(&a, &tx);
    confirm(&a, &mut wallet, &[&tx]);
    send(&a, &child);
    wait_for_mempool(&a, &[child.compute_txid().to_string()]);
    // B's branch is longer: A reorgs to it and tx comes back (before its child).
    let hashes = b.call("generatetoaddress", json!([2, wallet.address()]));
    for hash in hashes.as_array().expect("array") {
        let hex = b.call("getblock", json!([hash, 0]));
        a.call("submitblock", json!([hex]));
    }
    assert_eq!(a.call("getbestblockhash", json!([])), hashes[1]);
    wait_for_mempool(
        &a,
        &[
            tx.compute_txid().to_string(),
            child.compute_txid().to_string(),
        ],
    );
    let entry = a.call("getmempoolentry", json!([child.compute_txid().to_string()]));
    assert_eq!(entry["ancestorcount"], 2, "{entry}");
    assert_eq!(entry["depends"], json!([tx.compute_txid().to_string()]));
    a.stop();
    b.stop();
}

/// A transaction of about 90 kvB (one big OP_RETURN) paying `fee`.
fn big(wallet: &MiniWallet, utxo: &Utxo, fee: u64) -> Transaction {
    let mut tx = pay(wallet, std::slice::from_ref(utxo), fee);
    tx.output.push(TxOut {
        value: Amount::ZERO,
        script_pubkey: ScriptBuf::new_op_return(
            PushBytesBuf::try_from(vec![0x42u8; 90_000]).expect("push"),
        ),
    });
    wallet.sign(&mut tx, std::slice::from_ref(utxo));
    tx
}

#[test]
fn a_full_mempool_evicts_the_lowest_fee_rate_and_raises_its_minimum() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (node, mut wallet) = setup(dir.path(), &["-maxmempool=5"], 140);
    let mut sent = Vec::new();
    // Fee rates 2, 3, 4, ... sat/vB: the first one is the cheapest.
    for i in 0..30u64 {
        let utxo = wallet.take_utxo();
        let tx = big(&wallet, &utxo, 90_100 * (2 + i));
        let result = node.try_call("sendrawtransaction", json!([tx_hex(&tx)]));
        sent.push((tx.compute_txid().to_string(), result));
    }
    let pool = mempool(&node);
    let info = node.call("getmempoolinfo", json!([]));
    assert!(
        info["usage"].as_u64().expect("usage") <= 5_000_000,
        "{info}"
    );
    assert!(pool.len() < 30, "{info}");
    assert!(!pool.contains(&sent[0].0), "the cheapest was evicted");
    assert!(pool.contains(&sent[29].0), "the richest stays");
    let min_fee = info["mempoolminfee"].as_f64().expect("fee");
    assert!(min_fee > 0.00002, "mempoolminfee rose: {info}");
    // A transaction below the new minimum is refused.
    let utxo = wallet.take_utxo();
    let cheap = pay(&wallet, std::slice::from_ref(&utxo), 200);
    let result = test_accept(&node, &cheap);
    assert_eq!(
        result["reject-reason"], "mempool min fee not met",
        "{result}"
    );
    node.stop();
}

#[test]
fn the_mempool_survives_restarts_kills_and_corrupt_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (node, mut wallet) = setup(dir.path(), &[], 103);
    let (tx1, tx2) = {
        let (u1, u2) = (wallet.take_utxo(), wallet.take_utxo());
        (pay(&wallet, &[u1], 1000), pay(&wallet, &[u2], 2000))
    };
    send(&node, &tx1);
    send(&node, &tx2);
    let id1 = tx1.compute_txid().to_string();
    let absent = "ab".repeat(32);
    assert_eq!(
        node.call(
            "prioritisetransaction",
            json!({"txid": id1, "fee_delta": 5000})
        ),
        true
    );
    node.call("prioritisetransaction", json!([absent, 0, 777]));
    let (code, message) = node.error("prioritisetransaction", json!([id1, 1, 5]));
    assert_eq!(
        (code, message.as_str()),
        (
            -8,
            "Priority is no longer supported, dummy argument to prioritisetransaction must be 0."
        )
    );
    let entry = node.call("getmempoolentry", json!([id1]));
    assert_eq!(entry["fees"]["modified"].to_string(), "0.00006000");
    let prioritised = node.call("getprioritisedtransactions", json!([]));
    assert_eq!(
        prioritised[&id1],
        json!({"fee_delta": 5000, "in_mempool": true, "modified_fee": 6000})
    );
    assert_eq!(
        prioritised[&absent],
        json!({"fee_delta": 777, "in_mempool": false})
    );
    node.stop();
    let file = dir.path().join("regtest").join("mempool.dat");
    let bytes = std::fs::read(&file).expect("mempool.dat written at shutdown");
    assert_eq!(&bytes[..8], &2u64.to_le_bytes(), "version 2");
    assert_eq!(bytes[8], 8, "an 8-byte obfuscation key");

    let node = RpcNode::start(dir.path());
    assert!(eventually(DEADLINE, || node
        .call("getmempoolinfo", json!([]))["loaded"]
        == true));
    assert_eq!(
        mempool(&node),
        sorted(vec![id1.clone(), tx2.compute_txid().to_string()])
    );
    let restored = node.call("getmempoolentry", json!([id1]));
    assert_eq!(restored["time"], entry["time"], "entry time kept");
    assert_eq!(
        restored["fees"]["modified"].to_string(),
        "0.00006000",
        "delta kept"
    );
    assert_eq!(
        node.call("getprioritisedtransactions", json!([]))[&absent]["fee_delta"],
        777
    );
    // savemempool, then SIGKILL: the saved file is what the next start loads.
    let saved = node.call("savemempool", json!([]));
    assert_eq!(saved["filename"], file.display().to_string());
    let mut node = node;
    node.process.signal(Signal::SIGKILL);
    node.process.wait_timeout(DEADLINE).expect("killed");
    let node = RpcNode::start(dir.path());
    assert_eq!(node.call("getblockcount", json!([])), 103);
    assert_eq!(mempool(&node).len(), 2);
    node.stop();
    // A corrupt file: the node starts with an empty mempool and its chain.
    std::fs::write(&file, b"\x02\x00\x00\x00\x00\x00\x00\x00\x08garbage").expect("write");
    let node = RpcNode::start(dir.path());
    assert_eq!(node.call("getblockcount", json!([])), 103);
    assert_eq!(mempool(&node), Vec::<String>::new());
    assert_eq!(node.call("getmempoolinfo", json!([]))["loaded"], true);
    node.stop();
    let log = std::fs::read_to_string(dir.path().join("regtest").join("debug.log")).expect("log");
    assert!(log.contains("failed to load the mempool"), "warning logged");
    // -persistmempool=0 neither loads nor saves.
    std::thread::sleep(Duration::from_millis(10));
}

/// `tx` as version 3, re-signed.
fn v3(wallet: &MiniWallet, mut tx: Transaction, spent: &[Utxo]) -> Transaction {
    tx.version = transaction::Version(3);
    wallet.sign(&mut tx, spent);
    tx
}

fn truc_detail(text: &str) -> String {
    format!("TRUC-violation, {text}")
}

#[test]
fn truc_rules_limit_version_3_topology() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (node, mut wallet) = setup(dir.path(), &[], 103);
    let (a, b) = (wallet.take_utxo(), wallet.take_utxo());
    // Too big.
    let mut big = pay(&wallet, std::slice::from_ref(&b), 100_000);
    big.output.push(coin(
        0,
        ScriptBuf::new_op_return(PushBytesBuf::try_from(vec![1u8; 10_000]).expect("push")),
    ));
    let big = v3(&wallet, big, std::slice::from_ref(&b));
    let detail = format!(
        "version=3 tx {} (wtxid={}) is too big: {} > 10000 virtual bytes",
        big.compute_txid(),
        big.compute_wtxid(),
        vsize(&big)
    );
    assert_rejected(&node, &big, "TRUC-violation", Some(&truc_detail(&detail)));
    // A parent with two outputs and one child.
    let (fan, outs) = wallet.fan_out(&a, 2, Amount::from_sat(1000));
    let parent = v3(&wallet, fan, std::slice::from_ref(&a));
    let parent_id = parent.compute_txid();
    let outs: Vec<Utxo> = outs
        .into_iter()
        .map(|u| Utxo {
            outpoint: OutPoint::new(parent_id, u.outpoint.vout),
            ..u
        })
        .collect();
    send(&node, &parent);
    let plain_child = pay(&wallet, &outs[0..1], 1000);
    let detail = format!(
        "non-version=3 tx {} (wtxid={}) cannot spend from version=3 tx {} (wtxid={})",
        plain_child.compute_txid(),
        plain_child.compute_wtxid(),
        parent_id,
        parent.compute_wtxid()
    );
    assert_rejected(
        &node,
        &plain_child,
        "TRUC-violation",
        Some(&truc_detail(&detail)),
    );
    let child = v3(&wallet, pay(&wallet, &outs[0..1], 1000), &outs[0..1]);
    send(&node, &child);
    let sibling = v3(&wallet, pay(&wallet, &outs[1..2], 1000), &outs[1..2]);
    let detail = format!(
        "tx {} (wtxid={}) would exceed descendant count limit",
        parent_id,
        parent.compute_wtxid()
    );
    assert_rejected(
        &node,
        &sibling,
        "TRUC-violation",
        Some(&truc_detail(&detail)),
    );
    let child_out = Utxo {
        outpoint: OutPoint::new(child.compute_txid(), 0),
        value: child.output[0].value,
        coinbase: false,
        height: None,
    };
    let grandchild = v3(
        &wallet,
        pay(&wallet, std::slice::from_ref(&child_out), 1000),
        std::slice::from_ref(&child_out),
    );
    let detail = format!(
        "tx {} (wtxid={}) would have too many ancestors",
        grandchild.compute_txid(),
        grandchild.compute_wtxid()
    );
    assert_rejected(
        &node,
        &grandchild,
        "TRUC-violation",
        Some(&truc_detail(&detail)),
    );
    node.stop();
}

#[test]
fn estimatesmartfee_learns_from_confirmed_mempool_transactions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (node, mut wallet) = setup(dir.path(), &[], 150);
    let no_data = node.call("estimatesmartfee", json!([2]));
    assert_eq!(
        no_data,
        json!({"errors": ["Insufficient data or no feerate found"], "blocks": 0})
    );
    let (code, message) = node.error("estimatesmartfee", json!([0]));
    assert_eq!(
        (code, message.as_str()),
        (-8, "Invalid conf_target, must be between 1 and 1008")
    );
    let (code, message) = node.error("estimatesmartfee", json!([2, "fast"]));
    assert_eq!((code, message.as_str()), (-8, "Invalid estimate_mode parameter, must be one of: \"unset\", \"economical\", \"conservative\""));
    // Ten blocks, each confirming the four transactions (about 20 sat/vB) sent before it.
    for _ in 0..10 {
        std::thread::sleep(Duration::from_millis(50));
        let mut txs = Vec::new();
        for _ in 0..4 {
            let utxo = wallet.take_utxo();
            let tx = pay(&wallet, std::slice::from_ref(&utxo), 1920);
            send(&node, &tx);
            txs.push(tx);
        }
        let refs: Vec<&Transaction> = txs.iter().collect();
        confirm(&node, &mut wallet, &refs);
        wait_for_mempool(&node, &[]);
    }
    std::thread::sleep(Duration::from_millis(50));
    let estimate = node.call("estimatesmartfee", json!([2]));
    let rate = estimate["feerate"]
        .as_f64()
        .unwrap_or_else(|| panic!("an estimate: {estimate}"));
    assert!((0.00015..=0.00025).contains(&rate), "{estimate}");
    assert_eq!(estimate["blocks"], 2, "{estimate}");
    let conservative = node.call(
        "estimatesmartfee",
        json!({"conf_target": 2, "estimate_mode": "CONSERVATIVE"}),
    );
    assert!(conservative.get("blocks").is_some(), "{conservative}");
    node.stop();
    assert!(
        dir.path()
            .join("regtest")
            .join("fee_estimates.dat")
            .exists(),
        "written at shutdown"
    );
}

#[test]
fn signed_p2wpkh_spends_are_accepted_and_persistence_can_be_off() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = RpcNode::start_with(dir.path(), "regtest", &["-persistmempool=0"]);
    let mut keys = MiniWallet::p2wpkh(3);
    assert!(keys.address().starts_with("bcrt1q"), "{}", keys.address());
    keys.generate(&node, 101);
    let utxo = keys.take_utxo();
    let (fan, outs) = keys.fan_out(&utxo, 2, Amount::from_sat(2000));
    send(&node, &fan);
    let (spend, _) = keys.self_transfer(&outs[0], Amount::from_sat(1000));
    send(&node, &spend);
    // A wrong signature (another key) fails in the kernel.
    let other = MiniWallet::p2wpkh(4);
    let mut forged = keys.build(
        &outs[1..2],
        vec![coin(outs[1].value.to_sat() - 1000, keys.script_pubkey())],
    );
    other.sign(&mut forged, &outs[1..2]);
    let result = test_accept(&node, &forged);
    assert_eq!(
        result["reject-reason"], "mempool-script-verify-flag-failed (script verification failed)",
        "{result}"
    );
    assert_eq!(node.call("getmempoolinfo", json!([]))["size"], 2);
    node.stop();
    assert!(
        !dir.path().join("regtest").join("mempool.dat").exists(),
        "-persistmempool=0 writes nothing"
    );
    let node = RpcNode::start(dir.path());
    assert_eq!(mempool(&node), Vec::<String>::new());
    node.stop();
}

#[test]
fn entries_older_than_mempoolexpiry_leave() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (node, mut wallet) = setup(dir.path(), &["-mempoolexpiry=0"], 102);
    let (a, b) = (wallet.take_utxo(), wallet.take_utxo());
    let first = pay(&wallet, &[a], 1000);
    send(&node, &first);
    std::thread::sleep(Duration::from_millis(1100));
    // Expiry runs when a transaction is accepted (and on every block).
    let second = pay(&wallet, &[b], 1000);
    send(&node, &second);
    assert_eq!(mempool(&node), vec![second.compute_txid().to_string()]);
    std::thread::sleep(Duration::from_millis(1100));
    wallet.generate(&node, 1);
    wait_for_mempool(&node, &[]);
    node.stop();
}

#[test]
fn testmempoolaccept_tests_packages_together() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (node, mut wallet) = setup(dir.path(), &[], 102);
    let (a, b) = (wallet.take_utxo(), wallet.take_utxo());
    let (parent, out) = wallet.self_transfer(&a, Amount::from_sat(1000));
    let (child, _) = wallet.self_transfer(&out, Amount::from_sat(1000));
    let test = |txs: &[&Transaction]| {
        let hexes: Vec<String> = txs.iter().map(|t| tx_hex(t)).collect();
        node.call("testmempoolaccept", json!([hexes]))
    };
    let result = test(&[&parent, &child]);
    assert_eq!(result[0]["allowed"], true, "{result}");
    assert_eq!(result[1]["allowed"], true, "{result}");
    assert_eq!(result[1]["vsize"], vsize(&child));
    assert_eq!(mempool(&node), Vec::<String>::new(), "nothing added");
    for (txs, reason) in [
        (vec![&child, &parent], "package-not-sorted"),
        (vec![&parent, &parent], "package-contains-duplicates"),
    ] {
        let result = test(&txs);
        for r in result.as_array().expect("array") {
            assert_eq!(r["package-error"], reason, "{result}");
            assert!(r.get("allowed").is_none(), "{result}");
        }
    }
    let double = pay(&wallet, std::slice::from_ref(&a), 5000);
    assert_eq!(
        test(&[&parent, &double])[0]["package-error"],
        "conflict-in-package"
    );
    // A failing child: the parent's result is left unfinished, as in Core.
    let mut greedy = child.clone();
    greedy.output[0].value = Amount::from_int_btc(60);
    let result = test(&[&parent, &greedy]);
    assert!(result[0].get("allowed").is_none(), "{result}");
    assert_eq!(
        result[1]["reject-reason"], "bad-txns-in-belowout",
        "{result}"
    );
    // In a package nothing may be replaced.
    send(&node, &pay(&wallet, std::slice::from_ref(&b), 1000));
    let replacement = pay(&wallet, std::slice::from_ref(&b), 50_000);
    let result = test(&[&parent, &replacement]);
    assert_eq!(
        result[1]["reject-reason"], "bip125-replacement-disallowed",
        "{result}"
    );
    assert_eq!(mempool(&node).len(), 1);
    node.stop();
}
