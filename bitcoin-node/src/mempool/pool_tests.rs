//! Unit tests of the mempool on a real regtest chainstate: replacement with fee deltas and
//! persistence, trimming, expiry and the tip, test-only acceptance and limits, reorgs, and
//! the options.

use std::sync::Arc;
use std::time::Duration;

use bitcoin::hashes::Hash;
use bitcoin::{Amount, OutPoint, ScriptBuf, Transaction};

use super::accept::AcceptOptions;
use super::tests::{op_true_spk, out, tx};
use super::{Mempool, MempoolOptions};
use crate::chain::ChainState;

/// A regtest chain with `blocks` coinbases paying to OP_TRUE, and a pool on it.
fn pool_on_chain(
    dir: &tempfile::TempDir,
    blocks: usize,
    options: MempoolOptions,
) -> (Arc<ChainState>, Arc<Mempool>, Vec<OutPoint>) {
    let chain = Arc::new(ChainState::open(dir.path(), common::Chain::Regtest).expect("opens"));
    let mut coinbases = Vec::new();
    for _ in 0..blocks {
        let hash = chain
            .mine_block(&op_true_spk(), 1_000_000)
            .expect("mines")
            .expect("nonce");
        let block = chain.block(&hash).expect("stored");
        coinbases.push(OutPoint::new(block.txdata[0].compute_txid(), 0));
    }
    let pool = Mempool::new(chain.clone(), options).expect("pool");
    (chain, pool, coinbases)
}

fn spend(coin: OutPoint, value: u64, fee: u64) -> Arc<Transaction> {
    Arc::new(tx(&[coin], vec![out(value - fee, op_true_spk())]))
}

const COINBASE: u64 = 50 * 100_000_000;

#[test]
fn prioritisation_changes_what_a_replacement_must_pay_and_survives_persistence() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_chain, pool, coins) = pool_on_chain(&dir, 101, MempoolOptions::default());
    let original = spend(coins[0], COINBASE, 1000);
    let txid = original.compute_txid();
    pool.accept(original.clone(), AcceptOptions::default())
        .expect("accepted");
    pool.prioritise(&txid, 10_000);
    let replacement = spend(coins[0], COINBASE, 5000);
    let err = pool
        .accept(replacement, AcceptOptions::default())
        .expect_err("original is worth 11000 now");
    assert_eq!(err.reason, "insufficient fee");
    let enough = spend(coins[0], COINBASE, 12_000);
    let accepted = pool
        .accept(enough.clone(), AcceptOptions::default())
        .expect("pays more than 11000");
    assert_eq!(accepted.replaced.len(), 1);
    assert!(pool.get(&txid).is_none());
    assert_eq!(
        pool.deltas(),
        vec![(txid, 10_000)],
        "the delta stays for the replaced txid"
    );
    // Save and load into a fresh pool on the same chain.
    let file = dir.path().join("mempool.dat");
    pool.save(&file).expect("saved");
    let (bytes_before, entry_time) = (
        pool.total_vsize(),
        pool.entry(&enough.compute_txid()).expect("entry").time,
    );
    let fresh = Mempool::new(pool.chain.clone(), MempoolOptions::default()).expect("pool");
    let stats = fresh.load(&file).expect("loads");
    assert_eq!(stats.accepted, 1);
    assert_eq!(fresh.total_vsize(), bytes_before);
    assert_eq!(
        fresh.entry(&enough.compute_txid()).expect("entry").time,
        entry_time
    );
    assert_eq!(fresh.deltas(), vec![(txid, 10_000)]);
    // A corrupt file: an error, nothing loaded, and the pool still works.
    std::fs::write(&file, b"\x02\0\0\0\0\0\0\0\x08\x01\x02").expect("write");
    let broken = Mempool::new(pool.chain.clone(), MempoolOptions::default()).expect("pool");
    assert!(matches!(
        broken.load(&file),
        Err(super::persist::PersistError::Corrupt { .. })
    ));
    assert!(broken.is_loaded());
    assert_eq!(broken.size(), 0);
}

#[test]
fn a_small_pool_evicts_lowest_fee_rate_and_raises_the_minimum() {
    let dir = tempfile::tempdir().expect("tempdir");
    let options = MempoolOptions {
        max_size_bytes: 5_000,
        ..MempoolOptions::default()
    };
    let (_chain, pool, coins) = pool_on_chain(&dir, 110, options);
    let usage = super::accept::estimate_usage(&spend(coins[0], COINBASE, 1000));
    let fits = (5_000 / usage) as usize;
    let mut txids = Vec::new();
    for (i, coin) in coins.iter().take(fits + 2).enumerate() {
        let t = spend(*coin, COINBASE, 1000 + 100 * i as u64);
        txids.push(t.compute_txid());
        let _ = pool.accept(t, AcceptOptions::default());
    }
    assert_eq!(pool.size(), fits);
    assert!(pool.usage() <= 5_000);
    assert!(pool.get(&txids[0]).is_none() && pool.get(&txids[1]).is_none());
    assert!(pool.get(&txids[fits + 1]).is_some());
    // The minimum is the evicted rate plus the incremental relay fee.
    let evicted_rate = (1100 * 1000) / pool.entry(&txids[fits + 1]).expect("entry").vsize;
    assert_eq!(pool.min_fee(), evicted_rate + 100);
    let cheap = spend(coins[fits + 3], COINBASE, 200);
    let err = pool
        .accept(cheap, AcceptOptions::default())
        .expect_err("below the minimum");
    assert_eq!(err.reason, "mempool min fee not met");
}

