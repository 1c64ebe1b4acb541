//! This suite's `bitcoin-node` against Bitcoin Core's `bitcoin-node`, side by side in one run,
//! both driven by this suite's own Rust IPC client (`ipc::connect_init`, `make_echo`,
//! `make_mining`) over their `-ipcbind=unix` sockets:
//!
//! - `Echo.echo` round trips (64-byte text): p50/p90/p99, mean, calls/s, and the CPU time per
//!   call of the node process and of this client process;
//! - `Mining.createNewBlock`, then `BlockTemplate.getBlock` of that template, then its
//!   `destroy` (what dropping the proxy sends), each timed and the whole cycle timed, with an
//!   empty mempool and with `--txs` transactions in it (independent 1-in-2-out P2WPKH spends,
//!   fee rates 1-50 sat/vB, sent with `sendrawtransaction` over IPC);
//! - the floor of the same moment: a 64-byte ping-pong over a `socketpair` between two
//!   threads of this process.
//!
//! The two nodes are measured interleaved (alternating chunks of calls, alternating which goes
//! first), unpinned and then pinned (every thread of both nodes and of this process on CPU 0).
//!
//! Core's binaries are looked for in `$CORE_BIN` (a directory), else in
//! `~/.cache/core-peer/*/build/bin` (where `build-core-peer.sh` puts them); without them the
//! bench prints why and exits successfully. It never builds Core.
//!
//! `scripts/bench-vs-core.sh [--echo-calls N] [--cycles N] [--txs N] [--chunks N]` builds the
//! release binaries and this bench and runs it.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use bitcoin::{Amount, TxOut};
use interfaces::{BlockCreateOptions, Echo, Init, Mining};
use serde_json::json;
use tests::miniwallet::{send, MiniWallet, Utxo};
use tests::{Process, RpcNode, SocketWait};

/// What the bench was asked to do.
struct Config {
    echo_calls: usize,
    chunks: usize,
    cycles: usize,
    txs: usize,
}

impl Config {
    fn from_args() -> Config {
        let mut config = Config {
            echo_calls: 20_000,
            chunks: 10,
            cycles: 200,
            txs: 500,
        };
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            let slot = match arg.as_str() {
                "--echo-calls" => &mut config.echo_calls,
                "--chunks" => &mut config.chunks,
                "--cycles" => &mut config.cycles,
                "--txs" => &mut config.txs,
                // `cargo bench` passes `--bench`; ignore anything unknown.
                _ => continue,
            };
            *slot = args
                .next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{arg} needs a number"));
        }
        config.chunks = config.chunks.clamp(1, config.echo_calls.max(1));
        config
    }
}

/// One node under test and the client objects the bench uses on it.
struct Target {
    name: &'static str,
    // Declared before `rpc`, which owns the connection: dropped first, while it is open.
    echo: Box<dyn Echo>,
    mining: Box<dyn Mining>,
    rpc: RpcNode,
    wallet: MiniWallet,
    coins: Vec<Utxo>,
    _datadir: tempfile::TempDir,
}

impl Target {
    fn pid(&self) -> u32 {
        self.rpc.process.pid()
    }
}

/// The directory holding Core's `bitcoin-node`, if there is one.
fn core_bin_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("CORE_BIN") {
        let dir = PathBuf::from(dir);
        return dir.join("bitcoin-node").is_file().then_some(dir);
    }
    let cache = PathBuf::from(std::env::var_os("HOME")?).join(".cache/core-peer");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(cache)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path().join("build/bin"))
        .filter(|d| d.join("bitcoin-node").is_file())
        .collect();
    dirs.sort();
    dirs.pop()
}

/// First line of `<program> -version`.
fn version(program: &Path) -> String {
    let out = Command::new(program).arg("-version").output();
    out.ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.lines().next().map(str::to_string))
        .unwrap_or_else(|| "unknown version".to_string())
}

