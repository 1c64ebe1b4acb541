//! A wallet's rescan through the node's `Chain::scan`: the same request answered (a) in-process
//! by `LocalChain::scan` and (b) over IPC, by an `ipc::connect_init` client of the same
//! `LocalChain` served with `ipc::listen_init` on a real unix socket (`NodeInit::with_chain`),
//! as a wallet process reaches its node. Both run in this process on the same chainstate,
//! interleaved, `--runs` times each (default 5); medians are reported with their ratio.
//!
//! The chain (2,000 regtest blocks, 100,000 spends) is mined into a fresh datadir under
//! `target/bench-tmp/` at every start (about 10 s in release, so it is not cached): 100
//! coinbase-only blocks paying P2WSH(`OP_TRUE`), then 1,900 blocks of about 53 spends of
//! P2WSH(`OP_TRUE`) outputs, 1-in-2-out until 10,000 outputs are spendable, then alternately
//! 2-in-1-out and 1-in-2-out (as `connect_bench`). Every 500th spend also pays 1,000 sat to
//! one of the wallet's 1,000 P2WPKH scripts (a descriptor wallet's lookahead; deferred to the
//! next spend while the inputs hold less than 4,000 sat), so 200
//! transactions match.
//!
//! Bytes on the socket: a second IPC client reaches the same server through a relay (two
//! unix sockets and a thread copying each way) that counts the bytes it forwards; every run
//! also scans through it (untimed for the ratio, reported on its own row), and the counters'
//! growth across that call is the request and the reply, as framed by capnp.
//!
//! `cargo bench -p bitcoin-node --bench wallet_scan -- [--runs N]`

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::Shutdown;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use bitcoin::consensus::encode::serialize;
use bitcoin::hashes::{sha256, Hash};
use bitcoin::{
    absolute, transaction, Address, Amount, CompactTarget, Network, OutPoint, ScriptBuf, Sequence,
    Transaction, TxIn, TxOut, WPubkeyHash, Witness,
};
use bitcoin_node::chain::{ChainState, SubmitOutcome};
use bitcoin_node::chain_interface::LocalChain;
use bitcoin_node::mempool::estimator::SharedEstimator;
use bitcoin_node::mempool::{Mempool, MempoolOptions};
use bitcoin_node::{mining, NodeInit};
use interfaces::{Chain, ScanRequest, ScanResult};

const CHAIN: common::Chain = common::Chain::Regtest;
const BLOCKS: usize = 2_000;
const SPENDS: usize = 100_000;
const COINBASE_ONLY: usize = 100;
const POOL: usize = 10_000;
/// One spend in `PAY_EVERY` also pays the wallet.
const PAY_EVERY: usize = 500;
/// The wallet's scripts (its lookahead).
const WALLET_SCRIPTS: usize = 1_000;
const PAYMENT: Amount = Amount::from_sat(1_000);

fn op_true_p2wsh() -> ScriptBuf {
    Address::p2wsh(&ScriptBuf::from_bytes(vec![0x51]), Network::Regtest).script_pubkey()
}

/// The wallet's `i`th script: P2WPKH of a hash standing for its `i`th key.
fn wallet_script(i: usize) -> ScriptBuf {
    let digest = sha256::Hash::hash(format!("wallet key {i}").as_bytes());
    let mut bytes = [0u8; 20];
    bytes.copy_from_slice(&digest.as_byte_array()[..20]);
    ScriptBuf::new_p2wpkh(&WPubkeyHash::from_byte_array(bytes))
}

fn subsidy(height: usize) -> Amount {
    let halvings = height / 150;
    Amount::from_sat(if halvings >= 64 {
        0
    } else {
        5_000_000_000u64 >> halvings
    })
}

/// What the generator keeps between blocks.
struct Generator {
    pool: VecDeque<(OutPoint, Amount)>,
    toggle: bool,
    spent: usize,
    paid: usize,
    /// A payment to the wallet is due (deferred while the inputs are too small for it).
    owed: bool,
}

impl Generator {
    /// One spend of the pool's oldest outputs; every `PAY_EVERY`th also pays the wallet.
    fn spend(&mut self) -> Transaction {
        let merge = self.pool.len() >= POOL && {
            self.toggle = !self.toggle;
            self.toggle
        };
        let n_in = if merge { 2 } else { 1 };
        let inputs: Vec<(OutPoint, Amount)> = (0..n_in)
            .map(|_| self.pool.pop_front().expect("a spendable output"))
            .collect();
        let mut total: Amount = inputs.iter().map(|(_, v)| *v).sum();
        self.spent += 1;
        self.owed |= self.spent.is_multiple_of(PAY_EVERY);
        let pays_wallet = self.owed && total > PAYMENT * 4;
        if pays_wallet {
            self.owed = false;
            total -= PAYMENT;
        }
        let values = if merge {
            vec![total]
        } else {
            vec![total / 2, total - total / 2]
        };
        let mut output: Vec<TxOut> = values
            .iter()
            .map(|value| TxOut {
                value: *value,
                script_pubkey: op_true_p2wsh(),
            })
            .collect();
        if pays_wallet {
            output.push(TxOut {
                value: PAYMENT,
                script_pubkey: wallet_script(self.paid * 7 % WALLET_SCRIPTS),
            });
            self.paid += 1;
        }
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
            output,
        };
        let txid = tx.compute_txid();
        for (vout, value) in (0..).zip(&values) {
            self.pool.push_back((OutPoint::new(txid, vout), *value));
        }
        tx
    }
}

