//! Block templates over IPC against a real `bitcoin-node` (release build) with 500 and then
//! 5,000 transactions in its mempool, measured as Bitcoin Core's numbers were: latency of
//! `Mining.createNewBlock` and of `BlockTemplate.getBlock` (and its MB/s), with the node and
//! this client pinned to one CPU and unpinned. Baselines from the same run and connection:
//! an `Echo.echo("")` round trip (the IPC floor) and `Mining.getTip` (the cheapest mining
//! call).
//!
//! The mempool is filled with 1-in-2-out spends of P2WSH(OP_TRUE) outputs (about 150 vbytes
//! each, fee rates varying) through `sendrawtransaction` over IPC.
//!
//! `cargo bench -p tests --bench mining_bench -- [--calls N]` (needs `cargo build --release
//! --bins` first; `scripts/bench-mining.sh` does both).

use std::process::Command;
use std::time::{Duration, Instant};

use bitcoin::consensus::encode::serialize_hex;
use bitcoin::{
    absolute, transaction, Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Txid,
    Witness,
};
use interfaces::{BlockCreateOptions, Init, Mining};
use serde_json::json;
use tests::RpcNode;

/// The witness script OP_TRUE and its P2WSH output script.
fn op_true() -> (ScriptBuf, ScriptBuf) {
    let script = ScriptBuf::from_bytes(vec![0x51]);
    let p2wsh = ScriptBuf::new_p2wsh(&script.wscript_hash());
    (script, p2wsh)
}

/// Spends `inputs` (P2WSH OP_TRUE outputs of `value` each) into `outputs` equal outputs
/// after `fee`.
fn spend(inputs: &[OutPoint], value: Amount, outputs: usize, fee: Amount) -> Transaction {
    let (script, p2wsh) = op_true();
    let total = value * inputs.len() as u64 - fee;
    let each = total / outputs as u64;
    Transaction {
        version: transaction::Version::TWO,
        lock_time: absolute::LockTime::ZERO,
        input: inputs
            .iter()
            .map(|outpoint| TxIn {
                previous_output: *outpoint,
                script_sig: ScriptBuf::new(),
                sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
                witness: Witness::from_slice(&[script.as_bytes()]),
            })
            .collect(),
        output: (0..outputs)
            .map(|_| TxOut {
                value: each,
                script_pubkey: p2wsh.clone(),
            })
            .collect(),
    }
}

struct Funds {
    coins: Vec<(OutPoint, Amount)>,
}

/// Mines coinbases to OP_TRUE, fans them out to `n` coins and confirms them.
fn fund(node: &RpcNode, n: usize) -> Funds {
    let (_, p2wsh) = op_true();
    let descriptor = format!("raw({})", p2wsh.to_hex_string());
    let fanouts = n.div_ceil(500);
    node.call("generatetodescriptor", json!([100 + fanouts, descriptor]));
    let mut coins = Vec::new();
    for height in 1..=fanouts {
        let hash = node.call("getblockhash", json!([height]));
        let block = node.call("getblock", json!([hash, 2]));
        let txid: Txid = block["tx"][0]["txid"]
            .as_str()
            .expect("coinbase txid")
            .parse()
            .expect("txid");
        let value = Amount::from_btc(block["tx"][0]["vout"][0]["value"].as_f64().expect("value"))
            .expect("amount");
        let tx = spend(
            &[OutPoint::new(txid, 0)],
            value,
            500,
            Amount::from_sat(100_000),
        );
        let fanout_txid = node.call("sendrawtransaction", json!([serialize_hex(&tx)]));
        let fanout_txid: Txid = fanout_txid.as_str().expect("txid").parse().expect("txid");
        for vout in 0..500u32 {
            coins.push((OutPoint::new(fanout_txid, vout), tx.output[0].value));
        }
    }
    node.call("generatetodescriptor", json!([1, descriptor]));
    assert_eq!(node.call("getmempoolinfo", json!([]))["size"], 0);
    Funds { coins }
}

/// Sends `count` 1-in-2-out spends with fee rates between 1 and 50 sat/vB.
fn fill(node: &RpcNode, funds: &mut Funds, count: usize) {
    for i in 0..count {
        let (outpoint, value) = funds.coins.pop().expect("enough coins");
        let fee = Amount::from_sat(150 * (1 + (i as u64 * 7919) % 50));
        let tx = spend(&[outpoint], value, 2, fee);
        node.call("sendrawtransaction", json!([serialize_hex(&tx)]));
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
    let mut funds = fund(&node, 5000);
    let own = std::process::id();
    let node_pid = node.process.pid();
    println!("| mempool | txs in template | block bytes | echo µs (floor) | getTip µs | createNewBlock µs median (mean) | getBlock µs median (mean) | getBlock MB/s |");
    println!("|---|---|---|---|---|---|---|---|");
    for (count, add) in [(500, 500), (5000, 4500)] {
        fill(&node, &mut funds, add);
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
