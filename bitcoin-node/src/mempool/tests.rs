//! Unit tests of the mempool: policy functions, the graph's aggregates, block selection
//! (order, limits, fee deltas), replacement and limits through a pool on a real regtest
//! chainstate, trimming and expiry, following blocks, and `mempool.dat` round trips and
//! corrupt files.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use bitcoin::hashes::Hash;
use bitcoin::{
    absolute, transaction, Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Txid,
    Witness,
};

use super::accept::{format_money, format_rate, is_final, AcceptOptions};
use super::graph::{Aggregate, Entry, Graph};
use super::persist::{decode, encode, Contents, Record};
use super::policy::{self, dust_threshold, output_type, OutputType, StandardOptions};
use super::{Mempool, MempoolOptions};
use crate::chain::ChainState;

fn op_true() -> ScriptBuf {
    ScriptBuf::from_bytes(vec![0x51])
}

fn op_true_spk() -> ScriptBuf {
    ScriptBuf::new_p2wsh(&op_true().wscript_hash())
}

fn out(value: u64, script: ScriptBuf) -> TxOut {
    TxOut {
        value: Amount::from_sat(value),
        script_pubkey: script,
    }
}

/// A version-2 transaction spending `inputs` with OP_TRUE witnesses to `outputs`.
fn tx(inputs: &[OutPoint], outputs: Vec<TxOut>) -> Transaction {
    Transaction {
        version: transaction::Version::TWO,
        lock_time: absolute::LockTime::ZERO,
        input: inputs
            .iter()
            .map(|o| TxIn {
                previous_output: *o,
                script_sig: ScriptBuf::new(),
                sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
                witness: Witness::from_slice(&[op_true().into_bytes()]),
            })
            .collect(),
        output: outputs,
    }
}

#[test]
fn dust_thresholds_and_output_types_are_cores() {
    let p2wpkh = ScriptBuf::from_bytes([vec![0x00, 0x14], vec![1; 20]].concat());
    let p2pkh =
        ScriptBuf::from_bytes([vec![0x76, 0xa9, 0x14], vec![1; 20], vec![0x88, 0xac]].concat());
    let p2tr = ScriptBuf::from_bytes([vec![0x51, 0x20], vec![1; 32]].concat());
    assert_eq!(dust_threshold(&out(0, p2wpkh.clone()), 3000), 294);
    assert_eq!(dust_threshold(&out(0, p2pkh.clone()), 3000), 546);
    assert_eq!(dust_threshold(&out(0, op_true_spk()), 3000), 330);
    assert_eq!(dust_threshold(&out(0, p2tr.clone()), 3000), 330);
    assert_eq!(
        dust_threshold(&out(0, ScriptBuf::new_op_return([1u8])), 3000),
        0
    );
    assert_eq!(output_type(&p2wpkh), OutputType::WitnessV0KeyHash);
    assert_eq!(output_type(&p2pkh), OutputType::PubKeyHash);
    assert_eq!(output_type(&p2tr), OutputType::WitnessV1Taproot);
    assert_eq!(
        output_type(&ScriptBuf::from_bytes(vec![0x51, 0x02, 0x4e, 0x73])),
        OutputType::Anchor
    );
    assert_eq!(
        output_type(&ScriptBuf::from_bytes(
            [vec![0x52, 0x02], vec![1; 2]].concat()
        )),
        OutputType::WitnessUnknown
    );
    assert_eq!(
        output_type(&ScriptBuf::from_bytes(
            [vec![0x00, 0x15], vec![1; 21]].concat()
        )),
        OutputType::NonStandard,
        "v0 of a wrong length"
    );
    assert_eq!(
        output_type(&ScriptBuf::new_op_return([1u8; 75])),
        OutputType::NullData
    );
    assert_eq!(
        output_type(&ScriptBuf::from_bytes(vec![0x6a, 0x61])),
        OutputType::NonStandard,
        "OP_RETURN then a non-push"
    );
    let g =
        ScriptBuf::from_bytes([vec![0x51, 0x21, 0x02], vec![0x79; 32], vec![0x51, 0xae]].concat());
    assert_eq!(output_type(&g), OutputType::Multisig(1, 1));
}

