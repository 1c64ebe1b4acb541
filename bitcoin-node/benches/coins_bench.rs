//! What the coins view costs: connecting regtest blocks through the kernel alone (the
//! baseline, measured in the same run) against the node's `ChainState` (kernel + coins view,
//! one durable redb transaction per block), plus the coins view on its own and its catch-up
//! path (rebuilding the view from the kernel's blocks at startup, several blocks per commit).
//!
//! `cargo bench -p bitcoin-node --bench coins_bench -- [--blocks N]` (default 2,000 blocks).

use std::path::Path;
use std::time::{Duration, Instant};

use bitcoin::consensus::encode::serialize;
use bitcoin::{Block, ScriptBuf};
use bitcoin_node::chain::{chain_type, ChainState, SubmitOutcome};
use bitcoin_node::coins::CoinsView;
use bitcoinkernel::{ChainstateManager, ContextBuilder, ProcessBlockResult};

const CHAIN: common::Chain = common::Chain::Regtest;

fn row(what: &str, blocks: usize, took: Duration) {
    let per_block = took.as_secs_f64() * 1e6 / blocks as f64;
    println!(
        "| {what} | {blocks} | {:.0} | {per_block:.0} |",
        took.as_secs_f64() * 1e3
    );
}

/// Mines `count` coinbase-only blocks on a fresh node in `dir`; returns them, genesis first.
fn mine(dir: &Path, count: usize) -> Vec<Block> {
    let chain = ChainState::open(dir, CHAIN).expect("opens");
    let script = ScriptBuf::from_bytes(vec![0x51, 0x01]);
    let started = Instant::now();
    for _ in 0..count {
        chain
            .mine_block(&script, 1_000_000)
            .expect("mines")
            .expect("finds a nonce");
    }
    row(
        "mine + connect: kernel + coins view (`generatetoaddress` path)",
        count,
        started.elapsed(),
    );
    (0..=count)
        .map(|h| {
            let height = i32::try_from(h).expect("height");
            let hash = chain.block_hash_at(height).expect("active block");
            chain.block(&hash).expect("stored")
        })
        .collect()
}

fn kernel_only(dir: &Path, blocks: &[Block]) {
    let context = ContextBuilder::new()
        .chain_type(chain_type(CHAIN))
        .build()
        .expect("context");
    let data = dir.to_str().expect("utf-8");
    let blocks_dir = dir.join("blocks");
    let chainman = ChainstateManager::new(&context, data, blocks_dir.to_str().expect("utf-8"))
        .expect("chainstate");
    chainman.import_blocks().expect("loads");
    let raw: Vec<bitcoinkernel::Block> = blocks[1..]
        .iter()
        .map(|b| bitcoinkernel::Block::new(&serialize(b)).expect("kernel block"))
        .collect();
    let started = Instant::now();
    for block in &raw {
        assert!(matches!(
            chainman.process_block(block),
            ProcessBlockResult::NewBlock
        ));
    }
    row(
        "connect: kernel only (baseline)",
        raw.len(),
        started.elapsed(),
    );
}

fn kernel_and_coins(dir: &Path, blocks: &[Block]) {
    let chain = ChainState::open(dir, CHAIN).expect("opens");
    let started = Instant::now();
    for block in &blocks[1..] {
        assert_eq!(chain.submit_block(block), SubmitOutcome::Accepted);
    }
    row(
        "connect: kernel + coins view (`submitblock` path)",
        blocks.len() - 1,
        started.elapsed(),
    );
    chain.close();
    std::fs::remove_dir_all(dir.join("coins")).expect("removes the view");
    let started = Instant::now();
    let chain = ChainState::open(dir, CHAIN).expect("opens");
    row(
        "startup with the coins view missing: open + rebuild (batched commits)",
        blocks.len() - 1,
        started.elapsed(),
    );
    chain.close();
}

fn coins_alone(dir: &Path, blocks: &[Block]) {
    let view = CoinsView::open(&dir.join("coins.redb")).expect("opens");
    view.connect(&[(&blocks[0], 0)]).expect("genesis");
    let started = Instant::now();
    for (height, block) in (1..).zip(&blocks[1..]) {
        view.connect(&[(block, height)]).expect("connects");
    }
    row(
        "coins view alone: one commit per block",
        blocks.len() - 1,
        started.elapsed(),
    );
    let started = Instant::now();
    while view
        .disconnect_tip()
        .expect("disconnects")
        .is_some_and(|b| b.height > 1)
    {}
    row(
        "coins view alone: disconnect, one commit per block",
        blocks.len() - 1,
        started.elapsed(),
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let count = args
        .iter()
        .position(|a| a == "--blocks")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(2_000);
    let dir = tempfile::tempdir().expect("tempdir");
    println!("| what | blocks | total ms | µs per block |");
    println!("|---|---:|---:|---:|");
    let blocks = mine(&dir.path().join("mined"), count);
    kernel_only(&dir.path().join("kernel"), &blocks);
    kernel_and_coins(&dir.path().join("node"), &blocks);
    coins_alone(&dir.path().join("view"), &blocks);
}
