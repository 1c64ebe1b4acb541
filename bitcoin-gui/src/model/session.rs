//! One connection to a node: attaching to its socket or spawning it, the `Node` proxy, its
//! wallet loader, and the notification subscriptions that feed the model thread.

use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use interfaces::{
    BlockTip, Error, Handler, Init, InitMessage, LoadWalletNotify, Node, NotifyBlockTip,
    NotifyHeaderTip, NotifyNumConnectionsChanged, ShowProgress, Wallet, WalletBalances,
    WalletLoader, WalletNotifications,
};
use ipc::spawn::ExitWatch;

use super::Event;

/// How the model reaches its node.
pub enum Backend {
    /// Attach to the node listening at this socket; wait for it to come back if it goes.
    Attach(PathBuf),
    /// Spawn `exe -ipcfd N` and start it with `args` (`Init.configure`); own its life.
    Spawn {
        /// The `bitcoin-node` executable.
        exe: PathBuf,
        /// Core-style arguments for the node (`-regtest`, `-datadir=...`).
        args: Vec<String>,
    },
    /// A node given by the caller (embedding, tests); no reconnection.
    Given(Box<dyn Node>),
}

/// A spawned node's process.
pub struct Child {
    /// Its process id.
    pub pid: u32,
    /// Set once it has exited.
    pub exit: ExitWatch,
}

/// A live connection to a node.
pub struct Session {
    /// Counts connections, so a late close report of an old one is ignored.
    pub generation: u64,
    /// The IPC connection (none for a given node).
    pub connection: Option<ipc::Connection>,
    /// The node's `Init`, kept alive with the connection.
    pub _init: Option<ipc::InitProxy>,
    /// The node.
    pub node: Box<dyn Node>,
    /// Its wallet loader (`None` when the node runs without wallets).
    pub loader: Option<Box<dyn WalletLoader>>,
    /// The open (loaded) wallets, each with its notification subscription.
    pub wallets: Vec<OpenWallet>,
    /// The name of the wallet shown.
    pub shown: Option<String>,
    /// The subscription to wallets loaded by anyone (`handleLoadWallet`).
    pub load_handler: Option<Box<dyn Handler>>,
    /// Notification subscriptions; dropping them unsubscribes.
    pub handlers: Vec<Box<dyn Handler>>,
    /// The node's process, when this GUI spawned it.
    pub child: Option<Child>,
    /// Where it is, for the status line.
    pub description: String,
}

/// Attaches to the node listening at `path`.
pub fn attach(path: &Path, generation: u64) -> Result<Session, String> {
    let (connection, init) = ipc::connect_init(path).map_err(|e| e.to_string())?;
    let node = init.make_node().map_err(|e| format!("makeNode: {e}"))?;
    Ok(Session {
        generation,
        connection: Some(connection),
        _init: Some(init),
        node,
        loader: None,
        wallets: Vec::new(),
        shown: None,
        load_handler: None,
        handlers: Vec::new(),
        child: None,
        description: format!("attached to {}", path.display()),
    })
}

/// Spawns `exe` and starts it with `args`; returns once the node runs. `stage` is told of
/// each startup stage as it begins: the GUI's own ("Spawning bitcoin-node...") and the
/// node's init messages ("Loading block index…" to "Done loading"), which the node sends
/// while `Init.configure` runs (on a thread of its own here, so this one can show them).
pub fn spawn(
    exe: &Path,
    args: &[String],
    generation: u64,
    stage: &mut dyn FnMut(&str),
) -> Result<Session, String> {
    stage("Spawning bitcoin-node...");
    let spawned = ipc::spawn_process::<ipc::InitProxy>(exe)
        .map_err(|e| format!("cannot start {}: {e}", exe.display()))?;
    let pid = spawned.pid;
    stage("Starting the node (Init.configure)...");
    let (told, messages) = std::sync::mpsc::channel();
    // A node made before configure takes the init message subscription at once.
    let subscription = spawned.init.make_node().and_then(|starting| {
        let handler =
            starting.handle_init_message(Arc::new(InitStage(Mutex::new(told.clone()))))?;
        Ok((starting, handler))
    });
    if let Err(e) = &subscription {
        tracing::debug!("no init messages from the node: {e}");
    }
    let configured = std::thread::scope(|scope| {
        let init = &spawned.init;
        let done = told.clone();
        scope.spawn(move || {
            let _ = done.send(Starting::Configured(Init::configure(init, args)));
        });
        drop(told);
        loop {
            match messages.recv() {
                Ok(Starting::Message(text)) => stage(&text),
                Ok(Starting::Configured(result)) => break result,
                Err(_) => break Err(Error::failed("the configure thread ended")),
            }
        }
    });
    drop(subscription);
    if let Err(e) = configured {
        let status = spawned
            .exit
            .wait_timeout(Duration::from_secs(2))
            .map(|s| exit_text(&s))
            .unwrap_or_default();
        return Err(format!("bitcoin-node failed to start: {e}{status}"));
    }
    stage("Connecting to the node (makeNode)...");
    let node = spawned
        .init
        .make_node()
        .map_err(|e| format!("makeNode: {e}"))?;
    Ok(Session {
        generation,
        connection: Some(spawned.connection),
        _init: Some(spawned.init),
        node,
        loader: None,
        wallets: Vec::new(),
        shown: None,
        load_handler: None,
        handlers: Vec::new(),
        child: Some(Child {
            pid,
            exit: spawned.exit,
        }),
        description: format!("bitcoin-node started by this GUI (pid {pid})"),
    })
}

