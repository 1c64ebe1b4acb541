//! P2P benchmarks against real `bitcoin-node` processes on loopback (release binaries:
//! `cargo build --release --bins` first; `scripts/bench-p2p.sh` does both).
//!
//! 1. Initial sync of the benchmark chain (2,000 regtest blocks, 100,000 spends; see
//!    `chain_data`) from one peer and from three, over v1 and over v2, against the same chain
//!    connected from memory through `ChainState::submit_block` (the `connect_bench` path) in
//!    the same run. Each sync starts a fresh node, connects it to the source nodes with
//!    `addnode ... onetry` and times it until `getblockcount` reaches the tip (polled every
//!    5 ms). Variants are interleaved, `--runs` times (default 2); medians are reported.
//! 2. Memory of 100 idle inbound peers: the resident set of a listening node before and
//!    after 100 raw v1 peers completed the handshake and went silent.
//! 3. CPU per relayed transaction: 2,000 independent transactions sent to node A with
//!    `sendrawtransaction`, relayed to its peer B; the user+system CPU time A and B spent until
//!    B's mempool holds them all, per transaction, against a node C without peers accepting
//!    2,000 like transactions (the acceptance alone, the same run's baseline).
//!
//! `cargo bench -p bitcoin-node --bench p2p_bench -- [--runs N] [--skip-sync]`

mod chain_data;

use std::path::Path;
use std::time::{Duration, Instant};

use bitcoin::Amount;
use serde_json::json;
use tests::miniwallet::{send, MiniWallet};
use tests::RpcNode;

use chain_data::{chain_blocks, target_dir, with_coins_view, BLOCKS};

/// How long any wait may take before the bench gives up.
const PATIENCE: Duration = Duration::from_secs(600);

/// A node without a wallet listening on a free loopback port, in `dir` (created).
fn listening(dir: &Path, extra: &[&str]) -> RpcNode {
    std::fs::create_dir_all(dir).expect("creates the datadir");
    RpcNode::start_listening(dir, extra)
}

fn count(node: &RpcNode, method: &str) -> u64 {
    node.call(method, json!([])).as_u64().expect("a number")
}

/// Waits (polling every 5 ms) until `done` holds.
fn wait(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Copies directory `from` to `to` (files and subdirectories).
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("creates the copy");
    for entry in std::fs::read_dir(from).expect("reads the directory") {
        let entry = entry.expect("a directory entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copies a file");
        }
    }
}

/// Syncs a fresh node in `dir` from `sources` with `-v2transport=<v2>`; the time from the
/// first `addnode` to the tip, and the transport the node used.
fn sync_once(dir: &Path, sources: &[String], v2: bool) -> (Duration, String) {
    std::fs::create_dir_all(dir).expect("creates the datadir");
    let transport = format!("-v2transport={}", u8::from(v2));
    let node = RpcNode::start_with(dir, "regtest", &["-disablewallet", "-listen=0", &transport]);
    let started = Instant::now();
    for source in sources {
        node.call("addnode", json!([source, "onetry"]));
    }
    let tip = BLOCKS as u64;
    wait("the sync", || count(&node, "getblockcount") == tip);
    let elapsed = started.elapsed();
    let peers = node.call("getpeerinfo", json!([]));
    let used = peers[0]["transport_protocol_type"]
        .as_str()
        .unwrap_or("?")
        .to_string();
    node.stop();
    (elapsed, used)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort_unstable();
    v[v.len() / 2]
}

