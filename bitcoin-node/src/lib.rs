//! The node process of the suite (`bitcoin-node`, and `bitcoind`, its single-process build):
//! chainstate on libbitcoinkernel ([`chain`]) with a coins view ([`coins`]), the mempool
//! ([`mempool`]) and fee estimation ([`fees`]), block templates ([`mining`]) and the node's own
//! RPC methods ([`rpc`]). May import `interfaces`, `ipc`, `common` and `rpc`; never a wallet.
//!
//! It serves the IPC `Init` interface (`Echo`, `Rpc`, `Node`, `Mining`) to clients that connect
//! to its `-ipcbind` sockets, or to the parent that spawned it with `-ipcfd N`, and Bitcoin
//! Core's JSON-RPC over HTTP on `-rpcport` (served by the `rpc` crate).
//!
//! Startup is a few named phases, each returning what the next needs: [`configure`] (settings
//! to a checked [`NodeConfig`], before anything is written), [`bind`] (the IPC sockets and the
//! RPC port, before detaching so a busy socket or port is reported), [`daemonize`], [`start`]
//! (logging, pid file, IPC, then the RPC server and its cookie) and [`Running::wait`] (until
//! SIGINT/SIGTERM or the `stop` RPC), after which dropping [`Running`] stops the RPC server,
//! removes the cookie, the sockets and the pid file.

pub mod chain;
pub mod chain_interface;
pub mod coins;
pub mod fees;
mod init;
pub mod mempool;
pub mod mining;
pub mod net;
pub mod node;
pub mod options;
pub mod rpc;
mod spawned;
pub mod wallets;

use std::os::unix::net::UnixListener;
use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Instant;

use common::logging::{LogHandle, LogSettings};
use common::{ArgsError, Settings};

pub use init::NodeInit;
pub use spawned::serve_fd;
pub use wallets::{InProcessWallet, StartedWallets, WalletSlot};

