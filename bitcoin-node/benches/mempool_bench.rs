//! Mempool acceptance of a stream of independent 1-in-2-out P2WPKH spends (signed with
//! secp256k1, like a wallet's payments), against a baseline measured in the same run: the
//! same transactions decoded from their bytes and script-verified by the kernel (what any
//! acceptance must at least do). Also times block selection (`select_for_block`) over the
//! full pool.
//!
//! Setup (not timed): a fresh regtest chainstate under `target/bench-mempool/`, 101
//! coinbase-only blocks, then one block whose transaction fans a coinbase out into N P2WPKH
//! outputs; N spends of those outputs are built and signed up front. Each run uses a fresh
//! mempool on the same chain; runs are interleaved and the medians reported.
//!
//! `cargo bench -p bitcoin-node --bench mempool_bench -- [--txs N] [--runs R]`

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bitcoin::consensus::encode::{deserialize, serialize};
use bitcoin::secp256k1::{Message, Secp256k1, SecretKey};
use bitcoin::sighash::{EcdsaSighashType, SighashCache};
use bitcoin::{
    absolute, transaction, Amount, CompactTarget, CompressedPublicKey, OutPoint, ScriptBuf,
    Sequence, Transaction, TxIn, TxOut, Witness,
};
use bitcoin_node::chain::{ChainState, SubmitOutcome};
use bitcoin_node::mempool::{AcceptOptions, Mempool, MempoolOptions};
use bitcoin_node::mining;

fn op_true() -> ScriptBuf {
    ScriptBuf::from_bytes(vec![0x51])
}

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Mines a block with `txs` on the chain's tip, paying the coinbase to OP_TRUE.
fn mine_with(chain: &ChainState, txs: Vec<Transaction>) {
    let tip = chain.tip().expect("tip");
    let height = tip.height + 1;
    let commitment =
        mining::needs_witness_commitment(&txs).then(|| mining::witness_commitment(&txs));
    let spk = ScriptBuf::new_p2wsh(&op_true().wscript_hash());
    let coinbase = mining::coinbase(height, &spk, chain.subsidy(height), commitment);
    let time = mining::block_time(&tip, tip.time + 1);
    let mut block = mining::assemble_block(
        &tip,
        coinbase,
        txs,
        time,
        CompactTarget::from_consensus(tip.bits),
    );
    let mut tries = u64::MAX;
    assert!(matches!(
        mining::grind(&mut block.header, &mut tries),
        mining::Grind::Found
    ));
    assert_eq!(chain.submit_block(&block), SubmitOutcome::Accepted);
}

struct Setup {
    chain: Arc<ChainState>,
    /// The spends, serialized.
    raw: Vec<Vec<u8>>,
    /// The output each spends.
    spent: Vec<TxOut>,
}

fn setup(count: usize) -> Setup {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/bench-mempool");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("bench dir");
    let chain = Arc::new(ChainState::open(&dir, common::Chain::Regtest).expect("chainstate"));
    let spk = ScriptBuf::new_p2wsh(&op_true().wscript_hash());
    let first = chain
        .mine_block(&spk, u64::MAX)
        .expect("mines")
        .expect("found");
    for _ in 0..100 {
        chain
            .mine_block(&spk, u64::MAX)
            .expect("mines")
            .expect("found");
    }
    let secp = Secp256k1::new();
    let secret = SecretKey::from_slice(&[7; 32]).expect("key");
    let public = CompressedPublicKey(secret.public_key(&secp));
    let p2wpkh = ScriptBuf::new_p2wpkh(&public.wpubkey_hash());
    let coinbase = chain.block(&first).expect("block").txdata[0].clone();
    let each = Amount::from_sat((coinbase.output[0].value.to_sat() - 1_000_000) / count as u64);
    let fan = Transaction {
        version: transaction::Version::TWO,
        lock_time: absolute::LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint::new(coinbase.compute_txid(), 0),
            script_sig: ScriptBuf::new(),
            sequence: Sequence::MAX,
            witness: Witness::from_slice(&[op_true().into_bytes()]),
        }],
        output: vec![
            TxOut {
                value: each,
                script_pubkey: p2wpkh.clone()
            };
            count
        ],
    };
    let fan_id = fan.compute_txid();
    mine_with(&chain, vec![fan]);
    let mut raw = Vec::with_capacity(count);
    let mut spent = Vec::with_capacity(count);
    for vout in 0..count {
        let half = (each - Amount::from_sat(300)) / 2;
        let mut tx = Transaction {
            version: transaction::Version::TWO,
            lock_time: absolute::LockTime::ZERO,
            input: vec![TxIn {
                previous_output: OutPoint::new(fan_id, vout as u32),
                script_sig: ScriptBuf::new(),
                sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
                witness: Witness::new(),
            }],
            output: vec![
                TxOut {
                    value: half,
                    script_pubkey: p2wpkh.clone(),
                },
                TxOut {
                    value: half,
                    script_pubkey: spk.clone(),
                },
            ],
        };
        let sighash = SighashCache::new(&tx)
            .p2wpkh_signature_hash(0, &p2wpkh, each, EcdsaSighashType::All)
            .expect("sighash");
        let signature = bitcoin::ecdsa::Signature::sighash_all(
            secp.sign_ecdsa(&Message::from(sighash), &secret),
        );
        tx.input[0].witness = Witness::p2wpkh(&signature, &public.0);
        raw.push(serialize(&tx));
        spent.push(TxOut {
            value: each,
            script_pubkey: p2wpkh.clone(),
        });
    }
    Setup { chain, raw, spent }
}

