//! Connections: a capnp-rpc two-party system over a unix stream, driven by the event loop.
//!
//! [`serve_stream`] answers with a bootstrap capability; [`connect_stream`] obtains the
//! peer's bootstrap capability and, for `Init`-like interfaces, exchanges `ThreadMap`s with
//! `construct`. A [`Connection`] is the `Send + Sync` handle to one of them.

use std::os::unix::net::UnixStream;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Duration;

use capnp::message::ReaderOptions;
use capnp_rpc::rpc_twoparty_capnp::Side;
use capnp_rpc::{twoparty, RpcSystem};
use futures::future::Either;
use futures::io::{BufReader, BufWriter};
use interfaces::Error;
use schemas::init_capnp::init;
use schemas::proxy_capnp::thread_map;
use tokio_util::compat::{TokioAsyncReadCompatExt, TokioAsyncWriteCompatExt};

use crate::runtime::{self, on_loop_thread, with_state, ConnState};

/// Limits on incoming messages: generous for blocks (64 MiB), bounded for hostile peers.
pub(crate) fn reader_options() -> ReaderOptions {
    let mut options = ReaderOptions::new();
    options
        .traversal_limit_in_words(Some(8 * 1024 * 1024))
        .nesting_limit(64);
    options
}

#[derive(Default)]
struct Shared {
    closed: Mutex<Option<String>>,
    changed: Condvar,
}

/// Handle to one IPC connection, usable from any thread. Dropping it closes the connection
/// (proxies made from it then fail with [`Error::Disconnected`]); use [`Connection::detach`]
/// to let it live until the peer closes it.
pub struct Connection {
    id: u64,
    shared: Arc<Shared>,
    close_on_drop: bool,
}

impl Connection {
    /// The connection's id within this process.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Whether the connection has closed.
    pub fn is_closed(&self) -> bool {
        self.shared
            .closed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some()
    }

    /// Blocks until the connection closes; returns why.
    pub fn wait_closed(&self) -> String {
        let mut closed = self
            .shared
            .closed
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(reason) = closed.as_ref() {
                return reason.clone();
            }
            closed = self
                .shared
                .changed
                .wait(closed)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Like [`Connection::wait_closed`] with a deadline; `None` if still open after `timeout`.
    pub fn wait_closed_timeout(&self, timeout: Duration) -> Option<String> {
        let closed = self
            .shared
            .closed
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let (closed, _) = self
            .shared
            .changed
            .wait_timeout_while(closed, timeout, |c| c.is_none())
            .unwrap_or_else(PoisonError::into_inner);
        closed.clone()
    }

    /// Closes the connection: pending calls on both sides fail, objects served on it are freed.
    pub fn close(&self) {
        let id = self.id;
        let run = move || with_state(|s| s.disconnect(id));
        if on_loop_thread() {
            run();
        } else {
            runtime::post(run);
        }
    }

    /// Keeps the connection open after this handle is dropped, until the peer closes it.
    pub fn detach(mut self) {
        self.close_on_drop = false;
    }

    /// A second handle that can wait for the close or close the connection from another
    /// thread, and does not close it when dropped.
    pub fn watch(&self) -> Connection {
        Connection {
            id: self.id,
            shared: self.shared.clone(),
            close_on_drop: false,
        }
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        if self.close_on_drop {
            self.close();
        }
    }
}

/// Starts the RPC system for `stream` on the loop (must run there). Returns the connection
/// id, its shared state and, on the client side, the peer's bootstrap capability.
fn start(
    stream: tokio::net::UnixStream,
    bootstrap: Option<Box<dyn FnOnce(u64) -> capnp::capability::Client>>,
    origin: String,
    hold: Option<Box<dyn std::any::Any>>,
) -> (u64, Arc<Shared>, Option<capnp::capability::Client>) {
    let shared = Arc::new(Shared::default());
    let peer = crate::stats::Peer::of(&stream);
    let (reader, writer) = stream.into_split();
    let side = if bootstrap.is_some() {
        Side::Server
    } else {
        Side::Client
    };
    let network = twoparty::VatNetwork::new(
        BufReader::new(reader.compat()),
        BufWriter::new(writer.compat_write()),
        side,
        reader_options(),
    );
    let (stop, stopped) = tokio::sync::oneshot::channel();
    let id = with_state(|s| {
        let id = s.new_id();
        let state = ConnState {
            disconnect: Some(stop),
            stats: Some(crate::stats::opened(id, origin, peer)),
            ..ConnState::default()
        };
        s.conns.borrow_mut().insert(id, state);
        id
    });
    let mut rpc = RpcSystem::new(Box::new(network), bootstrap.map(|make| make(id)));
    let remote = (side == Side::Client).then(|| rpc.bootstrap(Side::Server));
    let done = shared.clone();
    tokio::task::spawn_local(async move {
        let reason = match futures::future::select(rpc, stopped).await {
            Either::Left((Ok(()), _)) => "peer closed the connection".to_string(),
            Either::Left((Err(e), _)) => format!("connection failed: {e}"),
            Either::Right(_) => "closed locally".to_string(),
        };
        tracing::info!(conn = id, "IPC: socket disconnected ({reason})");
        with_state(|s| s.remove_conn(id));
        crate::stats::closed(id);
        drop(hold);
        *done.closed.lock().unwrap_or_else(PoisonError::into_inner) = Some(reason);
        done.changed.notify_all();
    });
    (id, shared, remote)
}

fn into_tokio(stream: UnixStream) -> std::io::Result<tokio::net::UnixStream> {
    stream.set_nonblocking(true)?;
    tokio::net::UnixStream::from_std(stream)
}

/// Runs `f` on the loop and waits for its result. Must not be called on the loop thread.
pub(crate) fn on_loop<R: Send + 'static>(
    f: impl FnOnce() -> Result<R, Error> + Send + 'static,
) -> Result<R, Error> {
    if on_loop_thread() {
        return Err(Error::failed(
            "blocking IPC setup called on the event-loop thread",
        ));
    }
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    if !runtime::post(move || {
        let _ = tx.send(f());
    }) {
        return Err(Error::Disconnected("IPC event loop has stopped".into()));
    }
    rx.recv()
        .unwrap_or_else(|_| Err(Error::Disconnected("IPC event loop has stopped".into())))
}

