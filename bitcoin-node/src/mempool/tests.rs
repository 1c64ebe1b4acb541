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

use super::graph::{Aggregate, Entry, Graph};
use super::locks::is_final;
use super::money::{format_money, format_rate};
use super::persist::{decode, encode, Contents, Record};
use super::policy::{self, dust_threshold, output_type, OutputType, StandardOptions};

pub(super) fn op_true() -> ScriptBuf {
    ScriptBuf::from_bytes(vec![0x51])
}

pub(super) fn op_true_spk() -> ScriptBuf {
    ScriptBuf::new_p2wsh(&op_true().wscript_hash())
}

pub(super) fn out(value: u64, script: ScriptBuf) -> TxOut {
    TxOut {
        value: Amount::from_sat(value),
        script_pubkey: script,
    }
}

/// A version-2 transaction spending `inputs` with OP_TRUE witnesses to `outputs`.
pub(super) fn tx(inputs: &[OutPoint], outputs: Vec<TxOut>) -> Transaction {
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
    assert_eq!(g.by_time.len(), 1, "the time index follows removals");
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

#[test]
fn at_most_2500_legacy_sigops_are_standard() {
    // Bare 1-of-1 multisig outputs spent by `OP_0 <sig>`: CHECKMULTISIG after OP_1 counts 1
    // accurately; 2,501 such inputs are too many, 2,500 are fine.
    let g =
        ScriptBuf::from_bytes([vec![0x51, 0x21, 0x02], vec![0x79; 32], vec![0x51, 0xae]].concat());
    let spend = |n: usize| {
        let inputs: Vec<OutPoint> = (0..n)
            .map(|i| OutPoint::new(Txid::all_zeros(), i as u32))
            .collect();
        let mut t = tx(&inputs, vec![out(1000, op_true_spk())]);
        for input in &mut t.input {
            input.witness = Witness::new();
            input.script_sig = ScriptBuf::from_bytes(vec![0x00]);
        }
        t
    };
    let prevouts = |n: usize| vec![out(1000, g.clone()); n];
    assert!(policy::are_inputs_standard(&spend(2500), &prevouts(2500)).is_ok());
    assert_eq!(
        policy::are_inputs_standard(&spend(2501), &prevouts(2501)).map_err(|r| r.reason),
        Err("bad-txns-nonstandard-inputs".into())
    );
}

#[test]
fn the_pool_is_send_and_sync() {
    fn shared<T: Send + Sync>() {}
    shared::<super::Mempool>();
    shared::<std::sync::Arc<super::Mempool>>();
    shared::<super::BlockTx>();
}

/// The eviction index holds exactly each entry's current key.
fn check_index(g: &Graph) {
    let mut expected: Vec<super::graph::EvictionKey> =
        g.entries.values().map(Entry::eviction_key).collect();
    expected.sort();
    let indexed: Vec<super::graph::EvictionKey> = g.by_score.iter().copied().collect();
    assert_eq!(indexed.len(), expected.len());
    for (a, b) in indexed.iter().zip(&expected) {
        assert_eq!(a.txid, b.txid);
        assert!(a.cmp(b).is_eq());
    }
}

#[test]
fn the_eviction_index_follows_every_change() {
    let mut g = Graph::default();
    let mut txids = Vec::new();
    // Three chains of four, fees varying, and a child spending two chains' tips.
    for chain in 0..3u8 {
        let mut prev = confirmed(10 + chain);
        for step in 0..4u64 {
            let t = tx(&[prev], vec![out(100_000 - step * 1000, op_true_spk())]);
            let txid = add(&mut g, t, 100 + (u64::from(chain) * 37 + step * 53) % 400);
            prev = OutPoint::new(txid, 0);
            txids.push(txid);
            check_index(&g);
        }
    }
    let join = add(
        &mut g,
        tx(
            &[OutPoint::new(txids[3], 0), OutPoint::new(txids[7], 0)],
            vec![out(1000, op_true_spk())],
        ),
        5_000,
    );
    check_index(&g);
    g.add_delta(&txids[1], 9_000);
    check_index(&g);
    g.add_delta(&join, -4_000);
    check_index(&g);
    // The lowest score is first: with a huge delta on the first chain's root, it is last.
    g.add_delta(&txids[0], 1_000_000);
    check_index(&g);
    assert_ne!(g.by_score.first().map(|k| k.txid), Some(txids[0]));
    assert_eq!(g.by_score.last().map(|k| k.txid), Some(txids[0]));
    g.remove_set(
        &[txids[4], txids[5], txids[6], txids[7], join]
            .into_iter()
            .collect(),
    );
    check_index(&g);
    g.remove_set(&[txids[0]].into_iter().collect());
    check_index(&g);
    g.relink();
    check_index(&g);
}
