//! Rejections with Core's reasons and details, relay options, TRUC rules and package tests.

use super::*;

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

/// `tx` as version 3, re-signed.
fn v3(wallet: &MiniWallet, mut tx: Transaction, spent: &[Utxo]) -> Transaction {
    tx.version = transaction::Version(3);
    wallet.sign(&mut tx, spent);
    tx
}

fn truc_detail(text: &str) -> String {
    format!("TRUC-violation, {text}")
}

/// A second child of a TRUC parent replaces the first under the replacement rules (Core's
/// sibling eviction), except in a package.
fn check_sibling_eviction(
    node: &RpcNode,
    wallet: &mut MiniWallet,
    parent: &Transaction,
    child: &Transaction,
    outs: &[Utxo],
) {
    let parent_id = parent.compute_txid();
    // A second child: Core's sibling eviction, under the replacement rules.
    let sibling = v3(wallet, pay(wallet, &outs[1..2], 1000), &outs[1..2]);
    let v = vsize(&sibling);
    assert_eq!(v, vsize(child));
    let detail = format!(
        "insufficient fee (including sibling eviction), rejecting replacement {}; new feerate {} <= old feerate {}",
        sibling.compute_txid(),
        rate_text(1000, v),
        rate_text(1000, v)
    );
    assert_rejected(
        node,
        &sibling,
        "insufficient fee (including sibling eviction)",
        Some(&detail),
    );
    let richer = v3(wallet, pay(wallet, &outs[1..2], 5000), &outs[1..2]);
    send(node, &richer);
    wait_for_mempool(
        node,
        &[parent_id.to_string(), richer.compute_txid().to_string()],
    );
    // In a package nothing is evicted: the plain TRUC violation.
    let other = wallet.take_utxo();
    let independent = pay(wallet, std::slice::from_ref(&other), 1000);
    let another = v3(wallet, pay(wallet, &outs[0..1], 20_000), &outs[0..1]);
    let hexes = [tx_hex(&independent), tx_hex(&another)];
    let result = node.call("testmempoolaccept", json!([hexes]));
    let detail = format!(
        "tx {} (wtxid={}) would exceed descendant count limit",
        parent_id,
        parent.compute_wtxid()
    );
    assert_eq!(
        result[1]["reject-details"],
        truc_detail(&detail),
        "{result}"
    );
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
    check_sibling_eviction(&node, &mut wallet, &parent, &child, &outs);
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