/// Mines the chain into `dir`; returns the open chainstate and the blocks' total size.
fn generate(dir: &Path) -> (Arc<ChainState>, usize) {
    let chain = Arc::new(ChainState::open(dir, CHAIN).expect("opens the node's chainstate"));
    let mut generator = Generator {
        pool: VecDeque::new(),
        toggle: false,
        spent: 0,
        paid: 0,
        owed: false,
    };
    let mut coinbases = Vec::with_capacity(BLOCKS);
    let mut bytes = 0;
    let spending_blocks = BLOCKS - COINBASE_ONLY;
    let now = u32::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock after 1970")
            .as_secs(),
    )
    .expect("time fits u32");
    for height in 1..=BLOCKS {
        let count = if height > COINBASE_ONLY {
            generator
                .pool
                .push_back(coinbases[height - COINBASE_ONLY - 1]);
            let i = height - COINBASE_ONLY;
            SPENDS * i / spending_blocks - SPENDS * (i - 1) / spending_blocks
        } else {
            0
        };
        let txs: Vec<Transaction> = (0..count).map(|_| generator.spend()).collect();
        let tip = chain.tip().expect("open chain has a tip");
        let commitment =
            mining::needs_witness_commitment(&txs).then(|| mining::witness_commitment(&txs));
        let h = i32::try_from(height).expect("height fits i32");
        let coinbase = mining::coinbase(h, &op_true_p2wsh(), subsidy(height), commitment);
        coinbases.push((OutPoint::new(coinbase.compute_txid(), 0), subsidy(height)));
        let time = mining::block_time(&tip, now);
        let target = CompactTarget::from_consensus(tip.bits);
        let mut block = mining::assemble_block(&tip, coinbase, txs, time, target);
        let mut tries = u64::MAX;
        assert_eq!(
            mining::grind(&mut block.header, &mut tries),
            mining::Grind::Found
        );
        bytes += serialize(&block).len();
        assert_eq!(
            chain.submit_block(&block),
            SubmitOutcome::Accepted,
            "block {height}"
        );
    }
    assert_eq!(generator.paid, SPENDS / PAY_EVERY);
    (chain, bytes)
}

/// Bytes forwarded by the relay: (client to server, server to client).
#[derive(Default)]
struct Counters {
    up: AtomicU64,
    down: AtomicU64,
}

impl Counters {
    fn get(&self) -> (u64, u64) {
        (
            self.up.load(Ordering::SeqCst),
            self.down.load(Ordering::SeqCst),
        )
    }
}