/// Starts `program` as a regtest node in a fresh data directory with `-ipcbind=unix`, connects
/// with this suite's client and waits until its RPC methods answer.
fn start(name: &'static str, program: &Path, extra: &[&str], seed: u8) -> Target {
    let datadir = tempfile::tempdir().expect("tempdir");
    let sock = datadir.path().join("regtest").join("node.sock");
    let d = format!("-datadir={}", datadir.path().display());
    let mut args = vec![
        "-regtest",
        d.as_str(),
        "-ipcbind=unix",
        "-server=0",
        "-listen=0",
        "-printtoconsole=0",
    ];
    args.extend_from_slice(extra);
    let ready = SocketWait::before_start(&sock);
    let mut process = Process::start(program, &args);
    ready.wait(&mut process);
    // Core creates its socket file with bind() and listens just after: retry a refused connect
    // for a moment.
    let deadline = Instant::now() + tests::DEADLINE;
    let (conn, init) = loop {
        match ipc::connect_init(&sock) {
            Ok(pair) => break pair,
            Err(e) if Instant::now() < deadline => {
                tracing::debug!("{name}: connect: {e}");
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(e) => panic!("{name}: cannot connect to {}: {e}", sock.display()),
        }
    };
    let echo = init.make_echo().expect("make_echo");
    let mining = init.make_mining().expect("make_mining");
    let rpc = RpcNode::attach(process, conn, &init);
    let warm = tests::eventually(Duration::from_secs(60), || {
        rpc.try_call("getblockcount", json!([]))["error"].is_null()
    });
    assert!(warm, "{name}: RPC still warming up after 60 s");
    Target {
        name,
        echo,
        mining,
        rpc,
        wallet: MiniWallet::p2wpkh(seed),
        coins: Vec::new(),
        _datadir: datadir,
    }
}

/// Mines past coinbase maturity to the target's wallet and fans coins out to `n` outputs.
fn fund(t: &mut Target, n: usize) {
    let fanouts = n.div_ceil(500);
    t.wallet.generate(&t.rpc, 101 + fanouts as u64);
    for _ in 0..fanouts {
        let coinbase = t.wallet.take_utxo();
        let (tx, outputs) = t.wallet.fan_out(&coinbase, 500, Amount::from_sat(100_000));
        send(&t.rpc, &tx);
        t.coins.extend(outputs);
    }
    t.rpc.call("generatetodescriptor", json!([1, "raw(51)"]));
    assert_eq!(t.rpc.call("getmempoolinfo", json!([]))["size"], 0);
}

/// Sends `count` 1-in-2-out P2WPKH spends with fee rates between 1 and 50 sat/vB.
fn fill(t: &mut Target, count: usize) {
    for i in 0..count {
        let coin = t.coins.pop().expect("enough coins");
        let fee = Amount::from_sat(141 * (1 + (i as u64 * 7919) % 50));
        let half = (coin.value - fee) / 2;
        let output = TxOut {
            value: half,
            script_pubkey: t.wallet.script_pubkey(),
        };
        let tx = t
            .wallet
            .spend(std::slice::from_ref(&coin), vec![output.clone(), output]);
        send(&t.rpc, &tx);
    }
}

/// Sets the CPU affinity of every thread of process `pid` (`None`: all CPUs).
fn pin(pid: u32, cpu: Option<usize>) {
    let all = format!(
        "0-{}",
        std::thread::available_parallelism().map_or(1, |n| n.get()) - 1
    );
    let cpus = cpu.map_or(all, |c| c.to_string());
    let status = Command::new("taskset")
        .args(["-a", "-p", "-c", &cpus, &pid.to_string()])
        .stdout(std::process::Stdio::null())
        .status()
        .expect("taskset runs");
    assert!(status.success(), "taskset failed for pid {pid}");
}

/// CPU time used so far by every live thread of process `pid`, in nanoseconds.
fn cpu_ns(pid: u32) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    tasks
        .filter_map(Result::ok)
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

/// Latency samples in microseconds, plus wall time and CPU time spent on them.
#[derive(Default)]
struct Samples {
    us: Vec<f64>,
    wall: Duration,
    node_cpu_ns: u64,
    client_cpu_ns: u64,
}

impl Samples {
    fn sorted(&mut self) -> &[f64] {
        self.us.sort_by(f64::total_cmp);
        &self.us
    }

    fn pct(&mut self, p: f64) -> f64 {
        let v = self.sorted();
        if v.is_empty() {
            return f64::NAN;
        }
        let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
        v[rank.clamp(1, v.len()) - 1]
    }

    fn mean(&self) -> f64 {
        self.us.iter().sum::<f64>() / self.us.len().max(1) as f64
    }

    fn per_s(&self) -> f64 {
        self.us.len() as f64 / self.wall.as_secs_f64()
    }

    fn cpu_per_call(&self, ns: u64) -> f64 {
        ns as f64 / 1e3 / self.us.len().max(1) as f64
    }
}

/// Runs `f` `calls` times, timing each call, and adds the node's and this process's CPU time.
fn timed(samples: &mut Samples, node: u32, calls: usize, mut f: impl FnMut()) {
    let (node0, client0) = (cpu_ns(node), cpu_ns(std::process::id()));
    let start = Instant::now();
    for _ in 0..calls {
        let t = Instant::now();
        f();
        samples.us.push(t.elapsed().as_secs_f64() * 1e6);
    }
    samples.wall += start.elapsed();
    samples.node_cpu_ns += cpu_ns(node).saturating_sub(node0);
    samples.client_cpu_ns += cpu_ns(std::process::id()).saturating_sub(client0);
}

/// The floor: 64-byte ping-pong over a socketpair between two threads of this process.
fn floor(calls: usize) -> Samples {
    let (mut a, mut b) = UnixStream::pair().expect("socketpair");
    let server = std::thread::spawn(move || {
        let mut buf = [0u8; 64];
        while b.read_exact(&mut buf).is_ok() {
            if b.write_all(&buf).is_err() {
                break;
            }
        }
    });
    let mut buf = [7u8; 64];
    let mut s = Samples::default();
    let mut once = || {
        a.write_all(&buf).expect("floor write");
        a.read_exact(&mut buf).expect("floor read");
    };
    for _ in 0..calls / 10 {
        once();
    }
    timed(&mut s, std::process::id(), calls, once);
    drop(a);
    let _ = server.join();
    s
}

/// Echo round trips on both targets, interleaved in chunks.
/// Returns each target's p50 in microseconds.
fn echo_rows(mode: &str, targets: &[Target], config: &Config, floor_p50: f64) -> Vec<f64> {
    let text = "x".repeat(64);
    for t in targets {
        for _ in 0..1000 {
            t.echo.echo(&text).expect("echo");
        }
    }
    let mut all: Vec<Samples> = targets.iter().map(|_| Samples::default()).collect();
    let chunk = config.echo_calls / config.chunks;
    for c in 0..config.chunks {
        for k in 0..targets.len() {
            let i = (k + c) % targets.len();
            let t = &targets[i];
            timed(&mut all[i], t.pid(), chunk, || {
                let reply = t.echo.echo(&text).expect("echo");
                assert_eq!(reply.len(), 64);
            });
        }
    }
    let mut p50s = Vec::new();
    for (t, s) in targets.iter().zip(&mut all) {
        let (p50, p90, p99) = (s.pct(50.0), s.pct(90.0), s.pct(99.0));
        p50s.push(p50);
        println!(
            "| {mode} | {} | {} | {p50:.1} | {p90:.1} | {p99:.1} | {:.1} | {:.0} | {:.2}x | {:.1} | {:.1} |",
            t.name,
            s.us.len(),
            s.mean(),
            s.per_s(),
            p50 / floor_p50,
            s.cpu_per_call(s.node_cpu_ns),
            s.cpu_per_call(s.client_cpu_ns),
        );
    }
    p50s
}

/// createNewBlock + getBlock + destroy cycles on both targets, alternating.
fn block_rows(mode: &str, mempool: &str, targets: &[Target], config: &Config) {
    let options = BlockCreateOptions::default();
    let mut stats: Vec<[Samples; 4]> = targets.iter().map(|_| Default::default()).collect();
    let mut shape = vec![(0usize, 0usize); targets.len()];
    let warmup = (config.cycles / 10).max(2);
    for n in 0..warmup + config.cycles {
        for k in 0..targets.len() {
            let i = (k + n) % targets.len();
            let t = &targets[i];
            let cycle = Instant::now();
            let template = t
                .mining
                .create_new_block(&options, false)
                .expect("createNewBlock")
                .expect("a template");
            let created = cycle.elapsed();
            let block = template.get_block().expect("getBlock");
            let got = cycle.elapsed();
            if n == 0 {
                let fees = template.get_tx_fees().expect("getTxFees");
                shape[i] = (fees.len(), block.len());
            }
            drop(template);
            let done = cycle.elapsed();
            if n < warmup {
                continue;
            }
            let us = |d: Duration| d.as_secs_f64() * 1e6;
            let s = &mut stats[i];
            s[0].us.push(us(created));
            s[1].us.push(us(got - created));
            s[2].us.push(us(done - got));
            s[3].us.push(us(done));
            s[3].wall += done;
        }
    }
    for ((t, s), (txs, bytes)) in targets.iter().zip(&mut stats).zip(shape) {
        let [create, get, destroy, cycle] = s;
        println!(
            "| {mode} | {mempool} | {} | {txs} | {bytes} | {:.0} ({:.0}) | {:.0} ({:.0}) | {:.0} ({:.0}) | {:.0} / {:.0} / {:.0} | {:.0} |",
            t.name,
            create.pct(50.0),
            create.pct(90.0),
            get.pct(50.0),
            get.pct(90.0),
            destroy.pct(50.0),
            destroy.pct(90.0),
            cycle.pct(50.0),
            cycle.pct(90.0),
            cycle.pct(99.0),
            cycle.per_s(),
        );
    }
}

/// Pins (or unpins) this process and both nodes.
fn place(targets: &[Target], cpu: Option<usize>) {
    pin(std::process::id(), cpu);
    for t in targets {
        pin(t.pid(), cpu);
    }
    std::thread::sleep(Duration::from_millis(100));
}

fn main() {
    let config = Config::from_args();
    let Some(core_dir) = core_bin_dir() else {
        println!(
            "core_bench: skipped: no Bitcoin Core bitcoin-node found (set CORE_BIN to the directory \
             holding it, or build it with build-core-peer.sh into ~/.cache/core-peer)"
        );
        return;
    };
    let ours_bin = tests::bin("bitcoin-node");
    let core_bin = core_dir.join("bitcoin-node");
    println!("- ours: {} ({})", ours_bin.display(), version(&ours_bin));
    println!("- Core: {} ({})", core_bin.display(), version(&core_bin));
    let mut targets = vec![
        start("ours", &ours_bin, &["-maxmempool=300"], 7),
        start("Core", &core_bin, &["-maxmempool=300"], 7),
    ];
    for t in &mut targets {
        fund(t, config.txs);
    }
    // Unpinned first, while the scheduler still places the fresh threads freely: a thread
    // unpinned after a pinned run may well stay on CPU 0.
    let modes = [("unpinned", None), ("pinned", Some(0))];
    let mut summary = Vec::new();
    println!();
    println!(
        "## Echo (64-byte text), {} calls per node and mode, interleaved in {} chunks",
        config.echo_calls, config.chunks
    );
    println!();
    println!("| mode | node | calls | p50 µs | p90 µs | p99 µs | mean µs | calls/s | p50 / floor p50 | node CPU µs/call | client CPU µs/call |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (mode, cpu) in modes {
        place(&targets, cpu);
        let mut f = floor(config.echo_calls);
        let (p50, p90, p99) = (f.pct(50.0), f.pct(90.0), f.pct(99.0));
        println!(
            "| {mode} | floor (socketpair 64 B, 2 threads) | {} | {p50:.1} | {p90:.1} | {p99:.1} | {:.1} | {:.0} | 1.00x | - | {:.1} |",
            f.us.len(),
            f.mean(),
            f.per_s(),
            f.cpu_per_call(f.client_cpu_ns)
        );
        let echo = echo_rows(mode, &targets, &config, p50);
        summary.push(format!(
            "{mode}: floor_us={p50:.2} ours_echo_us={:.2} ({:.2}x floor) core_echo_us={:.2} ({:.2}x floor)",
            echo[0],
            echo[0] / p50,
            echo[1],
            echo[1] / p50
        ));
    }
    println!();
    println!(
        "## createNewBlock, then getBlock of it, then destroy: {} cycles per node, mode and mempool, alternating",
        config.cycles
    );
    println!();
    println!("| mode | mempool | node | txs in template | block bytes | createNewBlock µs p50 (p90) | getBlock µs p50 (p90) | destroy µs p50 (p90) | cycle µs p50 / p90 / p99 | cycles/s |");
    println!("|---|---|---|---:|---:|---:|---:|---:|---:|---:|");
    let mut phases = vec![(0, "empty".to_string())];
    if config.txs > 0 {
        phases.push((config.txs, format!("{} txs", config.txs)));
    }
    for (txs, label) in phases {
        if txs > 0 {
            place(&targets, None);
            for t in &mut targets {
                fill(t, txs);
            }
            std::thread::sleep(Duration::from_millis(300));
        }
        for (mode, cpu) in modes {
            place(&targets, cpu);
            block_rows(mode, &label, &targets, &config);
        }
    }
    place(&targets, None);
    println!();
    for line in summary {
        println!("SUMMARY {line}");
    }
}
