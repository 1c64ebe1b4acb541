//! Following the chain: coinbase maturity, reorgs, mempool notifications, the background
//! sync thread, addresses used beyond the lookahead.

use super::*;

#[test]
fn coinbase_is_immature_until_101_confirmations() {
    let env = env();
    let (wallet, _) = env
        .loader
        .create_wallet_with("w", "", None)
        .expect("create");
    let address = wallet.new_address("", "").expect("address");
    env.chain.mine(1, &script_of(&address));
    env.chain.mine(99, &other_script());
    env.loader.sync_all().expect("sync");
    let b = wallet.balances_at(0).expect("balances");
    assert_eq!(
        (b.trusted, b.untrusted_pending, b.immature),
        (0, 0, 50 * COIN)
    );
    let err = wallet.send_with(
        &pay(&other_address(), COIN, false),
        FeeMode::Unset,
        TxComments::default(),
    );
    assert_eq!(err.expect_err("immature"), WalletError::InsufficientFunds);
    env.chain.mine(1, &other_script());
    env.loader.sync_all().expect("sync");
    let b = wallet.balances_at(0).expect("balances");
    assert_eq!((b.trusted, b.immature), (50 * COIN, 0));
    assert_eq!(wallet.balances_at(102).expect("minconf").trusted, 0);
    let history = interfaces::Wallet::list_transactions(wallet.as_ref(), 10, 0).expect("list");
    assert_eq!(history.len(), 1);
    assert!(history[0].coinbase && history[0].confirmations == 101 && history[0].net == 50 * COIN);
}

#[test]
fn reorgs_unconfirm_and_rescans_confirm_again() {
    let env = env();
    let payer = funded(&env, "payer");
    let (payee, _) = env
        .loader
        .create_wallet_with("payee", "", None)
        .expect("create");
    let address = payee.new_address("", "").expect("address");
    let sent = payer
        .send_with(
            &pay(&address, 2 * COIN, false),
            FeeMode::Unset,
            TxComments::default(),
        )
        .expect("send");
    env.chain.mine(1, &other_script());
    env.loader.sync_all().expect("sync");
    let confirmed = payee.transaction(&sent.txid).expect("tx").expect("known");
    assert_eq!(confirmed.confirmations, 1);
    assert_eq!(payee.balances_at(0).expect("balances").trusted, 2 * COIN);

    // The block is replaced by two without the transaction.
    env.chain.reorg(1, 2, false, &other_script());
    env.loader.sync_all().expect("sync");
    let after = payee.transaction(&sent.txid).expect("tx");
    assert!(after.is_none_or(|r| r.confirmations == 0 && r.block.is_none()));
    assert_eq!(payee.balances_at(0).expect("balances").trusted, 0);

    // Mined again: confirmed again, in the new block.
    env.chain.add_to_mempool_silently(sent.tx.clone());
    let hashes = env.chain.mine(1, &other_script());
    env.loader.sync_all().expect("sync");
    let again = payee.transaction(&sent.txid).expect("tx").expect("known");
    assert_eq!(
        (again.confirmations, again.block.map(|b| b.hash)),
        (1, Some(hashes[0]))
    );
    assert_eq!(payee.balances_at(0).expect("balances").trusted, 2 * COIN);

    // A coinbase of a block that goes away disappears; a shorter chain is followed too.
    let coinbase_address = payee.new_address("", "").expect("address");
    env.chain.mine(1, &script_of(&coinbase_address));
    env.loader.sync_all().expect("sync");
    assert_eq!(payee.balances_at(0).expect("balances").immature, 50 * COIN);
    env.chain.reorg(2, 1, true, &other_script());
    env.loader.sync_all().expect("sync");
    let b = payee.balances_at(0).expect("balances");
    assert_eq!((b.immature, b.trusted), (0, 2 * COIN));
    assert_eq!(
        payee.last_processed().expect("tip").1,
        env.chain.height() as u32
    );
    assert_eq!(
        payee
            .transaction(&sent.txid)
            .expect("tx")
            .map(|r| r.confirmations),
        Some(1)
    );
}

#[test]
fn mempool_notifications_reach_the_payee_at_once() {
    let env = env();
    let payer = funded(&env, "payer");
    let (payee, _) = env
        .loader
        .create_wallet_with("payee", "", None)
        .expect("create");
    let address = payee.new_address("", "").expect("address");
    let scans = env.chain.scans.load(std::sync::atomic::Ordering::Relaxed);
    payer
        .send_with(
            &pay(&address, 3 * COIN, false),
            FeeMode::Unset,
            TxComments::default(),
        )
        .expect("send");
    let b = payee.balances_at(0).expect("balances");
    assert_eq!((b.trusted, b.untrusted_pending), (0, 3 * COIN));
    assert_eq!(
        env.chain.scans.load(std::sync::atomic::Ordering::Relaxed),
        scans
    );
    let unrelated = payee
        .apply_mempool_tx(&env.chain.block(1).expect("block").txdata[0], 0)
        .expect("apply");
    assert!(!unrelated);
}