fn pump(mut from: UnixStream, mut to: UnixStream, count: Arc<Counters>, up: bool) {
    let mut buf = vec![0u8; 64 * 1024];
    while let Ok(n) = from.read(&mut buf) {
        if n == 0 {
            break;
        }
        let counter = if up { &count.up } else { &count.down };
        counter.fetch_add(n as u64, Ordering::SeqCst);
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

/// Listens at `at` and forwards its first connection to `server`, counting the bytes.
fn relay(at: &Path, server: PathBuf) -> Arc<Counters> {
    let listener = UnixListener::bind(at).expect("binds the relay socket");
    let counters = Arc::new(Counters::default());
    let count = counters.clone();
    std::thread::spawn(move || {
        let (client, _) = listener.accept().expect("accepts the relayed client");
        let upstream = UnixStream::connect(&server).expect("connects to the server");
        let (c2, u2) = (
            client.try_clone().expect("clones"),
            upstream.try_clone().expect("clones"),
        );
        let up = count.clone();
        std::thread::spawn(move || pump(c2, u2, up, true));
        pump(upstream, client, count, false);
    });
    counters
}

/// Runs one scan; returns its time and result.
fn timed(chain: &dyn Chain, request: &ScanRequest) -> (Duration, ScanResult) {
    let started = Instant::now();
    let result = chain.scan(request).expect("scan");
    (started.elapsed(), result)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort_unstable();
    v[v.len() / 2]
}

fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    // target/<profile>/deps/wallet_scan-<hash>
    let exe = std::env::current_exe().expect("own path");
    exe.ancestors()
        .nth(3)
        .expect("the bench runs from target/<profile>/deps")
        .to_path_buf()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let runs: usize = args
        .iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(5);
    let tmp_root = target_dir().join("bench-tmp");
    std::fs::create_dir_all(&tmp_root).expect("creates target/bench-tmp");
    let scratch = tempfile::tempdir_in(&tmp_root).expect("tempdir under target/");

    let started = Instant::now();
    let (chain, block_bytes) = generate(&scratch.path().join("node"));
    println!(
        "chain: {BLOCKS} blocks, {} transactions, {:.1} MB of blocks, generated in {:.1} s",
        BLOCKS + SPENDS,
        block_bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    let mempool = Mempool::new(chain.clone(), MempoolOptions::default()).expect("mempool");
    let estimator = Arc::new(SharedEstimator::load(&scratch.path().join("fees.dat")));
    let local = LocalChain::new(
        chain.clone(),
        mempool,
        estimator,
        Arc::new(OnceLock::new()),
        Arc::new(|| false),
    );
    let init: Arc<dyn interfaces::Init> =
        Arc::new(NodeInit::new("bench", None, None).with_chain(local.clone()));
    let socket = scratch.path().join("node.sock");
    let _listener = ipc::listen_init(&socket, init).expect("listens");
    let (_conn, proxy) = ipc::connect_init(&socket).expect("connects");
    let remote = interfaces::Init::make_chain(&proxy).expect("make_chain");
    let relayed_socket = scratch.path().join("relay.sock");
    let counters = relay(&relayed_socket, socket.clone());
    let (_relayed_conn, relayed_proxy) = ipc::connect_init(&relayed_socket).expect("connects");
    let relayed = interfaces::Init::make_chain(&relayed_proxy).expect("make_chain");

    let request = ScanRequest {
        start_height: 0,
        stop_height: None,
        scripts: (0..WALLET_SCRIPTS)
            .map(|i| wallet_script(i).into_bytes())
            .collect(),
        outpoints: Vec::new(),
        include_mempool: false,
    };
    let request_bytes: usize = request.scripts.iter().map(Vec::len).sum();
    // Warm-up: one scan on each path (page cache, allocator, server thread).
    for chain in [&local as &dyn Chain, remote.as_ref(), relayed.as_ref()] {
        chain.scan(&request).expect("scan");
    }
    let mut times = [Vec::new(), Vec::new(), Vec::new()];
    let mut wire = (0, 0);
    let mut matched_bytes = 0;
    for run in 0..runs {
        // Alternate which path goes first, so neither always follows the relay's pause.
        let (local_time, local_result, ipc_time, ipc_result) = if run.is_multiple_of(2) {
            let (lt, lr) = timed(&local, &request);
            let (it, ir) = timed(remote.as_ref(), &request);
            (lt, lr, it, ir)
        } else {
            let (it, ir) = timed(remote.as_ref(), &request);
            let (lt, lr) = timed(&local, &request);
            (lt, lr, it, ir)
        };
        let before = counters.get();
        let (relayed_time, relayed_result) = timed(relayed.as_ref(), &request);
        // Let the messages that follow a return (Finish, Release) through before reading.
        std::thread::sleep(Duration::from_millis(100));
        let after = counters.get();
        wire = (after.0 - before.0, after.1 - before.1);
        assert_eq!(local_result, ipc_result, "both paths find the same");
        assert_eq!(local_result, relayed_result, "both paths find the same");
        assert_eq!(local_result.matches.len(), SPENDS / PAY_EVERY);
        assert_eq!(local_result.blocks_scanned as usize, BLOCKS + 1);
        matched_bytes = local_result.matches.iter().map(|m| m.tx.len()).sum();
        println!(
            "run {run}: in-process {:.3} s, IPC {:.3} s, IPC through the counting relay {:.3} s ({} B up, {} B down)",
            local_time.as_secs_f64(),
            ipc_time.as_secs_f64(),
            relayed_time.as_secs_f64(),
            wire.0,
            wire.1
        );
        for (list, t) in times.iter_mut().zip([local_time, ipc_time, relayed_time]) {
            list.push(t);
        }
    }
    report(runs, times, wire, matched_bytes, request_bytes, block_bytes);
    drop((remote, relayed));
    chain.close();
}

/// Prints the table and the summary line.
fn report(
    runs: usize,
    times: [Vec<Duration>; 3],
    wire: (u64, u64),
    matched_bytes: usize,
    request_bytes: usize,
    block_bytes: usize,
) {
    let [l, i, r] = times.map(median);
    println!();
    println!("| Path | Scan time, median ({runs} runs) | Blocks/s | vs in-process |");
    println!("|---|---:|---:|---:|");
    for (what, t) in [
        ("(a) in-process: `LocalChain::scan`", l),
        ("(b) over IPC: `Chain` proxy, unix socket", i),
        ("(b') over IPC through the byte-counting relay", r),
    ] {
        println!(
            "| {what} | {:.3} s | {:.0} | {:.3}x |",
            t.as_secs_f64(),
            (BLOCKS + 1) as f64 / t.as_secs_f64(),
            t.as_secs_f64() / l.as_secs_f64()
        );
    }
    println!();
    println!(
        "SUMMARY ipc/local={:.3} ({:+.1} ms), matches={} ({matched_bytes} B of transactions), socket bytes: {} up (request: {request_bytes} B of scripts) + {} down = {} B, {:.2}% of the {block_bytes} B of blocks scanned",
        i.as_secs_f64() / l.as_secs_f64(),
        (i.as_secs_f64() - l.as_secs_f64()) * 1e3,
        SPENDS / PAY_EVERY,
        wire.0,
        wire.1,
        wire.0 + wire.1,
        (wire.0 + wire.1) as f64 / block_bytes as f64 * 100.0
    );
}