/// Benchmark 1: the sync table.
fn sync_bench(runs: usize, scratch: &Path) {
    let target = target_dir();
    let blocks = chain_blocks(&target, scratch);
    // The first local connect also makes the source datadir the source nodes serve.
    let source = scratch.join("source");
    let (first, _) = with_coins_view(&source.join("regtest"), &blocks);
    for i in 1..3 {
        copy_dir(&source, &scratch.join(format!("source{i}")));
    }
    let sources: Vec<RpcNode> = (0..3)
        .map(|i| {
            let dir = if i == 0 {
                source.clone()
            } else {
                scratch.join(format!("source{i}"))
            };
            listening(&dir, &[])
        })
        .collect();
    let addrs: Vec<String> = sources.iter().map(RpcNode::p2p_addr).collect();
    let variants: [(&str, usize, bool); 4] = [
        ("1 peer, v1", 1, false),
        ("1 peer, v2", 1, true),
        ("3 peers, v1", 3, false),
        ("3 peers, v2", 3, true),
    ];
    let mut local = vec![first];
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); variants.len()];
    for run in 0..runs {
        if run > 0 {
            let dir = scratch.join(format!("local{run}"));
            local.push(with_coins_view(&dir, &blocks).0);
            let _ = std::fs::remove_dir_all(&dir);
        }
        println!("run {run} local connect: {:.2} s", local[run].as_secs_f64());
        for (i, (name, peers, v2)) in variants.iter().enumerate() {
            let dir = scratch.join(format!("sync{run}-{i}"));
            let (elapsed, used) = sync_once(&dir, &addrs[..*peers], *v2);
            println!(
                "run {run} {name}: {:.2} s (transport {used})",
                elapsed.as_secs_f64()
            );
            let expected = if *v2 { "v2" } else { "v1" };
            assert_eq!(used, expected, "{name} used the wrong transport");
            times[i].push(elapsed);
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
    let local = median(local).as_secs_f64();
    let rate = |s: f64| BLOCKS as f64 / s;
    println!();
    println!("| Path | Time, median ({runs} runs) | Blocks/s | Share of the local rate |");
    println!("|---|---:|---:|---:|");
    println!(
        "| local: `ChainState::submit_block` (baseline) | {local:.2} s | {:.0} | 100% |",
        rate(local)
    );
    let mut medians = Vec::new();
    for ((name, _, _), t) in variants.iter().zip(times) {
        let s = median(t).as_secs_f64();
        medians.push(s);
        println!(
            "| P2P sync, {name} | {s:.2} s | {:.0} | {:.0}% |",
            rate(s),
            local / s * 100.0
        );
    }
    println!();
    println!(
        "SUMMARY sync: 1 peer v1 {:.0}% / v2 {:.0}% of local, 3 peers v1 {:.0}% / v2 {:.0}%; v2 vs v1: {:+.1}% (1 peer), {:+.1}% (3 peers)",
        local / medians[0] * 100.0,
        local / medians[1] * 100.0,
        local / medians[2] * 100.0,
        local / medians[3] * 100.0,
        (medians[1] / medians[0] - 1.0) * 100.0,
        (medians[3] / medians[2] - 1.0) * 100.0,
    );
    for node in sources {
        node.stop();
    }
}

/// Resident set size of process `pid`, bytes.
fn rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("reads status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .expect("VmRSS")
        * 1024
}

/// User + system CPU time of process `pid` so far.
fn cpu(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("reads stat");
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = &stat[stat.rfind(')').expect("command name") + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the name.
    let ticks: u64 =
        fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime");
    // SAFETY: sysconf has no preconditions.
    let hz = u64::try_from(unsafe { libc::sysconf(libc::_SC_CLK_TCK) }).expect("clock ticks");
    Duration::from_micros(ticks * 1_000_000 / hz)
}

/// Benchmark 2: memory per idle inbound peer.
fn memory_bench(scratch: &Path) {
    const PEERS: usize = 100;
    let node = listening(&scratch.join("idle"), &["-maxconnections=125"]);
    let addr = node.p2p_addr();
    std::thread::sleep(Duration::from_secs(1));
    let before = rss(node.process.pid());
    let peers: Vec<_> = (0..PEERS)
        .map(|_| tests::wire::silent_peer(&addr, 0))
        .collect();
    wait("100 inbound peers", || {
        count(&node, "getconnectioncount") == PEERS as u64
    });
    std::thread::sleep(Duration::from_secs(2));
    let after = rss(node.process.pid());
    println!();
    println!("| Idle inbound peers | Node RSS | Per peer |");
    println!("|---:|---:|---:|");
    println!("| 0 | {:.1} MB | |", before as f64 / 1e6);
    println!(
        "| {PEERS} | {:.1} MB | {:.1} KB |",
        after as f64 / 1e6,
        (after.saturating_sub(before)) as f64 / PEERS as f64 / 1e3
    );
    node.stop();
    drop(peers);
}

/// `n` independent transactions for `node` to accept: one coinbase fanned out into `n`
/// outputs (mined), each spent back to the wallet.
fn independent_txs(node: &RpcNode, wallet: &mut MiniWallet, n: usize) -> Vec<bitcoin::Transaction> {
    let utxo = wallet.take_utxo();
    let (fan, outs) = wallet.fan_out(&utxo, n, Amount::from_sat(200_000));
    send(node, &fan);
    wallet.generate(node, 1);
    outs.iter()
        .map(|out| wallet.self_transfer(out, Amount::from_sat(1_000)).0)
        .collect()
}

/// Benchmark 3: CPU per relayed transaction.
fn relay_bench(scratch: &Path) {
    const TXS: usize = 2_000;
    let a = listening(&scratch.join("relay-a"), &[]);
    let b = listening(&scratch.join("relay-b"), &[]);
    let c = listening(&scratch.join("relay-c"), &[]);
    b.call("addnode", json!([a.p2p_addr(), "onetry"]));
    let mut wallet = MiniWallet::op_true();
    wallet.generate(&a, 102);
    let mut c_wallet = MiniWallet::op_true();
    c_wallet.generate(&c, 102);
    let relayed = independent_txs(&a, &mut wallet, TXS);
    let alone = independent_txs(&c, &mut c_wallet, TXS);
    wait("B at A's tip", || count(&b, "getblockcount") == 103);

    let (a_pid, b_pid, c_pid) = (a.process.pid(), b.process.pid(), c.process.pid());
    let (a0, b0) = (cpu(a_pid), cpu(b_pid));
    let started = Instant::now();
    for tx in &relayed {
        send(&a, tx);
    }
    wait("B's mempool to hold the relayed transactions", || {
        b.call("getmempoolinfo", json!([]))["size"].as_u64() == Some(TXS as u64)
    });
    let relay_wall = started.elapsed();
    let (a1, b1) = (cpu(a_pid), cpu(b_pid));
    let c0 = cpu(c_pid);
    for tx in &alone {
        send(&c, tx);
    }
    let c1 = cpu(c_pid);
    let per = |d: Duration| d.as_secs_f64() * 1e6 / TXS as f64;
    println!();
    println!("| Node | CPU per transaction |");
    println!("|---|---:|");
    println!(
        "| C: accepts by RPC, no peers (baseline) | {:.0} µs |",
        per(c1 - c0)
    );
    println!(
        "| A: accepts by RPC, announces to B and serves its getdata | {:.0} µs |",
        per(a1 - a0)
    );
    println!(
        "| B: receives the inv, fetches the transaction and accepts it | {:.0} µs |",
        per(b1 - b0)
    );
    println!();
    println!(
        "SUMMARY relay: A {:.0} µs, B {:.0} µs, baseline {:.0} µs per transaction; {TXS} relayed in {:.2} s",
        per(a1 - a0),
        per(b1 - b0),
        per(c1 - c0),
        relay_wall.as_secs_f64()
    );
    for node in [a, b, c] {
        node.stop();
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let runs: usize = args
        .iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(2);
    let tmp_root = target_dir().join("bench-tmp");
    std::fs::create_dir_all(&tmp_root).expect("creates target/bench-tmp");
    let scratch = tempfile::tempdir_in(&tmp_root).expect("tempdir under target/");
    if !args.iter().any(|a| a == "--skip-sync") {
        sync_bench(runs, scratch.path());
    }
    memory_bench(scratch.path());
    relay_bench(scratch.path());
}