#[test]
fn old_entries_expire_and_blocks_move_the_tip() {
    let dir = tempfile::tempdir().expect("tempdir");
    let options = MempoolOptions {
        expiry_secs: 3600,
        ..MempoolOptions::default()
    };
    let (chain, pool, coins) = pool_on_chain(&dir, 102, options);
    let old = spend(coins[0], COINBASE, 1000);
    let now = super::now();
    let bypass = AcceptOptions {
        bypass_limits: true,
        ..AcceptOptions::default()
    };
    let aged = AcceptOptions {
        entry_time: Some(now - 7200),
        ..bypass
    };
    pool.accept(old.clone(), aged).expect("accepted");
    let child = Arc::new(tx(
        &[OutPoint::new(old.compute_txid(), 0)],
        vec![out(COINBASE - 3000, op_true_spk())],
    ));
    pool.accept(child, bypass).expect("child");
    assert_eq!(pool.size(), 2);
    let updated = pool.transactions_updated();
    assert_eq!(pool.expire_now(), 2, "the old one and its child");
    assert!(pool.transactions_updated() > updated);
    pool.accept(old.clone(), aged).expect("accepted again");
    // A normal acceptance expires what is too old (Core's LimitMempoolSize).
    let young = spend(coins[1], COINBASE, 1000);
    pool.accept(young.clone(), AcceptOptions::default())
        .expect("accepted");
    assert_eq!(pool.size(), 1);
    assert!(pool.get(&young.compute_txid()).is_some());
    // A mined block: the pool follows and its tip moves.
    let hash = chain
        .mine_block(&op_true_spk(), 1_000_000)
        .expect("mines")
        .expect("nonce");
    assert!(pool.wait_for_tip(&hash, Duration::from_secs(5)));
    assert_eq!(pool.tip(), Some(hash));
    assert!(!pool.wait_for_tip(&bitcoin::BlockHash::all_zeros(), Duration::from_millis(20)));
    assert_eq!(pool.size(), 1, "a coinbase-only block confirms nothing");
    assert_eq!(pool.select_for_block(4_000_000, 80_000, 1).len(), 1);
}

#[test]
fn test_only_changes_nothing_and_limits_are_enforced() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut options = MempoolOptions::default();
    options.limits.ancestor_count = 3;
    let (_chain, pool, coins) = pool_on_chain(&dir, 103, options);
    let first = spend(coins[0], COINBASE, 1000);
    let test = AcceptOptions {
        test_only: true,
        ..AcceptOptions::default()
    };
    pool.accept(first.clone(), test).expect("would be accepted");
    assert_eq!((pool.size(), pool.transactions_updated()), (0, 0));
    pool.accept(first.clone(), AcceptOptions::default())
        .expect("accepted");
    let mut prev = first;
    for i in 0..3u64 {
        let next = Arc::new(tx(
            &[OutPoint::new(prev.compute_txid(), 0)],
            vec![out(prev.output[0].value.to_sat() - 1000, op_true_spk())],
        ));
        let result = pool.accept(next.clone(), AcceptOptions::default());
        if i < 2 {
            result.expect("within the limit");
        } else {
            let err = result.expect_err("fourth in a chain");
            assert_eq!(
                err.to_string(),
                "too-long-mempool-chain, too many unconfirmed ancestors [limit: 3]"
            );
        }
        prev = next;
    }
    // A delta set before the transaction arrives applies when it does.
    let later = spend(coins[2], COINBASE, 1000);
    pool.prioritise(&later.compute_txid(), 777);
    pool.accept(later.clone(), AcceptOptions::default())
        .expect("accepted");
    let entry = pool.entry(&later.compute_txid()).expect("entry");
    assert_eq!((entry.delta, entry.modified_fee()), (777, 1777));
    let max_fee = AcceptOptions {
        max_fee: Some(Amount::from_sat(500)),
        ..AcceptOptions::default()
    };
    let err = pool
        .accept(spend(coins[1], COINBASE, 1000), max_fee)
        .expect_err("over the cap");
    assert_eq!(err.kind, super::RejectKind::MaxFeeExceeded);
}

