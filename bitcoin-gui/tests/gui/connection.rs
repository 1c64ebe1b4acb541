//! Connection life: several GUIs on one node, the node going away and coming back, a slow
//! node that must not freeze the window, and a node the GUI spawns and stops.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bitcoin_gui::model::{Backend, Command, ConnectionState, Model};
use egui_kittest::kittest::Queryable;
use interfaces::{Error, Node};
use serde_json::json;

use super::{attached, burn_address, control, rpc, wait_for, window};

#[test]
fn two_guis_on_one_node_both_see_a_new_block_within_a_second() {
    let node = tests::Node::start(&["-printtoconsole=0"]);
    let (_conn, ctl) = control(&node.socket());
    let mut first = attached(&node.socket());
    let mut second = attached(&node.socket());
    for gui in [&mut first, &mut second] {
        wait_for(gui, "connection", |app| {
            app.snapshot()
                .node
                .as_ref()
                .is_some_and(|n| n.block_count == 0)
        });
    }
    rpc(&*ctl, "/", "generatetoaddress", json!([1, burn_address()]));
    let mined = Instant::now();
    let height = |gui: &egui_kittest::Harness<'_, bitcoin_gui::GuiApp>| {
        gui.state()
            .model()
            .snapshot()
            .node
            .as_ref()
            .map(|n| n.block_count)
    };
    while height(&first) != Some(1) || height(&second) != Some(1) {
        assert!(
            mined.elapsed() < Duration::from_secs(1),
            "not seen within a second"
        );
        first.step();
        second.step();
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn an_attached_gui_survives_the_node_going_away_and_reconnects() {
    let mut node = tests::Node::start(&["-printtoconsole=0"]);
    let mut gui = attached(&node.socket());
    wait_for(&mut gui, "connection", |app| app.snapshot().connected());
    node.process.signal(nix::sys::signal::Signal::SIGKILL);
    let _ = node.process.wait_timeout(Duration::from_secs(10));
    wait_for(&mut gui, "the disconnection", |app| {
        matches!(
            app.snapshot().connection,
            ConnectionState::Disconnected { .. }
        )
    });
    gui.get_by_label_contains("Disconnected from the node");
    // The window keeps working while the node is away.
    gui.get_by_label("Node").click();
    gui.step();
    let socket = node.socket();
    let ready = tests::SocketWait::before_start(&socket);
    let mut back = tests::Node::start_in(node.datadir.path(), &["-printtoconsole=0"]);
    ready.wait(&mut back);
    wait_for(&mut gui, "the reconnection", |app| {
        app.snapshot().connected()
    });
    let (_conn, ctl) = control(&socket);
    rpc(&*ctl, "/", "generatetoaddress", json!([2, burn_address()]));
    wait_for(&mut gui, "blocks after reconnecting", |app| {
        app.snapshot()
            .node
            .as_ref()
            .is_some_and(|n| n.block_count == 2)
    });
    gui.get_by_label("Connected");
}

/// A node whose RPC calls take `delay` (a slow node, or a slow network to it).
struct SlowNode {
    inner: Arc<dyn Node>,
    delay: Duration,
}

impl Node for SlowNode {
    fn get_status(&self) -> Result<interfaces::NodeStatus, Error> {
        self.inner.get_status()
    }
    fn execute_rpc(&self, request: &str, uri: &str, user: &str) -> Result<String, Error> {
        if request.contains("getblockcount") {
            std::thread::sleep(self.delay);
        }
        self.inner.execute_rpc(request, uri, user)
    }
    fn start_shutdown(&self) -> Result<(), Error> {
        self.inner.start_shutdown()
    }
    fn handle_notify_block_tip(
        &self,
        c: Arc<dyn interfaces::NotifyBlockTip>,
    ) -> Result<Box<dyn interfaces::Handler>, Error> {
        self.inner.handle_notify_block_tip(c)
    }
    fn handle_notify_header_tip(
        &self,
        c: Arc<dyn interfaces::NotifyHeaderTip>,
    ) -> Result<Box<dyn interfaces::Handler>, Error> {
        self.inner.handle_notify_header_tip(c)
    }
    fn handle_show_progress(
        &self,
        c: Arc<dyn interfaces::ShowProgress>,
    ) -> Result<Box<dyn interfaces::Handler>, Error> {
        self.inner.handle_show_progress(c)
    }
    fn handle_init_message(
        &self,
        c: Arc<dyn interfaces::InitMessage>,
    ) -> Result<Box<dyn interfaces::Handler>, Error> {
        self.inner.handle_init_message(c)
    }
    fn handle_notify_num_connections_changed(
        &self,
        c: Arc<dyn interfaces::NotifyNumConnectionsChanged>,
    ) -> Result<Box<dyn interfaces::Handler>, Error> {
        self.inner.handle_notify_num_connections_changed(c)
    }
    fn wallet_loader(&self) -> Result<Box<dyn interfaces::WalletLoader>, Error> {
        self.inner.wallet_loader()
    }
    fn get_ipc_info(&self) -> Result<Vec<interfaces::IpcConnectionInfo>, Error> {
        self.inner.get_ipc_info()
    }
}

#[test]
fn the_window_keeps_rendering_while_an_ipc_call_is_blocked() {
    let node = tests::Node::start(&["-printtoconsole=0"]);
    let (_conn, remote) = control(&node.socket());
    let slow = SlowNode {
        inner: Arc::from(remote),
        delay: Duration::from_secs(3),
    };
    let model =
        Model::start(Backend::Given(Box::new(slow)), bitcoin::Network::Regtest).expect("model");
    let mut gui = window(model);
    wait_for(&mut gui, "connection", |app| app.snapshot().connected());
    let id = gui
        .state()
        .model()
        .send(Command::Rpc("getblockcount".into()));
    let started = Instant::now();
    let mut frames = 0;
    while started.elapsed() < Duration::from_secs(2) {
        let frame = Instant::now();
        gui.step();
        // A frame waiting on the 3 s call would take seconds; under a loaded 2-core machine
        // a debug frame can take a few hundred milliseconds without waiting on anything.
        assert!(
            frame.elapsed() < Duration::from_secs(1),
            "a frame took {:?}",
            frame.elapsed()
        );
        frames += 1;
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        gui.state().snapshot().outcome(id).is_none(),
        "the call should still be running"
    );
    assert!(frames > 20, "only {frames} frames in 2 s");
    wait_for(&mut gui, "the slow call's result", |app| {
        app.snapshot().outcome(id).is_some()
    });
}

#[test]
fn a_spawned_node_is_reported_when_it_dies_and_stopped_cleanly_on_close() {
    let datadir = tempfile::tempdir().expect("tempdir");
    let spawn = || Backend::Spawn {
        exe: tests::bin("bitcoin-node"),
        args: vec![
            "-regtest".into(),
            format!("-datadir={}", datadir.path().display()),
            "-printtoconsole=0".into(),
        ],
    };
    let pid_of = |state: &ConnectionState| match state {
        ConnectionState::Connected { description, .. } => description
            .rsplit("pid ")
            .next()
            .and_then(|p| p.trim_end_matches(')').parse::<u32>().ok()),
        _ => None,
    };
    // Closing the GUI stops the node it started, cleanly.
    let mut model = Model::start(spawn(), bitcoin::Network::Regtest).expect("model");
    assert!(tests::eventually(Duration::from_secs(30), || model
        .snapshot()
        .connected()));
    let pid = pid_of(&model.snapshot().connection).expect("pid");
    model.close();
    assert!(tests::process_gone(pid), "the spawned node still runs");
    // A spawned node that dies is reported with its exit status.
    let model = Model::start(spawn(), bitcoin::Network::Regtest).expect("model");
    assert!(tests::eventually(Duration::from_secs(30), || model
        .snapshot()
        .connected()));
    let pid = pid_of(&model.snapshot().connection).expect("pid");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::SIGKILL,
    )
    .expect("kill");
    assert!(
        tests::eventually(Duration::from_secs(10), || {
            matches!(&model.snapshot().connection, ConnectionState::Failed(text) if text.contains("signal: 9"))
        }),
        "{:?}",
        model.snapshot().connection
    );
}