#[test]
fn the_background_thread_follows_blocks() {
    let env = env();
    let (wallet, _) = env
        .loader
        .create_wallet_with("w", "", None)
        .expect("create");
    let address = wallet.new_address("", "").expect("address");
    env.chain.mine(3, &script_of(&address));
    let deadline = Instant::now() + Duration::from_secs(20);
    while wallet.balances_at(0).expect("balances").immature != 150 * COIN {
        assert!(
            Instant::now() < deadline,
            "the wallet did not follow the chain"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(wallet.last_processed().expect("tip").1, 3);
}

#[test]
fn addresses_beyond_the_lookahead_are_found() {
    let env = env();
    let (wallet, _) = env
        .loader
        .create_wallet_with("w", "", None)
        .expect("create");
    let peek = |index: u32| {
        wallet
            .lock()
            .expect("state")
            .store
            .wallet
            .peek_address(KeychainKind::External, index)
            .script_pubkey()
    };
    let near = peek(LOOKAHEAD - 1);
    let far = peek(LOOKAHEAD + LOOKAHEAD / 2);
    env.chain.mine(1, &near);
    env.chain.mine(1, &far);
    env.chain.mine(100, &other_script());
    wallet.sync().expect("sync");
    assert_eq!(wallet.balances_at(0).expect("balances").trusted, 100 * COIN);
}

/// Forwards the progress a wallet tells.
struct Progress(std::sync::Mutex<std::sync::mpsc::Sender<(String, i32)>>);

impl interfaces::WalletNotifications for Progress {
    fn transaction_changed(&self, _: [u8; 32]) -> Result<(), interfaces::Error> {
        Ok(())
    }
    fn balance_changed(&self, _: &interfaces::WalletBalances) -> Result<(), interfaces::Error> {
        Ok(())
    }
    fn status_changed(&self) -> Result<(), interfaces::Error> {
        Ok(())
    }
    fn show_progress(&self, title: &str, progress: i32) -> Result<(), interfaces::Error> {
        let _ = self
            .0
            .lock()
            .expect("lock")
            .send((title.to_string(), progress));
        Ok(())
    }
    fn unloaded(&self) -> Result<(), interfaces::Error> {
        Ok(())
    }
}

#[test]
fn a_long_scan_goes_in_steps_that_find_what_one_scan_finds_and_tell_progress() {
    let env = env();
    let wallet = funded(&env, "w");
    let block = env.chain.block(1).expect("block 1");
    let script = block.txdata[0].output[0].script_pubkey.clone();
    // Spend the whole coinbase with no change: only its outpoint finds the spend, in a
    // later step than the coinbase's (steps of 100 blocks from height 0).
    wallet
        .send_with(
            &pay(&other_address(), 50 * COIN, true),
            FeeMode::Unset,
            TxComments::default(),
        )
        .expect("send");
    env.chain.mine(300, &other_script());
    // Caught up first, so the background sync tells no progress of its own meanwhile.
    env.loader.sync_all().expect("sync");
    let request = interfaces::ScanRequest {
        start_height: 0,
        stop_height: None,
        scripts: vec![script.to_bytes()],
        outpoints: Vec::new(),
        include_mempool: true,
    };
    let (tx, rx) = std::sync::mpsc::channel();
    let progress = Arc::new(Progress(std::sync::Mutex::new(tx)));
    let handler = interfaces::Wallet::handle_notifications(wallet.as_ref(), progress).expect("sub");
    let whole = interfaces::Chain::scan(env.chain.as_ref(), &request).expect("one scan");
    let stepped = wallet
        .scan_in_steps(&request)
        .expect("stepped scan")
        .expect("the chain did not move");
    assert_eq!(whole.matches.len(), 2, "the coinbase and its spend");
    assert_eq!(stepped.matches, whole.matches);
    assert_eq!(stepped.last_scanned, whole.last_scanned);
    assert_eq!(stepped.blocks_scanned, whole.blocks_scanned);
    // Progress goes out on the wallet's notification thread, in order, up to the final 100.
    let mut told = Vec::new();
    while told.last().is_none_or(|(_, p)| *p != 100) {
        told.push(rx.recv_timeout(Duration::from_secs(20)).expect("progress"));
    }
    drop(handler);
    assert!(
        told.iter().all(|(title, _)| title == "[w] Rescanning…"),
        "{told:?}"
    );
    let values: Vec<i32> = told.iter().map(|(_, p)| *p).collect();
    assert_eq!(values.first(), Some(&0), "{values:?}");
    assert_eq!(values.last(), Some(&100), "{values:?}");
    assert!(values.windows(2).all(|w| w[0] < w[1]), "{values:?}");
    assert!(
        values.len() >= 4,
        "one step per 100 of 402 blocks: {values:?}"
    );
}