#[test]
fn options_have_cores_defaults_and_checks() {
    let settings = |args: &[&str]| {
        let args: Vec<String> = args.iter().map(|a| (*a).to_string()).collect();
        common::Settings::from_args(&crate::options::all(), &args).expect("parses")
    };
    let o = MempoolOptions::from_settings(&settings(&[])).expect("defaults");
    assert_eq!((o.max_size_bytes, o.expiry_secs), (300_000_000, 336 * 3600));
    assert_eq!(
        (
            o.min_relay_fee,
            o.incremental_relay_fee,
            o.dust_relay_fee,
            o.block_min_fee
        ),
        (100, 100, 3000, 1)
    );
    assert_eq!(o.max_datacarrier_bytes, Some(100_000));
    assert!(o.permit_bare_multisig && o.persist);
    let o = MempoolOptions::from_settings(&settings(&[
        "-maxmempool=5",
        "-minrelaytxfee=0.00001",
        "-datacarrier=0",
        "-limitancestorcount=3",
        "-nopersistmempool",
    ]))
    .expect("valid");
    assert_eq!((o.max_size_bytes, o.min_relay_fee), (5_000_000, 1000));
    assert_eq!(
        (o.max_datacarrier_bytes, o.limits.ancestor_count, o.persist),
        (None, 3, false)
    );
    let error = |args: &[&str]| {
        MempoolOptions::from_settings(&settings(args))
            .expect_err("bad")
            .to_string()
    };
    assert!(error(&["-maxmempool=4"]).contains("-maxmempool must be at least 5 MB"));
    assert!(error(&["-maxmempool=lots"]).contains("expected an integer"));
    assert!(error(&["-minrelaytxfee=abc"])
        .contains("Invalid amount for -minrelaytxfee=<amount>: 'abc'"));
    assert!(error(&["-mempoolexpiry=-1"]).contains("must not be negative"));
}

#[test]
fn a_reorg_drops_transactions_whose_coins_are_gone() {
    let (dir_a, dir_b) = (
        tempfile::tempdir().expect("a"),
        tempfile::tempdir().expect("b"),
    );
    let (chain, pool, coins) = pool_on_chain(&dir_a, 101, MempoolOptions::default());
    let parent = spend(coins[0], COINBASE, 1000);
    pool.accept(parent.clone(), AcceptOptions::default())
        .expect("parent");
    let child = Arc::new(tx(
        &[OutPoint::new(parent.compute_txid(), 0)],
        vec![out(COINBASE - 3000, op_true_spk())],
    ));
    pool.accept(child, AcceptOptions::default()).expect("child");
    let other = pool.get(&parent.compute_txid()).map(|_| ());
    assert!(other.is_some());
    // A longer branch from genesis: A's coinbases, and so the parent's input, disappear.
    let b = ChainState::open(dir_b.path(), common::Chain::Regtest).expect("b");
    let script = ScriptBuf::from_bytes(vec![0x51, 0x07]);
    let mut last = None;
    for _ in 0..103 {
        let hash = b
            .mine_block(&script, 1_000_000)
            .expect("mines")
            .expect("nonce");
        chain.submit_block(&b.block(&hash).expect("stored"));
        last = Some(hash);
    }
    let last = last.expect("mined");
    assert_eq!(chain.tip().map(|t| t.hash), Some(last));
    assert!(pool.wait_for_tip(&last, Duration::from_secs(10)));
    assert_eq!(pool.size(), 0, "the parent and its child are gone");
}

#[test]
fn the_cpfp_carve_out_allows_one_more_small_child() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_chain, pool, coins) = pool_on_chain(&dir, 101, MempoolOptions::default());
    // A root with three outputs and a chain of 24 on the first: 25 descendants in all.
    let third = COINBASE / 3;
    let root = Arc::new(tx(&[coins[0]], vec![out(third - 1000, op_true_spk()); 3]));
    pool.accept(root.clone(), AcceptOptions::default())
        .expect("root");
    let mut prev = OutPoint::new(root.compute_txid(), 0);
    let mut value = third - 1000;
    for _ in 0..24 {
        value -= 1000;
        let next = Arc::new(tx(&[prev], vec![out(value, op_true_spk())]));
        pool.accept(next.clone(), AcceptOptions::default())
            .expect("chain");
        prev = OutPoint::new(next.compute_txid(), 0);
    }
    let root_entry = pool.entry(&root.compute_txid()).expect("root entry");
    assert_eq!(root_entry.descendants.count, 25);
    // A 26th descendant with the root as its only ancestor: carved out.
    let second = Arc::new(tx(
        &[OutPoint::new(root.compute_txid(), 1)],
        vec![out(third - 3000, op_true_spk())],
    ));
    pool.accept(second, AcceptOptions::default())
        .expect("carve-out");
    // A 27th: no.
    let third_child = Arc::new(tx(
        &[OutPoint::new(root.compute_txid(), 2)],
        vec![out(third - 3000, op_true_spk())],
    ));
    let err = pool
        .accept(third_child, AcceptOptions::default())
        .expect_err("beyond the carve-out");
    assert_eq!(
        err.to_string(),
        format!(
            "too-long-mempool-chain, too many descendants for tx {} [limit: 25]",
            root.compute_txid()
        )
    );
}

