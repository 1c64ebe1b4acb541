//! The benchmark chain shared by `connect_bench` and `p2p_sync_bench`: 2,000 regtest blocks
//! with 100,000 spending transactions, generated once and cached in `target/bench-data/`
//! (delete it to regenerate): 100 coinbase-only blocks paying P2WSH(`OP_TRUE`), then 1,900
//! blocks of about 53 spends of P2WSH(`OP_TRUE`) outputs (witness: the script `0x51`, no
//! signatures): 1-in-2-out until 10,000 outputs are spendable, then alternately 2-in-1-out
//! and 1-in-2-out, so the UTXO set stays between 10,000 and 12,000 outputs (each matured
//! coinbase adds one).

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bitcoin::consensus::encode::{deserialize, serialize};
use bitcoin::{
    absolute, transaction, Address, Amount, Block, CompactTarget, Network, OutPoint, ScriptBuf,
    Sequence, Transaction, TxIn, TxOut, Witness,
};
use bitcoin_node::chain::{ChainState, SubmitOutcome};
use bitcoin_node::mining;

pub const CHAIN: common::Chain = common::Chain::Regtest;
pub const BLOCKS: usize = 2_000;
pub const SPENDS: usize = 100_000;
/// Coinbase-only blocks first (the first coinbase matures at height 101).
const COINBASE_ONLY: usize = 100;
/// Spendable outputs kept: 1-in-2-out below it, then 2-in-1-out and 1-in-2-out in turn.
const POOL: usize = 10_000;
/// Regtest's network magic, written before each block as in `blk*.dat`.
const MAGIC: [u8; 4] = [0xfa, 0xbf, 0xb5, 0xda];

fn op_true() -> ScriptBuf {
    ScriptBuf::from_bytes(vec![0x51])
}

fn subsidy(height: usize) -> Amount {
    let halvings = height / 150;
    Amount::from_sat(if halvings >= 64 {
        0
    } else {
        5_000_000_000u64 >> halvings
    })
}

/// Builds the spends of one block from `pool` (outputs appended as they are created).
fn spends(
    pool: &mut VecDeque<(OutPoint, Amount)>,
    count: usize,
    toggle: &mut bool,
) -> Vec<Transaction> {
    let script_pubkey = Address::p2wsh(&op_true(), Network::Regtest).script_pubkey();
    let mut txs = Vec::with_capacity(count);
    for _ in 0..count {
        let merge = pool.len() >= POOL && {
            *toggle = !*toggle;
            *toggle
        };
        let n_in = if merge { 2 } else { 1 };
        let inputs: Vec<(OutPoint, Amount)> = (0..n_in)
            .map(|_| pool.pop_front().expect("a spendable output"))
            .collect();
        let total: Amount = inputs.iter().map(|(_, v)| *v).sum();
        let values = if merge {
            vec![total]
        } else {
            vec![total / 2, total - total / 2]
        };
        let tx = Transaction {
            version: transaction::Version::TWO,
            lock_time: absolute::LockTime::ZERO,
            input: inputs
                .iter()
                .map(|(prevout, _)| TxIn {
                    previous_output: *prevout,
                    script_sig: ScriptBuf::new(),
                    sequence: Sequence::MAX,
                    witness: Witness::from_slice(&[vec![0x51u8]]),
                })
                .collect(),
            output: values
                .iter()
                .map(|value| TxOut {
                    value: *value,
                    script_pubkey: script_pubkey.clone(),
                })
                .collect(),
        };
        let txid = tx.compute_txid();
        for (vout, value) in (0..).zip(&values) {
            pool.push_back((OutPoint::new(txid, vout), *value));
        }
        txs.push(tx);
    }
    txs
}

