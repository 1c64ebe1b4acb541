//! The model thread's loop: connect, then handle events in batches (a burst of block tips
//! during a sync becomes one refresh), refresh what changed and publish one snapshot.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::commands;
use super::session::{self, Backend, Session};
use super::state::State;
use super::watch::{watch_socket, SocketWatch};
use super::{ConnectionState, Event, PeerRow, Shared, TrafficSample};

/// The traffic counters have no notification (Core's GUI polls them too): sample them on
/// this period for the network graph.
const TRAFFIC_PERIOD: Duration = Duration::from_secs(2);
/// Traffic samples kept (10 minutes).
const TRAFFIC_SAMPLES: usize = 300;
/// How long closing the GUI waits for a node it spawned to stop.
const STOP_WAIT: Duration = Duration::from_secs(30);

/// How the model got its node, and so what it does when the node goes away.
enum Mode {
    Attach(PathBuf),
    Spawn,
    Given,
}

/// The model thread's state.
pub(crate) struct Worker {
    shared: Arc<Shared>,
    events: Sender<Event>,
    pub(super) state: State,
    generation: u64,
    mode: Mode,
    watch: Option<SocketWatch>,
    started: Instant,
}

impl Worker {
    /// A worker publishing into `shared`.
    pub(crate) fn new(
        shared: Arc<Shared>,
        events: Sender<Event>,
        network: bitcoin::Network,
    ) -> Worker {
        Worker {
            shared,
            state: State::new(network, events.clone()),
            events,
            generation: 0,
            mode: Mode::Given,
            watch: None,
            started: Instant::now(),
        }
    }

    /// Runs until [`Event::Stop`] (or until the UI's handle is gone).
    pub(crate) fn run(mut self, backend: Backend, events: Receiver<Event>) {
        self.first_connect(backend);
        loop {
            let mut batch = Vec::new();
            match events.recv_timeout(TRAFFIC_PERIOD) {
                Ok(event) => batch.push(event),
                Err(RecvTimeoutError::Timeout) => {
                    self.state.dirty_node = self.state.session.is_some()
                }
                Err(RecvTimeoutError::Disconnected) => break,
            }
            batch.extend(events.try_iter());
            for event in batch {
                if matches!(event, Event::Stop) {
                    self.stop();
                    return;
                }
                self.handle(event);
            }
            self.refresh();
            self.publish();
        }
        self.stop();
    }

    /// Shows startup stage `text` on the splash (published at once).
    fn stage(&mut self, text: &str) {
        self.state.snap.init_message = text.to_string();
        self.state.snap.init_stages.push(text.to_string());
        self.publish();
    }

    fn first_connect(&mut self, backend: Backend) {
        self.generation += 1;
        let result = match backend {
            Backend::Attach(path) => {
                self.mode = Mode::Attach(path.clone());
                self.stage("Connecting to bitcoin-node...");
                session::attach(&path, self.generation)
            }
            Backend::Spawn { exe, args } => {
                self.mode = Mode::Spawn;
                let generation = self.generation;
                session::spawn(&exe, &args, generation, &mut |text| self.stage(text))
            }
            Backend::Given(node) => {
                self.mode = Mode::Given;
                Ok(Session {
                    generation: self.generation,
                    connection: None,
                    _init: None,
                    node,
                    loader: None,
                    wallets: Vec::new(),
                    shown: None,
                    load_handler: None,
                    handlers: Vec::new(),
                    child: None,
                    description: "in-process node".into(),
                })
            }
        };
        match result {
            Ok(session) => self.adopt(session),
            Err(e) => {
                tracing::error!("{e}");
                match &self.mode {
                    Mode::Attach(path) => self.wait_for_node(e, path.clone()),
                    Mode::Spawn | Mode::Given => {
                        self.state.snap.connection = ConnectionState::Failed(e)
                    }
                }
            }
        }
        self.refresh();
        self.publish();
    }

    /// Takes a new connection into use: subscribe, watch it, find the wallets.
    fn adopt(&mut self, mut session: Session) {
        if let Err(e) = session.subscribe(&self.events) {
            tracing::warn!("cannot subscribe to node notifications: {e}");
        }
        session.watch_close(&self.events);
        if self.state.snap.connection == ConnectionState::Starting {
            self.stage("Loading wallets...");
        }
        self.watch = None;
        let previous = self.state.snap.wallet_name().map(str::to_string);
        let description = session.description.clone();
        self.state.session = Some(session);
        commands::open_wallets(&mut self.state, previous);
        self.state.dirty_node = true;
        self.state.dirty_wallet = true;
        self.refresh();
        self.state.snap.connection = ConnectionState::Connected {
            attached: matches!(self.mode, Mode::Attach(_)),
            description,
        };
        self.state.snap.init_message = "Done loading".into();
        self.state.snap.wallet_progress = None;
        // The first usable snapshot (node status, wallets, balances) goes out before the
        // console's method list is fetched.
        self.publish();
        self.state.snap.rpc_methods = commands::rpc_methods(&self.state);
    }