#[test]
fn standardness_checks_in_cores_order() {
    let opts = StandardOptions {
        max_datacarrier_bytes: Some(100_000),
        permit_bare_multisig: true,
        dust_relay_fee: 3000,
    };
    let base = tx(
        &[OutPoint::new(Txid::all_zeros(), 1)],
        vec![out(10_000, op_true_spk())],
    );
    assert!(policy::is_standard_tx(&base, &opts).is_ok());
    let reason =
        |t: &Transaction, o: &StandardOptions| policy::is_standard_tx(t, o).err().map(|r| r.reason);
    let mut v = base.clone();
    v.version = transaction::Version(0);
    assert_eq!(reason(&v, &opts).as_deref(), Some("version"));
    v.version = transaction::Version(3);
    assert_eq!(reason(&v, &opts), None, "TRUC version is standard");
    let mut data = base.clone();
    data.output
        .push(out(0, ScriptBuf::new_op_return([1u8; 40])));
    data.output
        .push(out(0, ScriptBuf::new_op_return([1u8; 40])));
    assert_eq!(
        reason(&data, &opts),
        None,
        "several OP_RETURN outputs (v30)"
    );
    let small = StandardOptions {
        max_datacarrier_bytes: Some(80),
        ..opts
    };
    assert_eq!(
        reason(&data, &small).as_deref(),
        Some("datacarrier"),
        "84 bytes in all"
    );
    let none = StandardOptions {
        max_datacarrier_bytes: None,
        ..opts
    };
    assert_eq!(reason(&data, &none).as_deref(), Some("datacarrier"));
    let mut dust = base.clone();
    dust.output.push(out(329, op_true_spk()));
    assert_eq!(
        reason(&dust, &opts),
        None,
        "one dust output is allowed (ephemeral)"
    );
    assert_eq!(
        policy::check_ephemeral(&dust, 100, 100, 3000).map_err(|r| r.to_string()),
        Err("dust, tx with dust output must be 0-fee".into())
    );
    assert!(policy::check_ephemeral(&dust, 0, 0, 3000).is_ok());
    dust.output.push(out(329, op_true_spk()));
    assert_eq!(reason(&dust, &opts).as_deref(), Some("dust"));
}

#[test]
fn finality_money_and_rates_print_as_core() {
    let mut t = tx(
        &[OutPoint::new(Txid::all_zeros(), 0)],
        vec![out(1, op_true_spk())],
    );
    t.lock_time = absolute::LockTime::from_consensus(100);
    assert!(!is_final(&t, 100, 0));
    assert!(is_final(&t, 101, 0));
    t.input[0].sequence = Sequence::MAX;
    assert!(is_final(&t, 100, 0), "all inputs final");
    assert_eq!(format_money(100_000_000), "1.00");
    assert_eq!(format_money(2000), "0.00002");
    assert_eq!(format_money(123_456_789), "1.23456789");
    assert_eq!(format_rate(1041), "0.00001041 BTC/kvB");
    assert_eq!(policy::virtual_size(381, 0), 96);
    assert_eq!(
        policy::virtual_size(400, 100),
        500,
        "sigops dominate: 100 * 20 / 4"
    );
    assert_eq!(policy::fee_for(100, 96), 9);
    assert_eq!(policy::fee_for(1, 96), 1, "at least one satoshi");
}