/// Why the node could not start or run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NodeError {
    /// Bad arguments or configuration.
    #[error("{0}")]
    Args(#[from] ArgsError),
    /// The P2P network could not start.
    #[error("{0}")]
    Net(#[from] p2p::NetError),
    /// A file could not be written or read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Setting up IPC failed.
    #[error("{0}")]
    Ipc(#[from] ipc::SetupError),
    /// Setting up the RPC server failed.
    #[error("{0}")]
    Rpc(#[from] ::rpc::RpcSetupError),
    /// The chainstate could not be opened.
    #[error("{0}")]
    Chain(#[from] chain::ChainError),
    /// A request that cannot be met (e.g. `-daemon` for a spawned node).
    #[error("{0}")]
    Refused(String),
    /// Signal handling or daemonizing failed.
    #[error("{what}: {source}")]
    System {
        /// What was being done.
        what: &'static str,
        /// The cause.
        source: nix::Error,
    },
}

/// What the node was asked to do, checked.
#[derive(Debug)]
pub struct NodeConfig {
    /// The process name (`bitcoin-node` or `bitcoind`).
    pub process: &'static str,
    /// The merged settings.
    pub settings: Settings,
    /// `<datadir>/<chain>`.
    pub net_dir: PathBuf,
    /// Socket paths from `-ipcbind`.
    pub sockets: Vec<PathBuf>,
    /// `-ipcmaxconnections` and `-ipcallowuid`.
    pub ipc_limits: ipc::ListenLimits,
    /// `-daemon`.
    pub daemon: bool,
    /// The pid file.
    pub pid_file: PathBuf,
    /// Log settings.
    pub log: LogSettings,
    /// RPC server settings.
    pub rpc: ::rpc::RpcConfig,
    /// `-reindex`, `-signetchallenge`.
    pub chain: chain::ChainOptions,
    /// `-maxmempool`, `-minrelaytxfee`, `-persistmempool`, ...
    pub mempool: mempool::MempoolOptions,
    /// `-listen`, `-bind`, `-port`, `-connect`, `-addnode`, `-maxconnections`.
    pub net: net::NetOptions,
}

/// Checks the settings and resolves paths; then creates the data and network directories
/// (nothing is created when a setting is wrong).
pub fn configure(process: &'static str, settings: Settings) -> Result<NodeConfig, NodeError> {
    let net_dir = settings.net_dir();
    let mut sockets = Vec::new();
    for address in settings.get_list("ipcbind") {
        sockets.push(ipc::socket_path(&net_dir, &address)?);
    }
    let ipc_limits = options::ipc_limits(&settings)?;
    let daemon = settings.get_bool("daemon", false)?;
    let pid_file = net_dir.join(
        settings
            .get("pid")
            .filter(|p| !p.is_empty())
            .unwrap_or("bitcoind.pid"),
    );
    let log = LogSettings::from_settings(process, &settings, &net_dir, !daemon)?;
    let rpc = ::rpc::RpcConfig::from_settings(&settings)?;
    let chain = chain::ChainOptions::from_settings(&settings)?;
    let mempool = mempool::MempoolOptions::from_settings(&settings)?;
    let net = net::NetOptions::from_settings(&settings, user_agent())?;
    // Everything is checked: only now create anything.
    settings.create_dirs()?;
    Ok(NodeConfig {
        process,
        settings,
        net_dir,
        sockets,
        ipc_limits,
        daemon,
        pid_file,
        log,
        rpc,
        chain,
        mempool,
        net,
    })
}

/// Our BIP14 user agent.
pub fn user_agent() -> String {
    format!("/bitcoin-node:{}/", env!("CARGO_PKG_VERSION"))
}

/// The sockets [`bind`] made.
#[derive(Debug)]
pub struct Bound {
    /// The `-ipcbind` sockets and their paths.
    pub sockets: Vec<(PathBuf, UnixListener)>,
    /// The RPC server's endpoints.
    pub rpc: ::rpc::Bound,
}

/// Binds every `-ipcbind` socket, then the RPC endpoints (no threads are started).
pub fn bind(config: &NodeConfig) -> Result<Bound, NodeError> {
    let mut sockets = Vec::new();
    for path in &config.sockets {
        let listener = ipc::socket::bind(path)?;
        sockets.push((path.clone(), listener));
    }
    let rpc = ::rpc::bind(&config.rpc)?;
    Ok(Bound { sockets, rpc })
}

/// Detaches into the background (the parent exits 0 at once). Must run before any thread is
/// started.
pub fn daemonize() -> Result<(), NodeError> {
    nix::unistd::daemon(true, false).map_err(|source| NodeError::System {
        what: "cannot daemonize",
        source,
    })
}

/// Blocks SIGINT and SIGTERM in every thread (call first); a signal thread waits for them.
pub fn block_shutdown_signals() -> Result<(), NodeError> {
    common::signals::block_shutdown_signals().map_err(|source| NodeError::System {
        what: "cannot block signals",
        source,
    })
}

/// Why the node is stopping.
pub(crate) enum Stop {
    Signal(String),
    Disconnected(String),
    Rpc,
}

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stop::Signal(name) => write!(f, "received {name}"),
            Stop::Disconnected(reason) => write!(f, "IPC connection to parent closed ({reason})"),
            Stop::Rpc => write!(f, "stop requested over RPC"),
        }
    }
}

pub(crate) fn spawn_signal_waiter(stop: mpsc::Sender<Stop>) -> Result<(), NodeError> {
    common::signals::on_shutdown_signal(move |name| {
        let _ = stop.send(Stop::Signal(name));
    })
    .map_err(|source| NodeError::Io {
        path: PathBuf::from("<signal thread>"),
        source,
    })
}

/// The RPC dispatcher with the control methods; `stop` sends [`Stop::Rpc`] to `stop`.
pub(crate) fn make_dispatcher(
    stop: mpsc::Sender<Stop>,
    log: &Arc<LogHandle>,
    node: Option<(
        &Arc<mining::MiningContext>,
        &Arc<mempool::Mempool>,
        &Arc<mempool::estimator::SharedEstimator>,
    )>,
    net: Option<&Arc<p2p::Net>>,
) -> Arc<::rpc::Dispatcher> {
    let control = ::rpc::Control {
        started: Instant::now(),
        shutdown: Arc::new(move || {
            let _ = stop.send(Stop::Rpc);
        }),
        log: Some(log.clone()),
    };
    let mut table = ::rpc::control_table(&control);
    let defaults = mempool::MempoolOptions::default();
    let options = node.map_or(&defaults, |(_, mempool, _)| mempool.options());
    let fees = net::rpc::RelayFees {
        min_relay: options.min_relay_fee,
        incremental: options.incremental_relay_fee,
    };
    if let Some((mining, mempool, estimator)) = node {
        let chain = &mining.chain;
        rpc::blockchain::register(&mut table, chain, Some(mempool));
        rpc::rawtransaction::register(&mut table, chain, Some(mempool));
        rpc::mempool::register(&mut table, mempool, chain);
        rpc::fees::register(&mut table, estimator, mempool);
        rpc::mining::register(&mut table, mining);
    }
    if let Some(net) = net {
        net::rpc::register(&mut table, net, &user_agent(), fees);
    }
    Arc::new(::rpc::Dispatcher::new(table))
}

/// Writes our pid to `path` atomically (a reader never sees an empty or partial file).
fn write_pid_file(path: &std::path::Path) -> Result<(), NodeError> {
    let io = |source| NodeError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut partial = path.as_os_str().to_owned();
    partial.push(".tmp");
    let partial = PathBuf::from(partial);
    std::fs::write(&partial, format!("{}\n", std::process::id())).map_err(io)?;
    std::fs::rename(&partial, path).map_err(io)
}

/// A started node; dropping it stops the RPC server and removes its cookie, sockets and pid
/// file.
pub struct Running {
    /// The P2P network (stopped first).
    net: Option<net::NetService>,
    rpc: Option<::rpc::Server>,
    listeners: Vec<ipc::Listener>,
    pid_file: Option<PathBuf>,
    /// Where stop requests arrive (`None` when the caller waits for them itself).
    stopped: Option<mpsc::Receiver<Stop>>,
    /// What the node serves on IPC.
    init: Option<Arc<dyn interfaces::Init>>,
    /// Wakes every mining wait at shutdown.
    mining: Option<Arc<mining::MiningContext>>,
    /// Set at shutdown (`Chain::shutdown_requested`).
    stopping: Option<Arc<std::sync::atomic::AtomicBool>>,
    /// The wallet process this node spawned (and supervises), or its in-process wallets.
    wallet: Option<wallets::Wallets>,
    // After the servers, so they stop before the mempool is saved and the chainstate is
    // flushed and closed.
    mempool: Option<(
        Arc<mempool::Mempool>,
        Arc<mempool::estimator::SharedEstimator>,
        PathBuf,
    )>,
    chain: Option<Arc<chain::ChainState>>,
    _log: Arc<LogHandle>,
}

/// Starts logging, writes the pid file, serves `Init` on the bound sockets, then starts the
/// RPC server.
pub fn start(
    config: &NodeConfig,
    bound: Bound,
    wallet: Option<InProcessWallet>,
) -> Result<Running, NodeError> {
    let log = Arc::new(
        common::logging::init(&config.log).map_err(|source| NodeError::Io {
            path: config.log.file.clone().unwrap_or_default(),
            source,
        })?,
    );
    let (stop, stopped) = mpsc::channel();
    spawn_signal_waiter(stop.clone())?;
    start_with(
        config,
        bound,
        wallet,
        Launch {
            log,
            stop,
            stopped: Some(stopped),
            messages: Arc::default(),
        },
    )
}

/// What [`start_with`] runs with: logging already set up, and where stop requests go.
pub(crate) struct Launch {
    pub(crate) log: Arc<LogHandle>,
    pub(crate) stop: mpsc::Sender<Stop>,
    /// `None`: the caller waits on its own receiver.
    pub(crate) stopped: Option<mpsc::Receiver<Stop>>,
    /// Where the startup messages go (a spawned node's parent may have subscribed already).
    pub(crate) messages: Arc<node::InitMessages>,
}

/// [`start`] with logging and the stop channel set up by the caller (a spawned node's parent
/// connection also stops it).
pub(crate) fn start_with(
    config: &NodeConfig,
    bound: Bound,
    wallet: Option<InProcessWallet>,
    launch: Launch,
) -> Result<Running, NodeError> {
    let Launch {
        log,
        stop,
        stopped,
        messages,
    } = launch;
    tracing::info!(
        datadir = %config.net_dir.display(),
        chain = %config.settings.chain(),
        config = ?config.settings.config_file(),
        "{} starting",
        config.process
    );
    write_pid_file(&config.pid_file)?;
    messages.tell("Loading block index…");
    let chain = open_chain(config)?;
    let mut running = Running {
        net: None,
        rpc: None,
        listeners: Vec::new(),
        pid_file: Some(config.pid_file.clone()),
        stopped,
        init: None,
        mining: None,
        stopping: None,
        wallet: None,
        mempool: None,
        chain: Some(chain.clone()),
        _log: log.clone(),
    };
    let stop_rpc = stop.clone();
    let shutdown: Arc<dyn Fn() + Send + Sync> = Arc::new(move || drop(stop_rpc.send(Stop::Rpc)));
    let fee_file = config.net_dir.join("fee_estimates.dat");
    let estimator = Arc::new(mempool::estimator::SharedEstimator::load(&fee_file));
    let mempool = start_mempool(&config.mempool, &chain, &estimator)?;
    running.mempool = Some((mempool.clone(), estimator.clone(), fee_file));
    let follower: std::sync::Weak<dyn chain::Follower> =
        Arc::downgrade(&mempool) as std::sync::Weak<_>;
    chain.add_follower(follower);
    let mining = start_mining(&chain, &mempool)?;
    running.mining = Some(mining.clone());
    messages.tell("Starting network threads…");
    let network = net::NetService::start(&config.net, &chain, &mempool)?;
    let dispatcher = make_dispatcher(
        stop,
        &log,
        Some((&mining, &mempool, &estimator)),
        Some(network.net()),
    );
    running.net = Some(network);
    let stopping = Arc::new(std::sync::atomic::AtomicBool::new(false));
    running.stopping = Some(stopping.clone());
    let local_chain = chain_interface::LocalChain::new(
        chain.clone(),
        mempool.clone(),
        estimator.clone(),
        Arc::new(std::sync::OnceLock::from(dispatcher.clone())),
        Arc::new(move || stopping.load(std::sync::atomic::Ordering::SeqCst)),
    );
    let wallet_slot = WalletSlot::default();
    let local_node = local_node(
        &chain,
        &mempool,
        &dispatcher,
        shutdown,
        &wallet_slot,
        running.net.as_ref(),
        messages.clone(),
    )?;
    let init: Arc<dyn interfaces::Init> = Arc::new(
        NodeInit::new(config.process, Some(log), Some(dispatcher.clone()))
            .with_node(local_node)
            .with_mining(mining)
            .with_chain(local_chain.clone()),
    );
    // The wallet registers its RPC methods before any client is served, so a client that
    // sees the socket finds them.
    if !config.settings.get_bool("disablewallet", false)? {
        messages.tell("Loading wallet…");
        running.wallet = wallets::start(
            config,
            wallet,
            local_chain,
            dispatcher.clone(),
            &wallet_slot,
        );
    }
    for (path, listener) in bound.sockets {
        running.listeners.push(ipc::serve_init_listener(
            listener,
            &path,
            config.ipc_limits.clone(),
            init.clone(),
        )?);
    }
    running.rpc = Some(::rpc::start(&config.rpc, bound.rpc, dispatcher)?);
    running.init = Some(init);
    messages.tell("Done loading");
    Ok(running)
}

/// Block templates from `mempool` on `chain`, with the thread that wakes template waiters.
fn start_mining(
    chain: &Arc<chain::ChainState>,
    mempool: &Arc<mempool::Mempool>,
) -> Result<Arc<mining::MiningContext>, NodeError> {
    let watcher = mining::TipWatcher::start(chain).map_err(|source| NodeError::Io {
        path: PathBuf::from("<mining-tip thread>"),
        source,
    })?;
    let source: Arc<dyn mining::TxSource> = mempool.clone();
    let block_min_fee = mempool.options().block_min_fee;
    Ok(mining::MiningContext::new(
        chain.clone(),
        source,
        watcher,
        block_min_fee,
    ))
}

/// The `Node` served on IPC, reporting `net`'s connections and traffic.
fn local_node(
    chain: &Arc<chain::ChainState>,
    mempool: &Arc<mempool::Mempool>,
    dispatcher: &Arc<::rpc::Dispatcher>,
    shutdown: Arc<dyn Fn() + Send + Sync>,
    wallet_slot: &WalletSlot,
    net: Option<&net::NetService>,
    messages: Arc<node::InitMessages>,
) -> Result<Arc<node::LocalNode>, NodeError> {
    let local_node = node::LocalNode::new(
        chain.clone(),
        Some(mempool.clone()),
        dispatcher.clone(),
        shutdown,
        wallet_slot.clone(),
        messages,
    )
    .map_err(|source| NodeError::Io {
        path: PathBuf::from("<node-notify thread>"),
        source,
    })?;
    if let Some(network) = net {
        local_node
            .set_net(network.net().clone())
            .map_err(|source| NodeError::Io {
                path: PathBuf::from("<node-net-notify thread>"),
                source,
            })?;
    }
    Ok(local_node)
}

/// Opens the chainstate and logs its tip.
fn open_chain(config: &NodeConfig) -> Result<Arc<chain::ChainState>, NodeError> {
    let chain = Arc::new(chain::ChainState::open_with(
        &config.net_dir,
        config.settings.chain(),
        &config.chain,
    )?);
    if let Some(tip) = chain.tip() {
        tracing::info!(height = tip.height, hash = %tip.hash, "chainstate loaded");
    }
    Ok(chain)
}

/// Creates the mempool on `chain`, feeding `estimator`, and, with `-persistmempool`, loads
/// `mempool.dat` (a corrupt file is reported and the node starts with what could be read).
fn start_mempool(
    options: &mempool::MempoolOptions,
    chain: &Arc<chain::ChainState>,
    estimator: &Arc<mempool::estimator::SharedEstimator>,
) -> Result<Arc<mempool::Mempool>, NodeError> {
    let pool =
        mempool::Mempool::new(chain.clone(), options.clone()).map_err(|source| NodeError::Io {
            path: PathBuf::from("<mempool thread>"),
            source,
        })?;
    pool.set_fee_listener(estimator.clone());
    match options.file.as_ref().filter(|_| options.persist) {
        Some(file) => match pool.load(file) {
            Ok(stats) => tracing::info!(
                accepted = stats.accepted,
                failed = stats.failed,
                expired = stats.expired,
                "imported mempool transactions from {}",
                file.display()
            ),
            Err(e) => tracing::warn!(
                "failed to load the mempool ({e}); continuing with {} transactions",
                pool.size()
            ),
        },
        None => pool.mark_loaded(),
    }
    Ok(pool)
}

impl Running {
    /// Waits for SIGINT, SIGTERM or the `stop` RPC.
    pub fn wait(&self) {
        let Some(stopped) = &self.stopped else {
            return;
        };
        let reason = stopped
            .recv()
            .map_or_else(|_| "signal thread ended".to_string(), |r| r.to_string());
        tracing::info!("shutdown requested: {reason}");
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stopping) = &self.stopping {
            stopping.store(true, std::sync::atomic::Ordering::SeqCst);
        }
        // Close every peer socket before the chainstate and the mempool go.
        self.net.take();
        // Closing the socket ends the wallet process (its wallets are saved as they change).
        self.wallet.take();
        if let Some(mining) = self.mining.take() {
            mining.watcher.shutdown();
        }
        // Every client's waits have ended: close their connections, within a second.
        let deadline = Instant::now() + std::time::Duration::from_secs(1);
        for listener in &self.listeners {
            let left = listener.close_clients(deadline);
            if left > 0 {
                tracing::warn!(left, path = %listener.path().display(), "IPC clients still connected at shutdown");
            }
        }
        self.rpc.take();
        self.listeners.clear();
        if let Some((pool, estimator, fee_file)) = self.mempool.take() {
            let file = pool.options().file.clone();
            if let Some(file) = file.filter(|_| pool.options().persist) {
                match pool.save(&file) {
                    Ok(bytes) => tracing::info!(bytes, "dumped mempool to {}", file.display()),
                    Err(e) => tracing::warn!("cannot save the mempool: {e}"),
                }
            }
            if let Err(e) = estimator.save(&fee_file) {
                tracing::warn!("cannot write {}: {e}", fee_file.display());
            }
        }
        if let Some(chain) = self.chain.take() {
            // Flush and close the kernel's databases even if an RPC closure or an IPC
            // connection still holds a reference.
            chain.close();
        }
        if let Some(pid_file) = self.pid_file.take() {
            if let Err(e) = std::fs::remove_file(&pid_file) {
                tracing::warn!("cannot remove pid file {}: {e}", pid_file.display());
            }
        }
        tracing::info!("stopped");
    }
}

