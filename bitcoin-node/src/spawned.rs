//! A node spawned by a front end (`bitcoin-gui`) as `bitcoin-node -ipcfd N`: it serves `Init`
//! on the inherited socket, and its parent's `Init.configure(args)` starts the whole node with
//! those arguments (as if they had been given on the command line), returning once it runs or
//! with the startup error. From then on `makeNode`, `makeMining`, `makeChain` and `makeRpc`
//! reach the started node; a `Node` made before `configure` returns is told the startup
//! messages ("Loading block index…" to "Done loading") as the node starts, and is the started
//! node's once it runs. The node stops on SIGINT/SIGTERM, on the `stop` RPC or
//! `Node.startShutdown`, or when the parent closes the socket.

use std::path::PathBuf;
use std::sync::{mpsc, Arc, Mutex, PoisonError};

use common::logging::{LogHandle, LogSettings};
use interfaces::{
    Chain, Echo, Error, Handler, Init, InitMessage, IpcConnectionInfo, Mining, Node, NodeStatus,
    NotifyBlockTip, NotifyHeaderTip, NotifyNumConnectionsChanged, Rpc, ShowProgress, WalletLoader,
};

use crate::node::InitMessages;

use crate::{
    bind, configure, make_dispatcher, options, spawn_signal_waiter, start_with, Launch, NodeError,
    NodeInit, Running, Stop,
};

/// The `Init` of a spawned node: the control methods until `configure` starts the node, then
/// the started node's.
struct SpawnedInit {
    process: &'static str,
    log: Arc<LogHandle>,
    stop: mpsc::Sender<Stop>,
    /// Served before the node starts (echo and the control RPC methods).
    before: Arc<dyn Init>,
    running: Arc<Mutex<Option<Running>>>,
    /// The started node's `Init`, once `configure` started it.
    started: Started,
    /// Held while `configure` runs (one at a time); true once it was called.
    configured: Mutex<bool>,
    /// The startup messages, subscribable before the node starts.
    messages: Arc<InitMessages>,
}

type Started = Arc<Mutex<Option<Arc<dyn Init>>>>;

fn started(slot: &Started) -> Option<Arc<dyn Init>> {
    slot.lock().unwrap_or_else(PoisonError::into_inner).clone()
}

impl SpawnedInit {
    fn current(&self) -> Arc<dyn Init> {
        started(&self.started).unwrap_or_else(|| self.before.clone())
    }

    fn start(&self, args: &[String]) -> Result<Arc<dyn Init>, NodeError> {
        let settings = match common::load(self.process, "", &options::all(), args, false)? {
            common::Loaded::Run(settings) => settings,
            common::Loaded::Help(_) | common::Loaded::Version => {
                return Err(NodeError::Refused(
                    "-help and -version have no meaning for a spawned node".into(),
                ))
            }
        };
        let config = configure(self.process, settings)?;
        if config.daemon {
            return Err(NodeError::Refused("a spawned node cannot -daemon".into()));
        }
        self.log
            .apply(&config.log)
            .map_err(|source| NodeError::Io {
                path: config.log.file.clone().unwrap_or_default(),
                source,
            })?;
        tracing::info!(?args, "configured by parent: starting the node");
        let bound = bind(&config)?;
        let launch = Launch {
            log: self.log.clone(),
            stop: self.stop.clone(),
            stopped: None,
            messages: self.messages.clone(),
        };
        let running = start_with(&config, bound, None, launch)?;
        let init = running
            .init
            .clone()
            .ok_or_else(|| NodeError::Refused("the node did not start".into()))?;
        *self.running.lock().unwrap_or_else(PoisonError::into_inner) = Some(running);
        Ok(init)
    }
}

impl Init for SpawnedInit {
    fn make_echo(&self) -> Result<Box<dyn Echo>, Error> {
        self.current().make_echo()
    }

    fn make_node(&self) -> Result<Box<dyn Node>, Error> {
        match started(&self.started) {
            Some(init) => init.make_node(),
            None => Ok(Box::new(StartingNode {
                started: self.started.clone(),
                messages: self.messages.clone(),
                node: std::sync::OnceLock::new(),
            })),
        }
    }

    fn make_mining(&self) -> Result<Box<dyn Mining>, Error> {
        self.current().make_mining()
    }

    fn make_rpc(&self) -> Result<Box<dyn Rpc>, Error> {
        self.current().make_rpc()
    }

    fn make_chain(&self) -> Result<Box<dyn Chain>, Error> {
        self.current().make_chain()
    }

    fn make_wallet_loader(&self, chain: Arc<dyn Chain>) -> Result<Box<dyn WalletLoader>, Error> {
        self.current().make_wallet_loader(chain)
    }