/// A graph entry for `t` paying `fee`, with in-graph parents worked out.
fn add(graph: &mut Graph, t: Transaction, fee: u64) -> Txid {
    let weight = t.weight().to_wu();
    let parents = graph.parents_of(&t);
    let txid = t.compute_txid();
    graph.insert(Entry {
        txid,
        wtxid: t.compute_wtxid(),
        tx: Arc::new(t),
        fee: Amount::from_sat(fee),
        delta: 0,
        vsize: weight.div_ceil(4),
        weight,
        sigops: 1,
        time: 0,
        height: 0,
        spends_coinbase: false,
        sequence: graph.entries.len() as u64,
        usage: 1000,
        parents,
        children: HashSet::new(),
        ancestors: Aggregate::default(),
        descendants: Aggregate::default(),
    });
    txid
}

fn confirmed(n: u8) -> OutPoint {
    OutPoint::new(Txid::from_byte_array([n; 32]), 0)
}

#[test]
fn aggregates_follow_adds_removals_and_deltas() {
    let mut g = Graph::default();
    let a = add(
        &mut g,
        tx(&[confirmed(1)], vec![out(10_000, op_true_spk())]),
        100,
    );
    let b = add(
        &mut g,
        tx(&[OutPoint::new(a, 0)], vec![out(9_000, op_true_spk())]),
        200,
    );
    let c = add(
        &mut g,
        tx(&[OutPoint::new(b, 0)], vec![out(8_000, op_true_spk())]),
        300,
    );
    let v = g.entries[&a].vsize;
    assert_eq!(g.entries[&a].descendants.count, 3);
    assert_eq!(g.entries[&a].descendants.fee, 600);
    assert_eq!(g.entries[&c].ancestors.count, 3);
    assert_eq!(g.entries[&c].ancestors.vsize, 3 * v);
    g.add_delta(&b, 1000);
    assert_eq!(g.entries[&a].descendants.fee, 1600);
    assert_eq!(g.entries[&c].ancestors.fee, 1600);
    assert_eq!(g.entries[&b].modified_fee(), 1200);
    // Remove the first (mined): the others lose an ancestor.
    g.remove_set(&[a].into_iter().collect());
    assert_eq!(g.entries[&c].ancestors.count, 2);
    assert_eq!(g.entries[&c].ancestors.fee, 1500);
    assert!(g.entries[&b].parents.is_empty());
    // Remove the last: the middle loses a descendant.
    g.remove_set(&[c].into_iter().collect());
    assert_eq!(g.entries[&b].descendants, g.entries[&b].own());
    assert_eq!(g.spenders.len(), 1);
    // relink() recomputes the same values.
    let before = g.entries[&b].clone();
    g.relink();
    assert_eq!(g.entries[&b].ancestors, before.ancestors);
}

#[test]
fn selection_orders_by_ancestor_fee_rate_parents_first() {
    let mut g = Graph::default();
    // A cheap parent with a rich child (CPFP) beats a medium independent transaction.
    let parent = add(
        &mut g,
        tx(&[confirmed(1)], vec![out(10_000, op_true_spk())]),
        10,
    );
    let child = add(
        &mut g,
        tx(&[OutPoint::new(parent, 0)], vec![out(5_000, op_true_spk())]),
        5_000,
    );
    let medium = add(
        &mut g,
        tx(&[confirmed(2)], vec![out(10_000, op_true_spk())]),
        1_000,
    );
    let cheap = add(
        &mut g,
        tx(&[confirmed(3)], vec![out(10_000, op_true_spk())]),
        50,
    );
    let picked: Vec<Txid> = super::select::select(&g, 4_000_000, 80_000, 1)
        .iter()
        .map(|b| b.txid)
        .collect();
    assert_eq!(picked, vec![parent, child, medium, cheap]);
    // The minimum fee rate stops at packages below it (50 sat over ~96 vB is ~520 sat/kvB).
    let picked = super::select::select(&g, 4_000_000, 80_000, 1000);
    assert_eq!(picked.len(), 3);
    // Weight: only room for one transaction; the best package needs two, so the medium one.
    let w = g.entries[&medium].weight;
    let picked: Vec<Txid> = super::select::select(&g, w + 10, 80_000, 1)
        .iter()
        .map(|b| b.txid)
        .collect();
    assert_eq!(picked, vec![medium]);
    // Sigops: each costs 1 here.
    assert_eq!(super::select::select(&g, 4_000_000, 2, 1).len(), 2);
    // A fee delta reorders: the cheap one becomes the best.
    g.add_delta(&cheap, 1_000_000);
    let picked = super::select::select(&g, 4_000_000, 80_000, 1);
    assert_eq!(picked[0].txid, cheap);
    assert_eq!(
        picked[0].fee,
        Amount::from_sat(50),
        "actual fee, not modified"
    );
}

