//! The GUI's two performance targets (issue 11), measured against a real regtest
//! `bitcoin-node` (with its wallet process) started in a temporary directory:
//!
//! (a) Frame time: the real [`GuiApp`] rendered headless (`egui::Context::run` plus
//! tessellation, no GPU) at a 60 Hz pace, attached to the node over IPC, while another thread
//! mines 2,000 blocks to the shown wallet by RPC (`generatetoaddress` in chunks of 100) and
//! the wallet's notifications refresh the model. The UI thread's CPU time per frame
//! (`CLOCK_THREAD_CPUTIME_ID`) is recorded; the baseline is the same frames (same tabs, same
//! pace) with the node idle, before and after the load. The tab shown cycles through
//! Overview, Transactions and Node every 30 frames.
//!
//! (b) Startup: from `Model::start` (attach) to the first published snapshot that has the
//! wallet with its balances, against a bare `ipc::connect_init` + `makeNode` +
//! `walletLoader` + `getWallet` + `getBalances` of the same wallet, on the synced node (a)
//! leaves behind, interleaved `--runs` times (default 10).
//!
//! Needs the release binaries: `cargo build --release -p bitcoin-node -p bitcoin-wallet
//! --bins`, then `cargo bench -p bitcoin-gui --bench gui -- [--runs N]`.

use std::hint::black_box;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bitcoin_gui::model::{Backend, Model};
use bitcoin_gui::views::Tab;
use bitcoin_gui::GuiApp;
use interfaces::{Init, Node};
use nix::time::{clock_gettime, ClockId};
use serde_json::{json, Value};

const BLOCKS: u64 = 2_000;
const CHUNK: u64 = 100;
const IDLE_FRAMES: usize = 600;
const FRAME: Duration = Duration::from_micros(16_667);
const WALLET: &str = "bench";
const TABS: [Tab; 3] = [Tab::Overview, Tab::Transactions, Tab::Node];

fn thread_cpu() -> Duration {
    let t = clock_gettime(ClockId::CLOCK_THREAD_CPUTIME_ID).expect("thread CPU clock");
    Duration::new(t.tv_sec() as u64, t.tv_nsec() as u32)
}

fn rpc(node: &dyn Node, uri: &str, method: &str, params: Value) -> Value {
    let request = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let reply = node
        .execute_rpc(&request.to_string(), uri, "")
        .expect("rpc over IPC");
    let reply: Value = serde_json::from_str(&reply).expect("json reply");
    assert!(reply["error"].is_null(), "{method}: {reply}");
    reply["result"].clone()
}

fn control(socket: &std::path::Path) -> (ipc::Connection, Box<dyn Node>) {
    let (connection, init) = ipc::connect_init(socket).expect("connect");
    (connection, init.make_node().expect("makeNode"))
}

/// A headless window: renders one frame of the real app and tessellates it.
struct Window {
    ctx: egui::Context,
    app: GuiApp,
    started: Instant,
    frames: usize,
}