/// Generates the chain by mining it on a node in `dir` (each block is validated on the way).
fn generate(dir: &Path) -> Vec<Block> {
    let chain = ChainState::open(dir, CHAIN).expect("opens the generating node");
    let script_pubkey = Address::p2wsh(&op_true(), Network::Regtest).script_pubkey();
    let mut pool = VecDeque::new();
    let mut coinbases = Vec::with_capacity(BLOCKS);
    let mut blocks = Vec::with_capacity(BLOCKS);
    let mut toggle = false;
    let spending_blocks = BLOCKS - COINBASE_ONLY;
    let now = u32::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock after 1970")
            .as_secs(),
    )
    .expect("time fits u32");
    for height in 1..=BLOCKS {
        if height > COINBASE_ONLY {
            let (outpoint, value): (OutPoint, Amount) = coinbases[height - COINBASE_ONLY - 1];
            pool.push_back((outpoint, value));
        }
        let count = if height > COINBASE_ONLY {
            let i = height - COINBASE_ONLY;
            SPENDS * i / spending_blocks - SPENDS * (i - 1) / spending_blocks
        } else {
            0
        };
        let txs = spends(&mut pool, count, &mut toggle);
        let tip = chain.tip().expect("open chain has a tip");
        let commitment =
            mining::needs_witness_commitment(&txs).then(|| mining::witness_commitment(&txs));
        let h = i32::try_from(height).expect("height fits i32");
        let coinbase = mining::coinbase(h, &script_pubkey, subsidy(height), commitment);
        coinbases.push((OutPoint::new(coinbase.compute_txid(), 0), subsidy(height)));
        let time = mining::block_time(&tip, now);
        let mut block = mining::assemble_block(
            &tip,
            coinbase,
            txs,
            time,
            CompactTarget::from_consensus(tip.bits),
        );
        let mut tries = u64::MAX;
        assert_eq!(
            mining::grind(&mut block.header, &mut tries),
            mining::Grind::Found
        );
        assert_eq!(
            chain.submit_block(&block),
            SubmitOutcome::Accepted,
            "block {height}"
        );
        blocks.push(block);
    }
    chain.close();
    blocks
}

fn write_blocks(path: &Path, blocks: &[Block]) {
    let partial = path.with_extension("partial");
    let mut out = BufWriter::new(File::create(&partial).expect("creates the cache file"));
    for block in blocks {
        let raw = serialize(block);
        out.write_all(&MAGIC).expect("writes");
        out.write_all(
            &u32::try_from(raw.len())
                .expect("block size fits u32")
                .to_le_bytes(),
        )
        .expect("writes");
        out.write_all(&raw).expect("writes");
    }
    out.flush().expect("flushes the cache file");
    drop(out);
    std::fs::rename(&partial, path).expect("renames the cache file");
}

fn read_blocks(path: &Path) -> Option<Vec<Block>> {
    let mut input = BufReader::new(File::open(path).ok()?);
    let mut blocks = Vec::with_capacity(BLOCKS);
    let mut head = [0u8; 8];
    while input.read_exact(&mut head).is_ok() {
        if head[..4] != MAGIC {
            return None;
        }
        let len = u32::from_le_bytes(head[4..].try_into().expect("4 bytes"));
        let mut raw = vec![0u8; usize::try_from(len).ok()?];
        input.read_exact(&mut raw).ok()?;
        blocks.push(deserialize(&raw).ok()?);
    }
    let spends: usize = blocks.iter().map(|b: &Block| b.txdata.len() - 1).sum();
    (blocks.len() == BLOCKS && spends == SPENDS).then_some(blocks)
}

pub fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    // target/<profile>/deps/connect_bench-<hash>
    let exe = std::env::current_exe().expect("own path");
    exe.ancestors()
        .nth(3)
        .expect("the bench runs from target/<profile>/deps")
        .to_path_buf()
}

/// The cached chain, generating it first if missing.
pub fn chain_blocks(target: &Path, scratch: &Path) -> Vec<Block> {
    let data = target.join("bench-data");
    std::fs::create_dir_all(&data).expect("creates target/bench-data");
    let path = data.join(format!(
        "connect-regtest-{BLOCKS}-blocks-{SPENDS}-spends.blk"
    ));
    if let Some(blocks) = read_blocks(&path) {
        println!("chain: loaded from {}", path.display());
        return blocks;
    }
    let started = Instant::now();
    let blocks = generate(&scratch.join("generate"));
    write_blocks(&path, &blocks);
    println!(
        "chain: generated in {:.1} s, cached in {}",
        started.elapsed().as_secs_f64(),
        path.display()
    );
    blocks
}

/// (a): the node's `submitblock` path, kernel + coins view. Returns (connect, close).
pub fn with_coins_view(dir: &Path, blocks: &[Block]) -> (Duration, Duration) {
    let chain = ChainState::open(dir, CHAIN).expect("opens");
    let started = Instant::now();
    for block in blocks {
        assert_eq!(chain.submit_block(block), SubmitOutcome::Accepted);
    }
    let connect = started.elapsed();
    let tip = chain.tip().expect("tip");
    assert_eq!(tip.height, i32::try_from(blocks.len()).expect("fits"));
    let started = Instant::now();
    chain.close();
    drop(chain);
    (connect, started.elapsed())
}
