//! Replacement, chain limits, blocks and reorgs, eviction at a small `-maxmempool`, and
//! persistence across restarts.

use super::*;

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