impl Window {
    /// Renders one frame; its CPU time on this thread.
    fn frame(&mut self) -> Duration {
        self.app.tab = TABS[self.frames / 30 % TABS.len()];
        self.frames += 1;
        let cpu = thread_cpu();
        let input = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(
                egui::Pos2::ZERO,
                egui::vec2(1100.0, 760.0),
            )),
            time: Some(self.started.elapsed().as_secs_f64()),
            ..Default::default()
        };
        let app = &mut self.app;
        let output = self.ctx.run(input, |ctx| app.ui(ctx));
        let meshes = self.ctx.tessellate(output.shapes, output.pixels_per_point);
        black_box(meshes.len());
        thread_cpu() - cpu
    }

    /// Renders frames at 60 Hz until `done` (or `count` frames); their CPU times.
    fn paced(&mut self, count: usize, mut done: impl FnMut(&GuiApp) -> bool) -> Vec<Duration> {
        let start = Instant::now();
        let deadline = start + Duration::from_secs(600);
        let mut times = Vec::new();
        for i in 0.. {
            if times.len() >= count || done(&self.app) {
                break;
            }
            assert!(Instant::now() < deadline, "no progress in 10 minutes");
            times.push(self.frame());
            // Pacing, not synchronisation: the next frame starts at its 60 Hz slot.
            let next = start + FRAME * (i + 1);
            if let Some(wait) = next.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
        }
        times
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn report(name: &str, times: &mut [Duration]) {
    times.sort();
    let n = times.len();
    let pct = |p: usize| times[(n * p / 100).min(n - 1)];
    let fast = times.iter().filter(|t| **t < FRAME).count();
    println!(
        "| {name} | {n} | {:.2} | {:.2} | {:.2} | {:.1}% |",
        ms(pct(50)),
        ms(pct(99)),
        ms(times[n - 1]),
        100.0 * fast as f64 / n as f64
    );
}

fn frame_time(socket: &std::path::Path, ctl: &dyn Node, address: &str) {
    let model = Model::start(
        Backend::Attach(socket.to_path_buf()),
        bitcoin::Network::Regtest,
    )
    .expect("model thread");
    let mut window = Window {
        ctx: egui::Context::default(),
        app: GuiApp::new(model, bitcoin::Network::Regtest),
        started: Instant::now(),
        frames: 0,
    };
    window.paced(usize::MAX, |app| {
        app.snapshot().wallet_name() == Some(WALLET) && app.snapshot().node.is_some()
    });
    let mut idle_before = window.paced(IDLE_FRAMES, |_| false);

    let socket_path = socket.to_path_buf();
    let address = address.to_string();
    let miner = std::thread::spawn(move || {
        let (_conn, node) = control(&socket_path);
        let started = Instant::now();
        for _ in 0..BLOCKS / CHUNK {
            rpc(&*node, "/", "generatetoaddress", json!([CHUNK, address]));
        }
        started.elapsed()
    });
    let notified_before = window.app.snapshot().notified_refreshes;
    let load_started = Instant::now();
    let mut load = window.paced(usize::MAX, |app| {
        app.snapshot()
            .wallet
            .as_ref()
            .is_some_and(|w| w.info.tx_count >= BLOCKS)
    });
    let caught_up = load_started.elapsed();
    let mined = miner.join().expect("miner thread");
    let notified = window.app.snapshot().notified_refreshes - notified_before;
    let mut idle_after = window.paced(IDLE_FRAMES, |_| false);
    let height = rpc(ctl, "/", "getblockcount", json!([]));

    println!("\n## (a) Frame time (UI thread CPU per frame, ms; 60 Hz pace)\n");
    println!(
        "Load: {BLOCKS} blocks mined to the wallet in {:.1} s (height {height}); the GUI's \
         wallet caught up after {:.1} s; {notified} notification-driven wallet refreshes.\n",
        mined.as_secs_f64(),
        caught_up.as_secs_f64()
    );
    println!("| phase | frames | p50 | p99 | max | under 16.7 ms |");
    println!("|---|---|---|---|---|---|");
    report("idle node, before (baseline)", &mut idle_before);
    report("node connecting 2,000 blocks", &mut load);
    report("idle node, after (baseline)", &mut idle_after);
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// From `Model::start` (attach) to the first snapshot with the wallet and its balances.
fn gui_startup(socket: &std::path::Path) -> Duration {
    let started = Instant::now();
    let model = Model::start(
        Backend::Attach(socket.to_path_buf()),
        bitcoin::Network::Regtest,
    )
    .expect("model thread");
    let (wake, woken) = mpsc::channel();
    model.on_change(move || {
        let _ = wake.send(());
    });
    let deadline = started + Duration::from_secs(60);
    loop {
        let snap = model.snapshot();
        if snap.connected() && snap.wallet.is_some() {
            break;
        }
        assert!(Instant::now() < deadline, "no wallet after 60 s");
        let _ = woken.recv_timeout(Duration::from_millis(2));
    }
    let took = started.elapsed();
    drop(model);
    took
}

fn startup(socket: &std::path::Path, runs: usize) {
    let mut connect = Vec::new();
    let mut bare = Vec::new();
    let mut reads = Vec::new();
    let mut gui = Vec::new();
    let mut calls: [Vec<Duration>; 6] = Default::default();
    for _ in 0..runs {
        let started = Instant::now();
        let (connection, init) = ipc::connect_init(socket).expect("connect");
        let node = init.make_node().expect("makeNode");
        connect.push(started.elapsed());
        let mut step = Instant::now();
        let mut lap = |i: usize| {
            calls[i].push(step.elapsed());
            step = Instant::now();
        };
        let loader = node.wallet_loader().expect("walletLoader");
        lap(0);
        let wallet = loader.get_wallet(WALLET).expect("getWallet");
        lap(1);
        black_box(wallet.get_balances().expect("getBalances"));
        lap(2);
        bare.push(started.elapsed());
        // What the GUI's first view reads besides: status, wallet info, 200 transactions.
        black_box(node.get_status().expect("getStatus"));
        lap(3);
        black_box(wallet.get_info().expect("getInfo"));
        lap(4);
        black_box(wallet.list_transactions(200, 0).expect("listTransactions"));
        lap(5);
        reads.push(started.elapsed());
        drop((wallet, loader, node, init, connection));

        gui.push(gui_startup(socket));
    }
    let (c, b, r, g) = (
        median(&mut connect),
        median(&mut bare),
        median(&mut reads),
        median(&mut gui),
    );
    println!("\n## (b) Startup to a snapshot with balances ({runs} runs, interleaved)\n");
    println!("| path | median ms | min ms | max ms |");
    println!("|---|---|---|---|");
    for (name, v, m) in [
        ("bare connect + makeNode", &connect, c),
        (
            "bare connect + makeNode + walletLoader + getWallet + getBalances (baseline)",
            &bare,
            b,
        ),
        (
            "baseline + getStatus + getInfo + listTransactions(200)",
            &reads,
            r,
        ),
        (
            "GUI model: Model::start to the first snapshot with balances",
            &gui,
            g,
        ),
    ] {
        println!(
            "| {name} | {:.2} | {:.2} | {:.2} |",
            ms(m),
            ms(v[0]),
            ms(v[v.len() - 1])
        );
    }
    println!(
        "\nGUI / baseline: {:.1}x",
        g.as_secs_f64() / b.as_secs_f64()
    );
    println!("\nOne call each, median ms:");
    let names = [
        "walletLoader",
        "getWallet",
        "getBalances",
        "getStatus",
        "getInfo",
        "listTransactions(200)",
    ];
    for (name, times) in names.iter().zip(calls.iter_mut()) {
        println!("- {name}: {:.2}", ms(median(times)));
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // `cargo bench` passes `--bench`; `cargo test --benches` does not, and only checks that
    // this builds.
    if !args.iter().any(|a| a == "--bench") || args.iter().any(|a| a == "--list") {
        println!("gui bench: run it with `cargo bench -p bitcoin-gui --bench gui`");
        return;
    }
    let runs = args
        .iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(10);
    let node = tests::Node::start(&["-printtoconsole=0"]);
    let socket = node.socket();
    let (_conn, ctl) = control(&socket);
    rpc(&*ctl, "/", "createwallet", json!([WALLET]));
    let address = rpc(
        &*ctl,
        &format!("/wallet/{WALLET}"),
        "getnewaddress",
        json!([]),
    );
    let address = address.as_str().expect("an address").to_string();
    frame_time(&socket, &*ctl, &address);
    startup(&socket, runs);
}