/// A loaded wallet the model keeps open, and its subscription: the wallet's notifications
/// reach the model thread for as long as this lives.
pub struct OpenWallet {
    /// Its name.
    pub name: String,
    /// The wallet.
    pub wallet: Box<dyn Wallet>,
    /// Its notification subscription (dropping it unsubscribes); `None` if subscribing
    /// failed.
    pub _handler: Option<Box<dyn Handler>>,
}

/// `" (exited with ...)"` for a child's exit.
pub fn exit_text(exit: &ipc::spawn::Exit) -> String {
    match exit {
        Ok(status) => format!(" (bitcoin-node {status})"),
        Err(e) => format!(" (exit status unknown: {e})"),
    }
}

impl Session {
    /// Subscribes to the node's notifications, forwarding them to the model thread.
    pub fn subscribe(&mut self, events: &Sender<Event>) -> Result<(), Error> {
        let forward = Arc::new(Forward(events.clone()));
        self.handlers = vec![
            self.node.handle_notify_block_tip(forward.clone())?,
            self.node.handle_notify_header_tip(forward.clone())?,
            self.node.handle_show_progress(forward.clone())?,
            self.node.handle_init_message(forward.clone())?,
            self.node.handle_notify_num_connections_changed(forward)?,
        ];
        Ok(())
    }

    /// Subscribes to wallets loaded from now on by anyone (the GUI, RPC `loadwallet`).
    pub fn subscribe_loads(&mut self, events: &Sender<Event>) {
        let Some(loader) = &self.loader else {
            return;
        };
        match loader.handle_load_wallet(Arc::new(LoadForward(events.clone()))) {
            Ok(handler) => self.load_handler = Some(handler),
            Err(e) => tracing::warn!("cannot subscribe to wallet loads: {e}"),
        }
    }

    /// Keeps `wallet` open and subscribes to its notifications (once per name: a wallet
    /// already open stays as it is); returns its name.
    pub fn open_wallet(
        &mut self,
        wallet: Box<dyn Wallet>,
        events: &Sender<Event>,
    ) -> Result<String, Error> {
        let name = wallet.get_name()?;
        if self.wallet_named(&name).is_some() {
            return Ok(name);
        }
        let forward = Arc::new(WalletForward {
            name: name.clone(),
            events: events.clone(),
        });
        let handler = match wallet.handle_notifications(forward) {
            Ok(handler) => Some(handler),
            Err(e) => {
                tracing::warn!(wallet = %name, "cannot subscribe to wallet notifications: {e}");
                None
            }
        };
        tracing::debug!(wallet = %name, "wallet open, notifications subscribed");
        self.wallets.push(OpenWallet {
            name: name.clone(),
            wallet,
            _handler: handler,
        });
        Ok(name)
    }

    /// Forgets wallet `name` (unsubscribing); shows another open wallet if it was shown.
    pub fn forget_wallet(&mut self, name: &str) {
        self.wallets.retain(|w| w.name != name);
        if self.shown.as_deref() == Some(name) {
            self.shown = self.wallets.first().map(|w| w.name.clone());
        }
    }

    /// The open wallet `name`.
    pub fn wallet_named(&self, name: &str) -> Option<&dyn Wallet> {
        self.wallets
            .iter()
            .find(|w| w.name == name)
            .map(|w| w.wallet.as_ref())
    }

    /// The wallet shown.
    pub fn shown_wallet(&self) -> Option<&dyn Wallet> {
        self.wallet_named(self.shown.as_deref()?)
    }