#[test]
fn selection_of_5000_is_fast_and_complete() {
    let mut g = Graph::default();
    for i in 0..5000u32 {
        let mut seed = [0u8; 32];
        seed[..4].copy_from_slice(&i.to_le_bytes());
        let t = tx(
            &[OutPoint::new(Txid::from_byte_array(seed), 0)],
            vec![out(10_000, op_true_spk())],
        );
        add(&mut g, t, 100 + u64::from(i % 97));
    }
    let start = std::time::Instant::now();
    let picked = super::select::select(&g, 4_000_000 - 8000, 80_000 - 400, 1);
    let took = start.elapsed();
    assert_eq!(picked.len(), 5000);
    assert!(took < Duration::from_secs(2), "{took:?}");
    let rates: Vec<u64> = picked
        .iter()
        .map(|b| b.fee.to_sat() * 1000 / b.weight.div_ceil(4))
        .collect();
    assert!(
        rates.windows(2).all(|w| w[0] >= w[1]),
        "descending fee rates"
    );
}

fn contents() -> Contents {
    let t1 = tx(&[confirmed(1)], vec![out(10_000, op_true_spk())]);
    let t2 = tx(&[confirmed(2)], vec![out(20_000, op_true_spk())]);
    Contents {
        records: vec![
            Record {
                tx: t1,
                time: 1_700_000_000,
                delta: 0,
            },
            Record {
                tx: t2,
                time: 1_700_000_001,
                delta: -5,
            },
        ],
        deltas: vec![(Txid::from_byte_array([9; 32]), 777)],
    }
}

#[test]
fn mempool_dat_round_trips_in_cores_format() {
    let key = [1, 2, 3, 4, 5, 6, 7, 8];
    let bytes = encode(&contents(), key);
    assert_eq!(&bytes[..8], &2u64.to_le_bytes());
    assert_eq!(bytes[8], 8);
    assert_eq!(&bytes[9..17], &key);
    // The count (2) at position 17 is XORed with key[17 % 8 = 1].
    assert_eq!(bytes[17], 2 ^ key[1]);
    let (decoded, error) = decode(&bytes);
    assert_eq!(error, None);
    assert_eq!(decoded.records.len(), 2);
    assert_eq!(decoded.records[1].tx, contents().records[1].tx);
    assert_eq!(
        (decoded.records[1].time, decoded.records[1].delta),
        (1_700_000_001, -5)
    );
    assert_eq!(decoded.deltas, contents().deltas);
    // Version 1 (no key) is read too.
    let mut v1 = encode(&contents(), [0; 8]);
    v1.splice(0..17, 1u64.to_le_bytes());
    let (decoded, error) = decode(&v1);
    assert_eq!((decoded.records.len(), error), (2, None));
    // Truncated: what came before the cut is kept, and the error says why.
    let (partial, error) = decode(&bytes[..bytes.len() - 20]);
    assert_eq!(partial.records.len(), 2);
    assert!(error.is_some());
    let (_, error) = decode(&7u64.to_le_bytes());
    assert_eq!(error.as_deref(), Some("unknown version 7"));
    assert!(decode(&[]).1.is_some());
}

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
    let (_chain, pool, coins) = pool_on_chain(&dir, 101, options);
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
