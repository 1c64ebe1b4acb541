//! The IPC runtime of the suite: Rust's counterpart of libmultiprocess, and the client proxies
//! and server adapters of every interface. May import `interfaces` and `schemas` (it is the
//! only crate that knows capnp); no process's library.
//!
//! Every process (node, wallet, GUI, and clients such as `bitcoin-cli`) links this crate to
//! talk Cap'n Proto RPC to the others, over socketpairs made by [`spawn_process`] or unix
//! sockets bound by [`listen`] (`-ipcbind`). It provides:
//! - one event-loop thread per process that owns every capnp object ([`runtime`]);
//! - thread mapping: each client thread gets its own server thread (`makeThread`), calls
//!   without a thread use a pool (`makePool`), and callbacks run on the very client thread
//!   that is waiting for the call that triggered them ([`threads`], [`client`]);
//! - for each interface of the `interfaces` crate, a client proxy implementing the trait and
//!   a server adapter serving any implementation, made by one macro ([`interface!`]);
//! - spawning (`-ipcfd N`), binding (owner-only sockets, stale-socket cleanup) and
//!   connecting, with Bitcoin Core's conventions (see `docs/protocol.md`).

// The interface macro builds requests in immediately-called closures so `?` works there.
#![allow(clippy::redundant_closure_call)]

pub mod client;
pub mod connection;
pub mod convert;
pub mod fuzz;
pub mod interfaces;
pub mod proxy;
pub mod runtime;
pub mod socket;
pub mod spawn;
pub mod stats;
pub mod threads;
mod waiter;
mod workers;

use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

#[doc(hidden)]
pub use paste;

pub use connection::{
    connect_stream, connect_stream_as, serve_stream, serve_stream_as, Connection, RemoteInterface,
};
pub use interfaces::echo::{EchoProxy, EchoServer};
pub use interfaces::handler::HandlerProxy;
pub use interfaces::init::{InitProxy, InitServer, MINING_OLD2_ERROR};
pub use interfaces::mining::{BlockTemplateProxy, BlockTemplateServer, MiningProxy, MiningServer};
pub use interfaces::node::{NodeProxy, NodeServer};
pub use interfaces::rpc::{RpcProxy, RpcServer};
pub use proxy::live_server_objects;
pub use socket::{socket_path, IpcConnect, ListenLimits, Listener, DEFAULT_SOCKET_NAME};
pub use spawn::{spawn_process, Spawned};
pub use waiter::{call_canceled, thread_id};

/// Why setting up IPC (binding, connecting, spawning) failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// The address is neither `unix` nor `unix:<path>`.
    #[error("invalid IPC address '{0}': expected 'unix' or 'unix:<path>'")]
    BadAddress(String),
    /// The socket path does not fit in a `sockaddr_un`.
    #[error("IPC socket path too long ({len} bytes, at most 107): {}", path.display())]
    PathTooLong {
        /// The path.
        path: PathBuf,
        /// Its length in bytes.
        len: usize,
    },
    /// Another process is listening on the socket.
    #[error("IPC socket {} is in use by another running process", .0.display())]
    Occupied(PathBuf),
    /// A file that is not a socket is in the way.
    #[error("cannot bind IPC socket: {} exists and is not a socket", .0.display())]
    NotASocket(PathBuf),
    /// Nobody listens at the path (or it cannot be reached).
    #[error("cannot connect to IPC socket {}: {source}", path.display())]
    Connect {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// `-ipcconnect` insisted on a socket where no node listens.
    #[error(
        "cannot connect to bitcoin-node at {} ({source}); start a node that listens there, e.g. `bitcoin node -ipcbind=unix` (or `bitcoin-node -ipcbind=unix:<path>` for a custom path)",
        path.display()
    )]
    NoNode {
        /// The socket path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// An I/O operation on the path failed.
    #[error("IPC socket {}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The IPC layer failed.
    #[error("{0}")]
    Ipc(::interfaces::Error),
}

static PROCESS_NAME: OnceLock<String> = OnceLock::new();

/// Names this process in thread names and logs (`bitcoin-node`, `bitcoin-wallet`, ...).
pub fn set_process_name(name: &str) {
    let _ = PROCESS_NAME.set(name.to_string());
}

/// The name given to [`set_process_name`], or `ipc`.
pub fn process_name() -> &'static str {
    PROCESS_NAME.get().map_or("ipc", String::as_str)
}

/// Serves `init` on an inherited socket (the child side of `-ipcfd N`).
pub fn serve_init_fd(
    fd: OwnedFd,
    init: Arc<dyn ::interfaces::Init>,
) -> Result<Connection, SetupError> {
    serve_stream_as(
        UnixStream::from(fd),
        "parent (inherited fd)".into(),
        move |conn| InitServer::bootstrap(init, conn),
    )
    .map_err(SetupError::Ipc)
}

/// Connects to the `Init` served at `path` (a node's `-ipcbind` socket).
pub fn connect_init(path: &Path) -> Result<(Connection, InitProxy), SetupError> {
    let stream = socket::connect(path)?;
    connect_stream_as::<InitProxy>(stream, format!("connected {}", path.display()))
        .map_err(SetupError::Ipc)
}

/// Serves `init` on a socket bound with [`socket::bind`], to the clients `limits` admits.
pub fn serve_init_listener(
    listener: std::os::unix::net::UnixListener,
    path: &Path,
    limits: ListenLimits,
    init: Arc<dyn ::interfaces::Init>,
) -> Result<Listener, SetupError> {
    socket::serve_listener(listener, path, limits, move |conn| {
        InitServer::bootstrap(init.clone(), conn)
    })
}

/// Listens at `path`, serving `init` to every client.
pub fn listen_init(path: &Path, init: Arc<dyn ::interfaces::Init>) -> Result<Listener, SetupError> {
    socket::listen(path, move |conn| InitServer::bootstrap(init.clone(), conn))
}
