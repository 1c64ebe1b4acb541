//! Block templates over IPC against a real `bitcoin-node` (release build) with 500 and then
//! 5,000 transactions in its mempool, measured as Bitcoin Core's numbers were: latency of
//! `Mining.createNewBlock` and of `BlockTemplate.getBlock` (and its MB/s), with the node and
//! this client pinned to one CPU and unpinned. Baselines from the same run and connection:
//! an `Echo.echo("")` round trip (the IPC floor) and `Mining.getTip` (the cheapest mining
//! call).
//!
//! The mempool is filled with independent 1-in-2-out P2WPKH spends (222 bytes, 141 vbytes
//! each, fee rates varying) through `sendrawtransaction` over IPC.
//!
//! `cargo bench -p tests --bench mining_bench -- [--calls N]` (needs `cargo build --release
//! --bins` first; `scripts/bench-mining.sh` does both).

use std::process::Command;
use std::time::{Duration, Instant};

use bitcoin::{Amount, TxOut};
use interfaces::{BlockCreateOptions, Init, Mining};
use serde_json::json;
use tests::miniwallet::{send, MiniWallet, Utxo};
use tests::RpcNode;

/// Mines coinbases to the wallet, fans them out to `n` outputs and confirms them.
fn fund(node: &RpcNode, wallet: &mut MiniWallet, n: usize) -> Vec<Utxo> {
    let fanouts = n.div_ceil(500);
    wallet.generate(node, 100 + fanouts as u64);
    let mut coins = Vec::with_capacity(n);
    for _ in 0..fanouts {
        let coinbase = wallet.take_utxo();
        let (tx, outputs) = wallet.fan_out(&coinbase, 500, Amount::from_sat(100_000));
        send(node, &tx);
        coins.extend(outputs);
    }
    node.call("generatetodescriptor", json!([1, "raw(51)"]));
    assert_eq!(node.call("getmempoolinfo", json!([]))["size"], 0);
    coins
}

/// Sends `count` 1-in-2-out P2WPKH spends with fee rates between 1 and 50 sat/vB.
fn fill(node: &RpcNode, wallet: &MiniWallet, coins: &mut Vec<Utxo>, count: usize) {
    for i in 0..count {
        let coin = coins.pop().expect("enough coins");
        let fee = Amount::from_sat(141 * (1 + (i as u64 * 7919) % 50));
        let half = (coin.value - fee) / 2;
        let output = TxOut {
            value: half,
            script_pubkey: wallet.script_pubkey(),
        };
        let tx = wallet.spend(std::slice::from_ref(&coin), vec![output.clone(), output]);
        send(node, &tx);
    }
}

/// Median and mean of `calls` runs of `f`, in microseconds.
fn time(calls: usize, mut f: impl FnMut()) -> (f64, f64) {
    let mut samples: Vec<f64> = (0..calls)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    let mean = samples.iter().sum::<f64>() / samples.len() as f64;
    (samples[samples.len() / 2], mean)
}

/// Sets the CPU affinity of every thread of process `pid` (`None`: all CPUs).
fn pin(pid: u32, cpu: Option<usize>) {
    let cpus = cpu.map_or_else(
        || {
            format!(
                "0-{}",
                std::thread::available_parallelism().map_or(1, |n| n.get()) - 1
            )
        },
        |c| c.to_string(),
    );
    let status = Command::new("taskset")
        .args(["-a", "-p", "-c", &cpus, &pid.to_string()])
        .stdout(std::process::Stdio::null())
        .status()
        .expect("taskset runs");
    assert!(status.success(), "taskset failed");
}

fn measure(label: &str, mining: &dyn Mining, echo: &dyn interfaces::Echo, calls: usize) {
    let options = BlockCreateOptions::default();
    let (echo_med, _) = time(calls, || {
        echo.echo("").expect("echo");
    });
    let (tip_med, _) = time(calls, || {
        mining.get_tip().expect("get_tip");
    });
    let mut templates = Vec::with_capacity(calls);
    let (create_med, create_mean) = time(calls, || {
        templates.push(
            mining
                .create_new_block(&options, false)
                .expect("create")
                .expect("template"),
        );
    });
    let template = templates.pop().expect("a template");
    drop(templates);
    let block = template.get_block().expect("get_block");
    let txs = template.get_tx_fees().expect("fees").len();
    let (block_med, block_mean) = time(calls, || {
        template.get_block().expect("get_block");
    });
    let mb_s = block.len() as f64 / block_med;
    println!(
        "| {label} | {txs} | {} | {echo_med:.1} | {tip_med:.1} | {create_med:.0} ({create_mean:.0}) | {block_med:.0} ({block_mean:.0}) | {mb_s:.0} |",
        block.len()
    );
}

fn main() {
    let mut calls = 50;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--calls" {
            calls = args.next().and_then(|v| v.parse().ok()).expect("--calls N");
        }
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let node = RpcNode::start_with(dir.path(), "regtest", &["-maxmempool=300"]);
    let (_conn, init) =
        ipc::connect_init(&dir.path().join("regtest").join("node.sock")).expect("connect");
    let mining = init.make_mining().expect("make_mining");
    let echo = init.make_echo().expect("make_echo");
    let mut wallet = MiniWallet::p2wpkh(7);
    let mut coins = fund(&node, &mut wallet, 5000);
    let own = std::process::id();
    let node_pid = node.process.pid();
    println!("| mempool | txs in template | block bytes | echo µs (floor) | getTip µs | createNewBlock µs median (mean) | getBlock µs median (mean) | getBlock MB/s |");
    println!("|---|---|---|---|---|---|---|---|");
    for (count, add) in [(500, 500), (5000, 4500)] {
        fill(&node, &wallet, &mut coins, add);
        std::thread::sleep(Duration::from_millis(200));
        pin(node_pid, Some(0));
        pin(own, Some(0));
        measure(
            &format!("{count} pinned"),
            mining.as_ref(),
            echo.as_ref(),
            calls,
        );
        pin(node_pid, None);
        pin(own, None);
        measure(
            &format!("{count} unpinned"),
            mining.as_ref(),
            echo.as_ref(),
            calls,
        );
    }
}