    /// Starts a thread that reports when the connection closes.
    pub fn watch_close(&self, events: &Sender<Event>) {
        let Some(connection) = &self.connection else {
            return;
        };
        let watch = connection.watch();
        let events = events.clone();
        let generation = self.generation;
        let started = std::thread::Builder::new()
            .name("gui-conn-watch".into())
            .spawn(move || {
                let reason = watch.wait_closed();
                let _ = events.send(Event::Closed(generation, reason));
            });
        if let Err(e) = started {
            tracing::error!("cannot start the connection watcher: {e}");
        }
    }

    /// Stops a node this GUI spawned (`startShutdown`, then waits for the process); leaves
    /// an attached node alone. Returns the child's exit, if it had one.
    pub fn close(mut self, wait: Duration) -> Option<String> {
        self.handlers.clear();
        self.load_handler = None;
        self.wallets.clear();
        self.loader = None;
        let child = self.child.take()?;
        if let Err(e) = self.node.start_shutdown() {
            tracing::warn!("startShutdown: {e}");
        }
        let exit = child.exit.wait_timeout(wait);
        drop(self);
        let exit = exit.or_else(|| child.exit.wait_timeout(wait));
        Some(match exit {
            Some(exit) => exit_text(&exit),
            None => {
                tracing::warn!(pid = child.pid, "bitcoin-node did not stop in time");
                " (still running)".into()
            }
        })
    }
}

/// Forwards every node notification to the model thread as an [`Event`].
struct Forward(Sender<Event>);

impl NotifyBlockTip for Forward {
    fn call(&self, initial_download: bool, tip: &BlockTip) -> Result<(), Error> {
        let _ = self.0.send(Event::BlockTip(initial_download, *tip));
        Ok(())
    }
}

impl NotifyHeaderTip for Forward {
    fn call(&self, _initial_download: bool, tip: &BlockTip, presync: bool) -> Result<(), Error> {
        let _ = self.0.send(Event::HeaderTip(*tip, presync));
        Ok(())
    }
}

impl ShowProgress for Forward {
    fn call(&self, title: &str, progress: i32, _resume_possible: bool) -> Result<(), Error> {
        let _ = self.0.send(Event::Progress(title.to_string(), progress));
        Ok(())
    }
}

/// What a spawned node's start tells the model thread.
enum Starting {
    /// An init message.
    Message(String),
    /// `Init.configure` returned.
    Configured(Result<(), Error>),
}

/// Forwards a starting node's init messages to the model thread waiting in [`spawn`].
struct InitStage(Mutex<std::sync::mpsc::Sender<Starting>>);

impl InitMessage for InitStage {
    fn call(&self, message: &str) -> Result<(), Error> {
        let sender = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let _ = sender.send(Starting::Message(message.to_string()));
        Ok(())
    }
}

impl InitMessage for Forward {
    fn call(&self, message: &str) -> Result<(), Error> {
        let _ = self.0.send(Event::InitMessage(message.to_string()));
        Ok(())
    }
}

impl NotifyNumConnectionsChanged for Forward {
    fn call(&self, _num_connections: u32) -> Result<(), Error> {
        let _ = self.0.send(Event::Connections);
        Ok(())
    }
}

/// Forwards one wallet's notifications to the model thread, tagged with its name.
struct WalletForward {
    name: String,
    events: Sender<Event>,
}

impl WalletForward {
    fn send(&self, event: Event) -> Result<(), Error> {
        self.events
            .send(event)
            .map_err(|_| Error::Disconnected("the GUI's model thread has ended".into()))
    }
}

impl WalletNotifications for WalletForward {
    fn transaction_changed(&self, _txid: [u8; 32]) -> Result<(), Error> {
        self.send(Event::WalletChanged(self.name.clone()))
    }

    fn balance_changed(&self, _balances: &WalletBalances) -> Result<(), Error> {
        self.send(Event::WalletChanged(self.name.clone()))
    }

    fn status_changed(&self) -> Result<(), Error> {
        self.send(Event::WalletChanged(self.name.clone()))
    }

    fn show_progress(&self, title: &str, progress: i32) -> Result<(), Error> {
        self.send(Event::WalletProgress(
            self.name.clone(),
            title.to_string(),
            progress,
        ))
    }

    fn unloaded(&self) -> Result<(), Error> {
        self.send(Event::WalletUnloaded(self.name.clone()))
    }
}

/// Forwards wallets loaded by anyone to the model thread.
struct LoadForward(Sender<Event>);

impl LoadWalletNotify for LoadForward {
    fn call(&self, wallet: Box<dyn Wallet>) -> Result<(), Error> {
        self.0
            .send(Event::WalletLoaded(wallet))
            .map_err(|_| Error::Disconnected("the GUI's model thread has ended".into()))
    }
}
