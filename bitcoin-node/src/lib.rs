//! The node process of the suite (`bitcoin-node`).
//!
//! For now it serves the IPC `Init` interface (with `Echo`) to clients that connect to its
//! `-ipcbind` sockets, or to the parent that spawned it with `-ipcfd N`. Chainstate, mempool,
//! mining and the RPC server come with their own issues.
//!
//! Startup is a few named phases, each returning a handle: check the data directory, bind the
//! IPC sockets, then wait for a shutdown signal; dropping the handles removes the sockets.

pub mod config;
mod init;
pub mod logging;

use std::os::fd::{FromRawFd, OwnedFd};
use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::Arc;

pub use config::{parse, ArgsError, Command, Config, HELP};
pub use init::NodeInit;

/// Why the node could not start or run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NodeError {
    /// `-datadir` names a directory that does not exist.
    #[error("Specified data directory \"{}\" does not exist.", .0.display())]
    NoDataDir(PathBuf),
    /// A file or directory could not be created or read.
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
    /// Signal handling could not be set up.
    #[error("cannot set up signal handling: {0}")]
    Signals(nix::Error),
}

/// Blocks SIGINT and SIGTERM in the calling thread and every thread it starts afterwards, so
/// that [`wait_for_shutdown`] can receive them. Call first thing in `main`.
pub fn block_shutdown_signals() -> Result<(), NodeError> {
    shutdown_signals()
        .thread_block()
        .map_err(NodeError::Signals)
}

fn shutdown_signals() -> nix::sys::signal::SigSet {
    let mut set = nix::sys::signal::SigSet::empty();
    set.add(nix::sys::signal::Signal::SIGINT);
    set.add(nix::sys::signal::Signal::SIGTERM);
    set
}

/// Why the node is stopping.
enum Stop {
    Signal(String),
    Disconnected(String),
}

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stop::Signal(name) => write!(f, "received {name}"),
            Stop::Disconnected(reason) => write!(f, "IPC connection to parent closed ({reason})"),
        }
    }
}

fn spawn_signal_waiter(stop: mpsc::Sender<Stop>) -> Result<(), NodeError> {
    let io = |source| NodeError::Io {
        path: PathBuf::from("<signal thread>"),
        source,
    };
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            let signal = shutdown_signals().wait();
            let name = signal.map_or_else(|e| format!("error {e}"), |s| s.as_str().to_string());
            let _ = stop.send(Stop::Signal(name));
        })
        .map(drop)
        .map_err(io)
}

/// Makes sure `<datadir>` exists and `<datadir>/<network>` is created.
pub fn open_datadir(config: &Config) -> Result<PathBuf, NodeError> {
    if !config.datadir.is_dir() {
        if config.datadir_given {
            return Err(NodeError::NoDataDir(config.datadir.clone()));
        }
        std::fs::create_dir_all(&config.datadir).map_err(|source| NodeError::Io {
            path: config.datadir.clone(),
            source,
        })?;
    }
    let net_dir = config.net_dir();
    std::fs::create_dir_all(&net_dir).map_err(|source| NodeError::Io {
        path: net_dir.clone(),
        source,
    })?;
    Ok(net_dir)
}

/// Binds every `-ipcbind` address, serving `init` there.
fn bind_ipc(
    config: &Config,
    init: &Arc<dyn interfaces::Init>,
) -> Result<Vec<ipc::Listener>, NodeError> {
    let net_dir = config.net_dir();
    let mut listeners = Vec::new();
    for address in &config.ipcbind {
        let path = ipc::socket_path(&net_dir, address)?;
        listeners.push(ipc::listen_init(&path, init.clone())?);
    }
    Ok(listeners)
}

/// Runs the node until SIGINT or SIGTERM; removes its sockets before returning.
pub fn run(config: &Config) -> Result<(), NodeError> {
    let net_dir = open_datadir(config)?;
    tracing::info!(datadir = %net_dir.display(), network = ?config.network, "bitcoin-node starting");
    let init: Arc<dyn interfaces::Init> = Arc::new(NodeInit::new());
    let listeners = bind_ipc(config, &init)?;
    let (stop, stopped) = mpsc::channel();
    spawn_signal_waiter(stop)?;
    let reason = stopped
        .recv()
        .map_or_else(|_| "signal thread ended".to_string(), |r| r.to_string());
    tracing::info!("shutdown requested: {reason}");
    drop(listeners);
    tracing::info!("bitcoin-node stopped");
    Ok(())
}

/// Serves `Init` on inherited fd `fd` until the parent closes the socket (or a signal).
pub fn serve_fd(fd: i32) -> Result<(), NodeError> {
    let io = |source| NodeError::Io {
        path: PathBuf::from(format!("fd {fd}")),
        source,
    };
    // Check the descriptor is open and a socket before taking ownership of it.
    // SAFETY: borrowing only for the fstat call; fstat fails cleanly on a closed fd.
    let borrowed = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
    let stat = nix::sys::stat::fstat(borrowed).map_err(|e| io(std::io::Error::from(e)))?;
    if stat.st_mode & libc::S_IFMT != libc::S_IFSOCK {
        return Err(io(std::io::Error::other("not a socket")));
    }
    // SAFETY: the fd was handed to us by the spawning parent, is open (fstat succeeded) and
    // nothing else in this process owns it.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let init: Arc<dyn interfaces::Init> = Arc::new(NodeInit::new());
    let connection = ipc::serve_init_fd(fd, init)?;
    let (stop, stopped) = mpsc::channel();
    spawn_signal_waiter(stop.clone())?;
    std::thread::Builder::new()
        .name("ipc-watch".into())
        .spawn(move || {
            let reason = connection.wait_closed();
            let _ = stop.send(Stop::Disconnected(reason));
        })
        .map_err(io)?;
    let reason = stopped
        .recv()
        .map_or_else(|_| "watch thread ended".to_string(), |r| r.to_string());
    tracing::info!("bitcoin-node (spawned) exiting: {reason}");
    Ok(())
}
