//! Sending: built, signed (signatures verified), broadcast and recorded; the fee subtracted
//! from the amount; Core's errors.

use interfaces::SendRequest;

use super::*;

#[test]
fn send_builds_signs_broadcasts_and_records() {
    let env = env();
    let wallet = funded(&env, "w");
    let comments = TxComments {
        comment: Some("pizza".into()),
        comment_to: None,
    };
    let sent = wallet
        .send_with(
            &pay(&other_address(), COIN, false),
            FeeMode::Unset,
            comments,
        )
        .expect("send");
    let tx = &sent.tx;
    assert_eq!(env.chain.mempool(), vec![tx.clone()]);
    verify_signatures(&env.chain, tx);
    assert!(tx.input.iter().all(|i| i.sequence.is_rbf()));
    let paid: Vec<&TxOut> = tx
        .output
        .iter()
        .filter(|o| o.script_pubkey == other_script())
        .collect();
    assert_eq!(paid.len(), 1);
    assert_eq!(paid[0].value.to_sat(), COIN as u64);
    let input_value: u64 = tx
        .input
        .iter()
        .map(|i| prevout(&env.chain, &i.previous_output).value.to_sat())
        .sum();
    let output_value: u64 = tx.output.iter().map(|o| o.value.to_sat()).sum();
    assert_eq!(input_value - output_value, sent.fee);
    // 20 sat/vB fallback fee, within rounding of the signature size.
    let vsize = tx.vsize() as u64;
    assert!(
        sent.fee >= vsize * 20 - 20 && sent.fee <= vsize * 20 + 20,
        "fee {} vsize {vsize}",
        sent.fee
    );
    assert_eq!(sent.fee_reason, "Fallback fee");
    let b = wallet.balances_at(0).expect("balances");
    assert_eq!(b.trusted, 49 * COIN - sent.fee as i64);
    let record = wallet
        .transaction(&sent.txid)
        .expect("tx")
        .expect("recorded");
    assert_eq!((record.confirmations, record.trusted), (0, true));
    assert_eq!(record.fee(), Some(sent.fee as i64));
    assert_eq!(record.comments.comment.as_deref(), Some("pizza"));
    assert_eq!(record.sends.len(), 1);
    env.chain.mine(1, &other_script());
    env.loader.sync_all().expect("sync");
    let record = wallet
        .transaction(&sent.txid)
        .expect("tx")
        .expect("recorded");
    assert_eq!(record.confirmations, 1);
    assert_eq!(record.block.and_then(|b| b.index), Some(1));
    assert_eq!(
        wallet.balances_at(1).expect("balances").trusted,
        49 * COIN - sent.fee as i64
    );

    env.chain.set_fee_estimate(3_000);
    let non_rbf = SendRequest {
        replaceable: false,
        ..pay(&other_address(), COIN, false)
    };
    let sent = wallet
        .send_with(&non_rbf, FeeMode::Unset, TxComments::default())
        .expect("send");
    assert!(sent.tx.input.iter().all(|i| !i.sequence.is_rbf()));
    assert_eq!(sent.fee_reason, "Conservative Double Target longer horizon");
    verify_signatures(&env.chain, &sent.tx);
}

#[test]
fn send_subtracting_the_fee() {
    let env = env();
    let wallet = funded(&env, "w");
    let sent = wallet
        .send_with(
            &pay(&other_address(), 50 * COIN, true),
            FeeMode::Unset,
            TxComments::default(),
        )
        .expect("send all");
    assert_eq!(sent.tx.output.len(), 1);
    assert_eq!(
        sent.tx.output[0].value.to_sat(),
        50 * COIN as u64 - sent.fee
    );
    verify_signatures(&env.chain, &sent.tx);
    assert_eq!(wallet.balances_at(0).expect("balances").trusted, 0);

    let wallet = funded(&env, "w2");
    let sent = wallet
        .send_with(
            &pay(&other_address(), 10 * COIN, true),
            FeeMode::Unset,
            TxComments::default(),
        )
        .expect("send");
    let paid = sent
        .tx
        .output
        .iter()
        .find(|o| o.script_pubkey == other_script())
        .expect("paid");
    assert_eq!(paid.value.to_sat(), 10 * COIN as u64 - sent.fee);
    assert_eq!(wallet.balances_at(0).expect("balances").trusted, 40 * COIN);
    let err = wallet.send_with(
        &pay(&other_address(), 1000, true),
        FeeMode::Unset,
        TxComments::default(),
    );
    let err = err.expect_err("too small");
    assert_eq!(
        err.to_string(),
        "The transaction amount is too small to pay the fee"
    );
}

#[test]
fn send_errors_are_cores() {
    let env = env();
    let wallet = funded(&env, "w");
    let send =
        |request: SendRequest| wallet.send_with(&request, FeeMode::Unset, TxComments::default());
    assert_eq!(
        send(pay(&other_address(), 1000 * COIN, false)).expect_err("funds"),
        WalletError::InsufficientFunds
    );
    let e = send(pay("bcrt1qnotanaddress", COIN, false)).expect_err("address");
    assert_eq!(
        (e.rpc_code(), e.to_string()),
        (-5, "Invalid Bitcoin address: bcrt1qnotanaddress".into())
    );
    let mainnet = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq";
    assert_eq!(
        send(pay(mainnet, COIN, false))
            .expect_err("network")
            .rpc_code(),
        -5
    );
    let e = send(pay(&other_address(), 0, false)).expect_err("amount");
    assert_eq!(
        (e.rpc_code(), e.to_string()),
        (-3, "Invalid amount for send".into())
    );
    assert_eq!(
        send(pay(&other_address(), 100, false))
            .expect_err("dust")
            .to_string(),
        "Transaction amount too small"
    );
    let low = SendRequest {
        fee_per_kvb: Some(500),
        ..pay(&other_address(), COIN, false)
    };
    let e = send(low).expect_err("low fee");
    assert_eq!(
        e.to_string(),
        "Fee rate (0.500 sat/vB) is lower than the minimum fee rate setting (1.000 sat/vB)"
    );
    let high = SendRequest {
        fee_per_kvb: Some(100_000_000),
        ..pay(&other_address(), COIN, false)
    };
    let e = send(high).expect_err("high fee");
    assert_eq!(
        e.to_string(),
        "Fee exceeds maximum configured by user (e.g. -maxtxfee, maxfeerate)"
    );
    env.chain.set_reject(Some("min relay fee not met"));
    let e = send(pay(&other_address(), COIN, false)).expect_err("rejected");
    assert_eq!(
        (e.rpc_code(), e.to_string()),
        (-4, "min relay fee not met".into())
    );
    env.chain.set_reject(None);
    assert_eq!(wallet.balances_at(0).expect("balances").trusted, 50 * COIN);

    let loader = loader_at(
        &env.dir.path().join("b"),
        &env.chain,
        WalletOptions::new(Network::Regtest),
    );
    let (poor, _) = loader.create_wallet_with("p", "", None).expect("create");
    let e = poor.send_with(
        &pay(&other_address(), COIN, false),
        FeeMode::Unset,
        TxComments::default(),
    );
    let e = e.expect_err("no fee");
    assert_eq!((e.rpc_code(), e.to_string()), (-6, "Fee estimation failed. Fallbackfee is disabled. Wait a few blocks or enable -fallbackfee.".into()));
}