    fn wait_for_node(&mut self, reason: String, path: PathBuf) {
        self.state.snap.connection = ConnectionState::Disconnected {
            reason,
            watching: path.display().to_string(),
        };
        match watch_socket(path, self.events.clone()) {
            Ok(watch) => self.watch = Some(watch),
            Err(e) => tracing::error!("cannot watch for the node: {e}"),
        }
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::Command(id, command) => commands::run(&mut self.state, id, command),
            Event::BlockTip(initial_download, tip) => {
                if let Some(node) = &mut self.state.snap.node {
                    node.block_count = tip.height;
                    node.best_block_hash = tip.hash;
                    node.last_block_time = tip.time;
                    node.verification_progress = tip.verification_progress;
                    node.initial_block_download = initial_download;
                }
                commands::tip_moved(&mut self.state, tip.height);
                self.state.dirty_node = true;
            }
            Event::HeaderTip(tip, presync) => self.state.snap.header_tip = Some((tip, presync)),
            Event::Progress(title, percent) => {
                self.state.snap.progress = (0..100).contains(&percent).then_some((title, percent));
            }
            Event::InitMessage(message) => self.state.snap.init_message = message,
            Event::WalletChanged(name) => {
                self.state.notified.insert(name);
            }
            Event::WalletProgress(name, title, percent) => {
                self.state.snap.wallet_progress_reports += 1;
                self.state.snap.wallet_progress = (0..100)
                    .contains(&percent)
                    .then(|| (format!("{title} ({name})"), percent));
            }
            Event::WalletUnloaded(name) => commands::wallet_unloaded(&mut self.state, &name),
            Event::WalletLoaded(wallet) => commands::wallet_loaded(&mut self.state, wallet),
            Event::Connections => self.state.dirty_node = true,
            Event::Closed(generation, reason) => self.closed(generation, reason),
            Event::NodeBack => self.reconnect(),
            Event::Stop => {}
        }
    }

    fn closed(&mut self, generation: u64, reason: String) {
        if self.state.session.as_ref().map(|s| s.generation) != Some(generation) {
            return;
        }
        let Some(mut session) = self.state.session.take() else {
            return;
        };
        tracing::warn!("lost the node: {reason}");
        let child = session.child.take();
        drop(session);
        match (&self.mode, child) {
            (Mode::Attach(path), _) => {
                let path = path.clone();
                self.wait_for_node(format!("the node went away ({reason})"), path);
            }
            (_, Some(child)) => {
                let status = child
                    .exit
                    .wait_timeout(Duration::from_secs(5))
                    .map(|exit| session::exit_text(&exit))
                    .unwrap_or_else(|| " (still running)".into());
                self.state.snap.connection =
                    ConnectionState::Failed(format!("bitcoin-node stopped{status}"));
            }
            (_, None) => self.state.snap.connection = ConnectionState::Failed(reason),
        }
    }

    fn reconnect(&mut self) {
        let Mode::Attach(path) = &self.mode else {
            return;
        };
        let path = path.clone();
        self.generation += 1;
        match session::attach(&path, self.generation) {
            Ok(session) => {
                tracing::info!(path = %path.display(), "reconnected to the node");
                self.adopt(session);
            }
            Err(e) => self.wait_for_node(e, path),
        }
    }

    /// Re-reads what changed from the node and the wallet.
    fn refresh(&mut self) {
        if std::mem::take(&mut self.state.dirty_node) {
            self.refresh_node();
        }
        if std::mem::take(&mut self.state.dirty_lists) {
            commands::refresh_lists(&mut self.state);
        }
        let notified = std::mem::take(&mut self.state.notified);
        let shown = self.state.session.as_ref().and_then(|s| s.shown.clone());
        let by_notification = shown.is_some_and(|name| notified.contains(&name));
        if std::mem::take(&mut self.state.dirty_wallet) || by_notification {
            commands::refresh_wallet(&mut self.state);
            if by_notification {
                self.state.snap.notified_refreshes += 1;
            }
        }
    }

    fn refresh_node(&mut self) {
        let Some(session) = &self.state.session else {
            return;
        };
        match session.node.get_status() {
            Ok(status) => {
                self.state.snap.traffic.push(TrafficSample {
                    at: self.started.elapsed().as_secs_f64(),
                    recv: status.total_bytes_recv,
                    sent: status.total_bytes_sent,
                });
                let excess = self
                    .state
                    .snap
                    .traffic
                    .len()
                    .saturating_sub(TRAFFIC_SAMPLES);
                self.state.snap.traffic.drain(..excess);
                let connected = status.num_connections > 0;
                self.state.snap.node = Some(status);
                self.refresh_peers(connected);
            }
            Err(e) => tracing::warn!("getStatus: {e}"),
        }
    }

    /// Re-reads the peers (`getpeerinfo`) when the node has any.
    fn refresh_peers(&mut self, connected: bool) {
        if !connected {
            self.state.snap.peers.clear();
            return;
        }
        match commands::call_rpc(&self.state, "getpeerinfo", serde_json::json!([]), false) {
            Ok(serde_json::Value::Array(peers)) => {
                self.state.snap.peers = peers.iter().map(PeerRow::from_json).collect();
            }
            Ok(other) => tracing::warn!("getpeerinfo: not a list: {other}"),
            Err(e) => tracing::warn!("getpeerinfo: {e}"),
        }
    }

    pub(super) fn publish(&mut self) {
        self.state.snap.seq += 1;
        self.shared.publish(Arc::new(self.state.snap.clone()));
    }

    fn stop(&mut self) {
        self.watch = None;
        if let Some(session) = self.state.session.take() {
            if let Some(status) = session.close(STOP_WAIT) {
                tracing::info!("stopped the node this GUI started{status}");
            }
        }
    }
}
