//! Connecting a generated regtest chain (2,000 blocks, 100,000 spending transactions) into a
//! fresh datadir: (a) through the node's `ChainState::submit_block` (kernel + coins view) and
//! (b) through the kernel alone (`ChainstateManager::process_block`, as `ChainState` does
//! inside), so (a) - (b) is the coins view's share. Each is run 3 times, interleaved, each in
//! a fresh datadir under `target/`; the medians are reported as blocks/s and transactions/s.
//!
//! The chain is generated once and cached in `target/bench-data/` (delete it to regenerate):
//! 100 coinbase-only blocks paying P2WSH(`OP_TRUE`), then 1,900 blocks of about 53 spends of
//! P2WSH(`OP_TRUE`) outputs (witness: the script `0x51`, no signatures): 1-in-2-out until
//! 10,000 outputs are spendable, then alternately 2-in-1-out and 1-in-2-out, so the UTXO set
//! stays between 10,000 and 12,000 outputs (each matured coinbase adds one).
//!
//! `cargo bench -p bitcoin-node --bench connect_bench -- [--runs N]`

mod chain_data;

use std::path::Path;
use std::time::{Duration, Instant};

use bitcoin::consensus::encode::serialize;
use bitcoin::Block;
use bitcoin_node::chain::chain_type;
use bitcoinkernel::{ChainstateManager, ContextBuilder, ProcessBlockResult};

use chain_data::{chain_blocks, target_dir, with_coins_view, CHAIN};

/// (b): the kernel alone, with the same per-block work `submit_block` does before the
/// kernel (serialize, decode into a kernel block). Returns (connect, close).
fn kernel_only(dir: &Path, blocks: &[Block]) -> (Duration, Duration) {
    let context = ContextBuilder::new()
        .chain_type(chain_type(CHAIN))
        .build()
        .expect("kernel context");
    let data = dir.to_str().expect("utf-8 path");
    let blocks_dir = dir.join("blocks");
    let chainman = ChainstateManager::new(&context, data, blocks_dir.to_str().expect("utf-8 path"))
        .expect("chainstate");
    chainman.import_blocks().expect("loads");
    let started = Instant::now();
    for block in blocks {
        let kernel_block = bitcoinkernel::Block::new(&serialize(block)).expect("kernel block");
        assert!(matches!(
            chainman.process_block(&kernel_block),
            ProcessBlockResult::NewBlock
        ));
    }
    let connect = started.elapsed();
    let height = chainman.active_chain().tip().height();
    assert_eq!(height, i32::try_from(blocks.len()).expect("fits"));
    let started = Instant::now();
    drop(chainman);
    drop(context);
    (connect, started.elapsed())
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort_unstable();
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let runs: usize = args
        .iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(3);
    let target = target_dir();
    let tmp_root = target.join("bench-tmp");
    std::fs::create_dir_all(&tmp_root).expect("creates target/bench-tmp");
    let scratch = tempfile::tempdir_in(&tmp_root).expect("tempdir under target/");
    let all = chain_blocks(&target, scratch.path());
    let blocks = &all[..];
    let txs: usize = blocks.iter().map(|b| b.txdata.len()).sum();
    let spends = txs - blocks.len();
    let inputs: usize = blocks
        .iter()
        .flat_map(|b| &b.txdata[1..])
        .map(|t| t.input.len())
        .sum();
    let outputs: usize = blocks
        .iter()
        .flat_map(|b| &b.txdata)
        .map(|t| t.output.len())
        .sum();
    let bytes: usize = blocks.iter().map(|b| serialize(b).len()).sum();
    println!(
        "chain: {} blocks, {txs} transactions ({spends} spends + {} coinbases), {inputs} spent inputs, {outputs} outputs, {:.1} MB",
        blocks.len(),
        blocks.len(),
        bytes as f64 / 1e6
    );
    let mut a = (Vec::new(), Vec::new());
    let mut b = (Vec::new(), Vec::new());
    for run in 0..runs {
        let dir = tempfile::tempdir_in(&tmp_root).expect("tempdir");
        let (connect, close) = with_coins_view(&dir.path().join("a"), blocks);
        println!(
            "run {run} (a) kernel + coins view: {:.2} s connect, {:.3} s close",
            connect.as_secs_f64(),
            close.as_secs_f64()
        );
        a.0.push(connect);
        a.1.push(close);
        let (connect, close) = kernel_only(&dir.path().join("b"), blocks);
        println!(
            "run {run} (b) kernel only:         {:.2} s connect, {:.3} s close",
            connect.as_secs_f64(),
            close.as_secs_f64()
        );
        b.0.push(connect);
        b.1.push(close);
    }
    let row = |what: &str, times: &(Vec<Duration>, Vec<Duration>)| {
        let connect = median(times.0.clone());
        let close = median(times.1.clone());
        let s = connect.as_secs_f64();
        let all: Vec<String> = times
            .0
            .iter()
            .map(|d| format!("{:.2}", d.as_secs_f64()))
            .collect();
        println!(
            "| {what} | {s:.2} s ({}) | {:.0} | {:.0} | {:.0} | {:.3} s |",
            all.join(", "),
            blocks.len() as f64 / s,
            txs as f64 / s,
            spends as f64 / s,
            close.as_secs_f64()
        );
        s
    };
    println!();
    println!("| Path | Connect time, median ({runs} runs) | Blocks/s | Transactions/s (incl. coinbases) | Spends/s | Close (flush), median |");
    println!("|---|---:|---:|---:|---:|---:|");
    let with = row("(a) `ChainState::submit_block`: kernel + coins view", &a);
    let without = row("(b) kernel alone: `ChainstateManager::process_block`", &b);
    println!();
    println!(
        "SUMMARY coins_view_share={:.1}% (a-b)/a, a={with:.2}s b={without:.2}s, per block {:.0} µs of coins view",
        (with - without) / with * 100.0,
        (with - without) * 1e6 / blocks.len() as f64
    );
}