    /// Starts the node with `args` (Core-style, e.g. `-regtest`, `-datadir=...`); returns once
    /// it runs, or the startup error.
    fn configure(&self, args: &[String]) -> Result<(), Error> {
        let mut configured = self
            .configured
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if started(&self.started).is_some() {
            return Err(Error::failed("configure: the node is already running"));
        }
        *configured = true;
        tracing::info!(?args, "starting the node for the parent process");
        match self.start(args) {
            Ok(init) => {
                *self.started.lock().unwrap_or_else(PoisonError::into_inner) = Some(init);
                Ok(())
            }
            Err(e) => {
                tracing::error!("the node failed to start: {e}");
                Err(Error::failed(format!("the node failed to start: {e}")))
            }
        }
    }
}

/// Serves `Init` on inherited fd `fd` until the parent closes the socket, a signal or a stop
/// request. Logs to stderr until the parent's `configure` says otherwise.
pub fn serve_fd(process: &'static str, fd: i32) -> Result<(), NodeError> {
    let io = |source| NodeError::Io {
        path: PathBuf::from(format!("fd {fd}")),
        source,
    };
    let initial = LogSettings {
        process: process.to_string(),
        file: None,
        console: true,
        debug: Vec::new(),
    };
    let log = Arc::new(common::logging::init(&initial).map_err(io)?);
    let fd = ipc::spawn::adopt_inherited_socket(fd).map_err(io)?;
    let (stop, stopped) = mpsc::channel();
    let dispatcher = make_dispatcher(stop.clone(), &log, None, None);
    let running = Arc::new(Mutex::new(None));
    let init = Arc::new(SpawnedInit {
        process,
        log: log.clone(),
        stop: stop.clone(),
        before: Arc::new(NodeInit::new(process, Some(log), Some(dispatcher))),
        running: running.clone(),
        started: Arc::default(),
        configured: Mutex::new(false),
        messages: Arc::default(),
    });
    let connection = ipc::serve_init_fd(fd, init)?;
    spawn_signal_waiter(stop.clone())?;
    let watch = connection.watch();
    std::thread::Builder::new()
        .name("ipc-watch".into())
        .spawn(move || {
            let reason = watch.wait_closed();
            let _ = stop.send(Stop::Disconnected(reason));
        })
        .map_err(io)?;
    let reason = stopped
        .recv()
        .map_or_else(|_| "watch thread ended".to_string(), |r| r.to_string());
    tracing::info!("{process} (spawned) exiting: {reason}");
    // Stop the node (wallet, servers, mempool, chainstate) before the parent's connection
    // closes, so a parent waiting for the socket to close sees a clean stop.
    let node = running
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    drop(node);
    drop(connection);
    Ok(())
}

/// The `Node` of a spawned node made before `configure` started it: it takes startup-message
/// subscriptions at once; everything else is the started node's (an error until it runs).
struct StartingNode {
    started: Started,
    messages: Arc<InitMessages>,
    node: std::sync::OnceLock<Box<dyn Node>>,
}

impl StartingNode {
    fn node(&self) -> Result<&dyn Node, Error> {
        if let Some(node) = self.node.get() {
            return Ok(node.as_ref());
        }
        let init = started(&self.started).ok_or_else(|| {
            Error::failed("the node is starting (Init.configure has not returned)")
        })?;
        let node = init.make_node()?;
        Ok(self.node.get_or_init(|| node).as_ref())
    }
}

impl Node for StartingNode {
    fn get_status(&self) -> Result<NodeStatus, Error> {
        self.node()?.get_status()
    }
    fn execute_rpc(&self, request: &str, uri: &str, user: &str) -> Result<String, Error> {
        self.node()?.execute_rpc(request, uri, user)
    }
    fn start_shutdown(&self) -> Result<(), Error> {
        self.node()?.start_shutdown()
    }
    fn handle_notify_block_tip(
        &self,
        callback: Arc<dyn NotifyBlockTip>,
    ) -> Result<Box<dyn Handler>, Error> {
        self.node()?.handle_notify_block_tip(callback)
    }
    fn handle_notify_header_tip(
        &self,
        callback: Arc<dyn NotifyHeaderTip>,
    ) -> Result<Box<dyn Handler>, Error> {
        self.node()?.handle_notify_header_tip(callback)
    }
    fn handle_show_progress(
        &self,
        callback: Arc<dyn ShowProgress>,
    ) -> Result<Box<dyn Handler>, Error> {
        self.node()?.handle_show_progress(callback)
    }
    fn handle_init_message(
        &self,
        callback: Arc<dyn InitMessage>,
    ) -> Result<Box<dyn Handler>, Error> {
        Ok(self.messages.subscribe(callback))
    }
    fn handle_notify_num_connections_changed(
        &self,
        callback: Arc<dyn NotifyNumConnectionsChanged>,
    ) -> Result<Box<dyn Handler>, Error> {
        self.node()?.handle_notify_num_connections_changed(callback)
    }
    fn wallet_loader(&self) -> Result<Box<dyn WalletLoader>, Error> {
        self.node()?.wallet_loader()
    }
    fn get_ipc_info(&self) -> Result<Vec<IpcConnectionInfo>, Error> {
        self.node()?.get_ipc_info()
    }
}