/// Decodes and accepts every transaction into a fresh pool; returns the time and the pool.
fn accept_all(setup: &Setup) -> (Duration, Arc<Mempool>) {
    let pool = Mempool::new(setup.chain.clone(), MempoolOptions::default()).expect("pool");
    let start = Instant::now();
    for raw in &setup.raw {
        let tx: Transaction = deserialize(raw).expect("decodes");
        pool.accept(Arc::new(tx), AcceptOptions::default())
            .expect("accepted");
    }
    (start.elapsed(), pool)
}

/// The baseline: decode and verify every input's script in the kernel.
fn verify_all(setup: &Setup) -> Duration {
    let start = Instant::now();
    for (raw, out) in setup.raw.iter().zip(&setup.spent) {
        let tx: Transaction = deserialize(raw).expect("decodes");
        let kernel_tx = bitcoinkernel::Transaction::new(&serialize(&tx)).expect("kernel tx");
        let script =
            bitcoinkernel::ScriptPubkey::new(out.script_pubkey.as_bytes()).expect("script");
        let spent = [bitcoinkernel::TxOut::new(
            &script,
            out.value.to_sat() as i64,
        )];
        let data =
            bitcoinkernel::PrecomputedTransactionData::new(&kernel_tx, &spent).expect("data");
        bitcoinkernel::verify(
            &script,
            Some(out.value.to_sat() as i64),
            &kernel_tx,
            0,
            Some(bitcoinkernel::VERIFY_ALL),
            &data,
        )
        .expect("valid");
    }
    start.elapsed()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let count = arg("--txs", 5_000);
    let runs = arg("--runs", 3).max(1);
    eprintln!("setting up {count} P2WPKH spends...");
    let setup = setup(count);
    let (mut accept, mut verify, mut select) = (Vec::new(), Vec::new(), Vec::new());
    for run in 0..runs {
        let (took, pool) = accept_all(&setup);
        assert_eq!(pool.size(), count);
        accept.push(count as f64 / took.as_secs_f64());
        verify.push(count as f64 / verify_all(&setup).as_secs_f64());
        let start = Instant::now();
        let picked = pool.select_for_block(4_000_000 - 8_000, 80_000 - 400, 1);
        select.push(start.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(picked.len(), count.min(picked.len()));
        eprintln!(
            "run {run}: accept {:.0} tx/s, decode+verify {:.0} tx/s, select {} txs in {:.2} ms",
            accept[run],
            verify[run],
            picked.len(),
            select[run]
        );
    }
    let (a, v) = (median(accept), median(verify));
    println!("mempool accept (decode + accept):   {a:>8.0} tx/s");
    println!("baseline (decode + kernel verify):  {v:>8.0} tx/s");
    println!("accept / baseline:                  {:>8.2}", a / v);
    println!(
        "select_for_block over {count} entries: {:>8.2} ms",
        median(select)
    );
}