#[test]
fn concurrent_acceptance_while_blocks_connect_stays_consistent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (chain, pool, coins) = pool_on_chain(&dir, 140, MempoolOptions::default());
    let mut handles = Vec::new();
    for worker in 0..4usize {
        let pool = pool.clone();
        let mine: Vec<OutPoint> = coins
            .iter()
            .skip(worker)
            .step_by(4)
            .take(9)
            .copied()
            .collect();
        handles.push(std::thread::spawn(move || {
            let mut accepted = 0;
            for coin in mine {
                // A parent and a child per coin.
                let parent = spend(coin, COINBASE, 1000);
                if pool
                    .accept(parent.clone(), AcceptOptions::default())
                    .is_ok()
                {
                    accepted += 1;
                }
                let child = Arc::new(tx(
                    &[OutPoint::new(parent.compute_txid(), 0)],
                    vec![out(COINBASE - 3000, op_true_spk())],
                ));
                if pool.accept(child, AcceptOptions::default()).is_ok() {
                    accepted += 1;
                }
            }
            accepted
        }));
    }
    for _ in 0..3 {
        chain
            .mine_block(&op_true_spk(), 1_000_000)
            .expect("mines")
            .expect("nonce");
    }
    let accepted: usize = handles.into_iter().map(|h| h.join().expect("worker")).sum();
    assert_eq!(accepted, 72, "every parent and child");
    let tip = chain.tip().expect("tip").hash;
    assert!(pool.wait_for_tip(&tip, Duration::from_secs(10)));
    assert_eq!(pool.size(), 72, "coinbase-only blocks confirm nothing");
    // The aggregates kept incrementally equal a recomputation from scratch.
    let mut state = pool.lock();
    let before: Vec<(bitcoin::Txid, super::Aggregate, super::Aggregate)> = {
        let mut v: Vec<_> = state
            .graph
            .entries
            .values()
            .map(|e| (e.txid, e.ancestors, e.descendants))
            .collect();
        v.sort_by_key(|(t, _, _)| *t);
        v
    };
    state.graph.relink();
    let mut after: Vec<_> = state
        .graph
        .entries
        .values()
        .map(|e| (e.txid, e.ancestors, e.descendants))
        .collect();
    after.sort_by_key(|(t, _, _)| *t);
    assert_eq!(before, after);
    drop(state);
    assert_eq!(pool.select_for_block(4_000_000, 80_000, 1).len(), 72);
}

#[test]
fn a_child_pays_for_a_parent_below_the_floor_as_a_one_parent_one_child_package() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_chain, pool, coins) = pool_on_chain(&dir, 102, MempoolOptions::default());
    // A parent paying nothing misses the relay floor alone.
    let parent = spend(coins[0], COINBASE, 0);
    let err = pool
        .accept(parent.clone(), AcceptOptions::default())
        .expect_err("no fee");
    assert_eq!(err.reason, "min relay fee not met");
    let child = spend(OutPoint::new(parent.compute_txid(), 0), COINBASE, 10_000);
    // Not a child of that parent.
    let stranger = spend(coins[1], COINBASE, 10_000);
    let err = pool
        .accept_one_parent_one_child(parent.clone(), stranger)
        .expect_err("not its child");
    assert_eq!(err.reason, "package-not-child-with-parents");
    // Together they pay enough.
    let (p, c) = pool
        .accept_one_parent_one_child(parent.clone(), child.clone())
        .expect("the package is accepted");
    assert_eq!(p.fee, Amount::ZERO);
    assert_eq!(c.fee, Amount::from_sat(10_000));
    assert!(pool.get(&parent.compute_txid()).is_some());
    assert!(pool.get(&child.compute_txid()).is_some());

    // A child that does not pay enough for both: nothing enters the pool.
    let poor_parent = spend(coins[2], COINBASE, 0);
    let poor_child = spend(OutPoint::new(poor_parent.compute_txid(), 0), COINBASE, 1);
    let err = pool
        .accept_one_parent_one_child(poor_parent.clone(), poor_child.clone())
        .expect_err("1 sat for two transactions");
    assert_eq!(err.reason, "min relay fee not met");
    assert!(pool.get(&poor_parent.compute_txid()).is_none());
    assert!(pool.get(&poor_child.compute_txid()).is_none());
    assert_eq!(pool.size(), 2);
}