/// Serves `bootstrap(conn_id)` to the peer at the other end of `stream`.
pub fn serve_stream(
    stream: UnixStream,
    bootstrap: impl FnOnce(u64) -> capnp::capability::Client + Send + 'static,
) -> Result<Connection, Error> {
    serve_stream_as(stream, "stream".into(), bootstrap)
}

/// [`serve_stream`], naming how the connection came (`getipcinfo`'s `origin`).
pub fn serve_stream_as(
    stream: UnixStream,
    origin: String,
    bootstrap: impl FnOnce(u64) -> capnp::capability::Client + Send + 'static,
) -> Result<Connection, Error> {
    on_loop(move || {
        let stream = into_tokio(stream).map_err(|e| Error::failed(format!("ipc socket: {e}")))?;
        let (id, shared, _) = start(stream, Some(Box::new(bootstrap)), origin, None);
        tracing::debug!(conn = id, "IPC server: serving connection");
        Ok(Connection {
            id,
            shared,
            close_on_drop: true,
        })
    })
}

/// Serves a connection accepted on the loop (by a listener); `hold` is dropped when it
/// closes. Returns its id.
pub(crate) fn serve_accepted(
    stream: tokio::net::UnixStream,
    bootstrap: Box<dyn FnOnce(u64) -> capnp::capability::Client>,
    origin: String,
    hold: Box<dyn std::any::Any>,
) -> u64 {
    let (id, _, _) = start(stream, Some(bootstrap), origin, Some(hold));
    tracing::debug!(conn = id, "IPC server: accepted connection");
    id
}

/// A remote interface a proxy can be made for (implemented by the generated proxies).
pub trait RemoteInterface: Sized {
    /// The capnp interface id, used to address `construct` on the bootstrap object.
    const INTERFACE_ID: u64;
    /// Wraps a capability received on the loop thread.
    fn from_client(client: capnp::capability::Client, conn: u64) -> Self;
}

/// Connects to the peer at the other end of `stream`, exchanges `ThreadMap`s with
/// `construct` (ordinal 0 of the bootstrap interface) and returns the bootstrap proxy.
pub fn connect_stream<P: RemoteInterface + Send + 'static>(
    stream: UnixStream,
) -> Result<(Connection, P), Error> {
    connect_stream_as(stream, "connected".into())
}

/// [`connect_stream`], naming how the connection came (`getipcinfo`'s `origin`).
pub fn connect_stream_as<P: RemoteInterface + Send + 'static>(
    stream: UnixStream,
    origin: String,
) -> Result<(Connection, P), Error> {
    on_loop(move || {
        let stream = into_tokio(stream).map_err(|e| Error::failed(format!("ipc socket: {e}")))?;
        let (id, shared, remote) = start(stream, None, origin, None);
        let remote = remote.ok_or_else(|| Error::failed("no bootstrap capability"))?;
        send_construct(id, &remote, P::INTERFACE_ID);
        tracing::debug!(conn = id, "IPC client: connected");
        Ok((
            Connection {
                id,
                shared,
                close_on_drop: true,
            },
            P::from_client(remote, id),
        ))
    })
}

/// Sends `construct(ourThreadMap)` and records the peer's ThreadMap (pipelined: later calls
/// need not wait for the reply).
fn send_construct(conn: u64, bootstrap: &capnp::capability::Client, interface_id: u64) {
    let mut request = bootstrap
        .new_call::<init::construct_params::Owned, init::construct_results::Owned>(
            interface_id,
            0,
            None,
        );
    request
        .get()
        .set_thread_map(crate::threads::thread_map_for(conn));
    let response = request.send();
    let remote_map: thread_map::Client = response.pipeline.get_thread_map();
    with_state(|s| {
        if let Some(state) = s.conns.borrow_mut().get_mut(&conn) {
            state.remote_thread_map = Some(remote_map);
        }
    });
    tokio::task::spawn_local(async move {
        if let Err(e) = response.promise.await {
            tracing::warn!(conn, "IPC client: construct failed: {e}");
        }
    });
}

/// Server side of `construct`: remembers the peer's ThreadMap (if it sent one) and returns
/// ours. Called by the bootstrap adapters on the loop.
pub fn accept_thread_map(conn: u64, remote: Option<thread_map::Client>) -> thread_map::Client {
    with_state(|s| {
        if let Some(state) = s.conns.borrow_mut().get_mut(&conn) {
            state.remote_thread_map = remote;
        }
    });
    crate::threads::thread_map_for(conn)
}