/// Keeps block-sized buffers (templates, serialized blocks, IPC messages of up to a few MB) in
/// glibc's heap instead of fresh `mmap`s: each new mapping is zeroed page by page by the
/// kernel, which was a fifth of `createNewBlock`'s time with 5,000 transactions. At most
/// `TRIM` bytes of freed memory stay with the process.
fn tune_allocator() {
    const MMAP_THRESHOLD: libc::c_int = 32 << 20;
    const TRIM: libc::c_int = 64 << 20;
    // SAFETY: mallopt only changes glibc's allocation thresholds; it is called before any
    // thread is started.
    let ok = unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
            && libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM) == 1
    };
    if !ok {
        tracing::debug!("mallopt refused the allocation thresholds");
    }
}

/// The whole `main` of `bitcoin-node` and `bitcoind`: returns the exit code.
pub fn main(process: &'static str, usage: &str, args: &[String]) -> std::process::ExitCode {
    main_with(process, usage, args, None)
}

/// [`main`] with the wallets run in this process by `wallet` (`bitcoind`) rather than in a
/// spawned `bitcoin-wallet`.
pub fn main_with(
    process: &'static str,
    usage: &str,
    args: &[String],
    wallet: Option<InProcessWallet>,
) -> std::process::ExitCode {
    use std::process::ExitCode;
    tune_allocator();
    ipc::set_process_name(process);
    let fail = |e: &dyn std::fmt::Display| {
        tracing::error!("{e}");
        eprintln!("Error: {e}");
        ExitCode::FAILURE
    };
    if let Err(e) = block_shutdown_signals() {
        return fail(&e);
    }
    if let Some(fd) = common::args::ipcfd_arg(args) {
        return match fd
            .map_err(NodeError::from)
            .and_then(|fd| serve_fd(process, fd))
        {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(&e),
        };
    }
    let settings = match common::load(process, usage, &options::all(), args, false) {
        Ok(common::Loaded::Help(text)) => {
            println!("{text}");
            return ExitCode::SUCCESS;
        }
        Ok(common::Loaded::Version) => {
            println!("{process} version v{}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Ok(common::Loaded::Run(settings)) => settings,
        Err(e) => return fail(&e),
    };
    let run = || -> Result<(), NodeError> {
        let config = configure(process, settings)?;
        let bound = bind(&config)?;
        if config.daemon {
            daemonize()?;
        }
        let running = start(&config, bound, wallet)?;
        running.wait();
        drop(running);
        Ok(())
    };
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}