#[test]
fn the_splash_shows_the_startup_stages_of_a_spawned_node() {
    let datadir = tempfile::tempdir().expect("tempdir");
    let model = Model::start(
        Backend::Spawn {
            exe: tests::bin("bitcoin-node"),
            args: vec![
                "-regtest".into(),
                format!("-datadir={}", datadir.path().display()),
                "-printtoconsole=0".into(),
            ],
        },
        bitcoin::Network::Regtest,
    )
    .expect("model");
    let mut gui = window(model);
    let mut shown = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !gui.state().snapshot().connected() {
        assert!(Instant::now() < deadline, "the node did not start");
        gui.step();
        if gui.state().snapshot().connection == ConnectionState::Starting {
            for stage in gui.state().snapshot().init_stages.clone() {
                if gui.query_all_by_label_contains(&stage).next().is_some()
                    && !shown.contains(&stage)
                {
                    shown.push(stage);
                }
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let stages = gui.state().snapshot().init_stages.clone();
    // The GUI's own stages around the node's init messages, in the node's order.
    let expected = [
        "Spawning bitcoin-node",
        "Starting the node",
        "Loading block index…",
        "Starting network threads…",
        "Loading wallet…",
        "Done loading",
        "Connecting to the node",
        "Loading wallets",
    ];
    assert_eq!(stages.len(), expected.len(), "{stages:?}");
    for (stage, start) in stages.iter().zip(expected) {
        assert!(stage.starts_with(start), "{stages:?}");
    }
    assert!(!shown.is_empty(), "the splash never showed a stage");
    gui.step();
    gui.get_by_label("Connected");
}

#[test]
fn the_node_window_lists_the_peers_of_the_node() {
    let node = tests::Node::start(&["-printtoconsole=0", "-bind=127.0.0.1:0"]);
    let (_conn, ctl) = control(&node.socket());
    let mut gui = attached(&node.socket());
    wait_for(&mut gui, "connection", |app| app.snapshot().connected());
    gui.get_by_label("Node").click();
    gui.step();
    gui.get_by_label("Peers").click();
    gui.step();
    gui.get_by_label("No peers connected.");
    let info = rpc(&*ctl, "/", "getnetworkinfo", json!([]));
    let port = info["localaddresses"][0]["port"]
        .as_u64()
        .expect("a listening port");
    let peer_dir = tempfile::tempdir().expect("tempdir");
    let connect = format!("-connect=127.0.0.1:{port}");
    let _peer = tests::RpcNode::start_with(
        peer_dir.path(),
        "regtest",
        &["-disablewallet", "-listen=0", &connect],
    );
    // The connection count notification makes the model re-read the peers.
    wait_for(&mut gui, "the peer", |app| {
        app.snapshot()
            .peers
            .first()
            .is_some_and(|p| p.inbound && p.address.starts_with("127.0.0.1:"))
    });
    gui.step();
    gui.get_by_label("Inbound");
    let peer = gui.state().model().snapshot().peers[0].clone();
    gui.get_by_label(&peer.address);
}
